"""Li–M discovery with SevenNet-0 (the default calculator) against experimental structure types.

Experimental structure types checked (room-temperature equilibrium phases):

* LiAl: NaTl (B32) type, Fd-3m — A. J. McAlister, The Al-Li (aluminum-lithium) system,
  Bull. Alloy Phase Diagrams 3, 177 (1982), doi:10.1007/BF02892377; B. Hallstedt and O. Kim,
  Thermodynamic assessment of the Al-Li system, Int. J. Mater. Res. 98, 961-969 (2007),
  doi:10.3139/146.101553 ("the central AlLi phase, which has an ordered bcc (B32) structure").
* LiAg (beta): CsCl (B2) type — W. E. Freeth and G. V. Raynor, J. Inst. Met. 82, 569-574
  (1953-54), as assessed by A. D. Pelton, The Ag-Li (silver-lithium) system, Bull. Alloy Phase
  Diagrams 7(3) (1986); P. Villars and L. D. Calvert, Pearson's Handbook of Crystallographic Data
  for Intermetallic Phases, 2nd ed. (ASM International, 1991), AgLi cP2.
* Li3Sb: BiF3 (D0_3) type, Fm-3m (cF16) — G. Brauer and E. Zintl, Konstitution von Phosphiden,
  Arseniden, Antimoniden und Wismutiden des Lithiums, Natriums und Kaliums, Z. Phys. Chem. 37B,
  323-352 (1937).
* Li–Mg: no intermetallic compound, wide bcc (Li) and hcp (Mg) solid solutions —
  A. A. Nayeb-Hashemi, J. B. Clark and A. D. Pelton, The Li-Mg (lithium-magnesium) system,
  Bull. Alloy Phase Diagrams 5(4), 365-374 (1984).

Each test relaxes a reduced prototype list (the structure types that compete at the compositions
checked) through a temporary store; the full default library is exercised by
``benchmarks/bench_discovery.py`` and the shipped discovered phases.
"""

from __future__ import annotations

import pytest

from tests.conftest import HAS_SEVENN

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAS_SEVENN, reason="needs the ml extra (sevenn)"),
]

#: Prototypes that compete at 1:1, 3:1, 1:3 and 2:1 (a subset of the library, for speed).
PROTOS = ("B2", "B32", "D03", "L12", "L1_1", "B1", "C1", "D0_19", "D0_22", "D0_18", "C32", "Li3N")


@pytest.fixture(scope="module")
def store_and_engine(tmp_path_factory):
    from alloyscreen.engines import LocalEngine
    from alloyscreen.store import ResultStore

    db = tmp_path_factory.mktemp("disc") / "d.db"
    return ResultStore(db), LocalEngine(1)


def _discover(element: str, store_and_engine):
    from contextlib import nullcontext

    from alloyscreen.phase_discovery import run_discovery
    from alloyscreen.tasks import CalculatorSpec

    store, engine = store_and_engine
    return run_discovery(
        element,
        CalculatorSpec.make("sevenn"),
        store,
        engine,
        lambda d, n: nullcontext(lambda *a, **k: None),
        prototypes=PROTOS,
    )


def test_li_al_b32_on_the_hull_below_b2(store_and_engine):
    run = _discover("Al", store_and_engine)
    assert not run.failed
    pts = {p.id: p for p in run.hull.points}
    assert pts["LiAl-B32"].stable
    assert pts["LiAl-B32"].formation_energy_eV_atom < pts["LiAl-B2"].formation_energy_eV_atom
    assert run.hull.lowest("LiAl").prototype == "B32"
    # GPAW (DESIGN.md section 5): LiAl B32 formation energy -0.168 eV/atom; an ML potential
    # within 40 meV/atom of it
    assert pts["LiAl-B32"].formation_energy_eV_atom == pytest.approx(-0.168, abs=0.04)
    # a rerun takes every relaxation from the store
    again = _discover("Al", store_and_engine)
    assert again.summary.n_computed == 0
    assert [p.id for p in again.hull.stable] == [p.id for p in run.hull.stable]


def test_li_ag_b2_below_b32(store_and_engine):
    run = _discover("Ag", store_and_engine)
    pts = {p.id: p for p in run.hull.points}
    assert pts["LiAg-B2"].formation_energy_eV_atom < pts["LiAg-B32"].formation_energy_eV_atom
    assert run.hull.lowest("LiAg").prototype == "B2"


def test_li_sb_li3sb_d03_on_the_hull(store_and_engine):
    """Li3Sb D0_3 is on the hull within 5 meV/atom.

    With SevenNet-0 the hexagonal Na3As (D0_18) decoration of Li3Sb lies 2 meV/atom below D0_3
    (docs/discovery.md), well inside the calculator's error against GPAW (Li3Sb D0_3: +32 meV/atom),
    so the two are degenerate at this level and D0_3 is not asserted to be the lowest.
    """
    run = _discover("Sb", store_and_engine)
    pts = {p.id: p for p in run.hull.points}
    assert pts["Li3Sb-D03"].e_above_hull_eV_atom <= 0.005
    assert run.hull.lowest("Li3Sb").e_above_hull_eV_atom == 0.0
    assert pts["Li3Sb-D03"].formation_energy_eV_atom < -0.3  # strongly bound Zintl phase


@pytest.mark.xfail(
    strict=True,
    reason="SevenNet-0 binds ordered Li-Mg phases (B2 LiMg -53 meV/atom, C32 Li2Mg -49) more "
    "than the 20 meV/atom noise although Li-Mg has no compound; PBE does too (GPAW: B2 -61, "
    "C32 -41 meV/atom; docs/discovery.md), so no PBE-faithful 0 K hull can pass",
)
def test_li_mg_no_ordered_compound_beyond_the_noise(store_and_engine):
    """Li–Mg has no compound: any ordered phase on the hull is bound by less than the noise.

    Noise: 20 meV/atom, the order of this calculator's formation-energy differences from GPAW for
    the phases checked in docs/discovery.md (6-32 meV/atom).
    """
    run = _discover("Mg", store_and_engine)
    for p in run.hull.stable:
        assert p.formation_energy_eV_atom > -0.020, p
