"""Which termination's W_ad is reported: the interface that forms against Li metal."""

from __future__ import annotations

import pytest

from alloyscreen.errors import InputError
from alloyscreen.properties.adhesion import TerminationSummary, select_termination


def _t(label, w, gamma_sub, gamma_li=0.45):
    return TerminationSummary(
        miller=(1, 1, 0),
        termination=label,
        top_species=("Li",),
        li_miller=(1, 1, 0),
        w_adh_J_m2=w,
        substrate_surface_energy_J_m2=gamma_sub,
        li_surface_energy_J_m2=gamma_li,
        interface_energy_J_m2=None if gamma_sub is None else gamma_sub + gamma_li - w,
        converged=True,
    )


def test_li_poor_face_binds_strongly_but_does_not_form():
    # A Li-poor face: W_ad 2.2 but gamma_sub 2.5 in the Li-rich limit -> gamma_int 0.75;
    # a Li-rich face: W_ad 1.0, gamma_sub 0.4 -> gamma_int -0.15: this one forms.
    ts = [_t("Al-rich", 2.2, 2.5), _t("Li-rich", 1.0, 0.4)]
    i, basis = select_termination(ts)
    assert ts[i].termination == "Li-rich"
    assert "lowest interface energy" in basis
    j, basis_w = select_termination(ts, "max_w_adh")
    assert ts[j].termination == "Al-rich"
    assert "largest W_ad" in basis_w


def test_terminations_without_interface_energy_are_left_out_and_said_so():
    ts = [_t("asymmetric", 3.0, None), _t("a", 1.0, 0.9), _t("b", 0.9, 0.5)]
    i, basis = select_termination(ts)
    assert ts[i].termination == "b"  # 0.5 + 0.45 - 0.9 = 0.05 < 0.35
    assert "1 termination(s) without a defined interface energy" in basis


def test_no_defined_interface_energy_falls_back_to_largest_w_adh():
    ts = [_t("x", 0.8, None), _t("y", 1.1, None)]
    i, basis = select_termination(ts)
    assert ts[i].termination == "y"
    assert "no computed termination has a defined interface energy" in basis


def test_bad_selection_and_empty_input():
    with pytest.raises(InputError, match="unknown selection"):
        select_termination([_t("x", 1.0, 0.5)], "min_w")
    with pytest.raises(InputError, match="at least one"):
        select_termination([])


@pytest.mark.slow
@pytest.mark.ml
def test_b32_lial_reports_a_li_containing_face_not_the_strongest_binding_al_face(chgnet_calc):
    # B32 (NaTl-type) LiAl, a = 6.37 A as a seed (relaxed first; P. Villars & L. D. Calvert,
    # Pearson's Handbook of Crystallographic Data for Intermetallic Phases, ASM 1991). Against Li
    # metal (Li-rich limit) the Al-terminated (111) faces bind Li most strongly but have the
    # highest surface energies; measured with CHGNet: W_ad 1.59 (Al face) vs 0.92 J/m2 reported.
    from ase.spacegroup import crystal

    from alloyscreen.properties.adhesion import work_of_adhesion
    from alloyscreen.properties.bulk import relax_bulk

    lial = crystal(
        ["Li", "Al"],
        [(0, 0, 0), (0.5, 0.5, 0.5)],
        spacegroup=227,
        cellpar=[6.37] * 3 + [90] * 3,
        setting=1,
    )
    atoms = relax_bulk(lial, chgnet_calc).atoms
    res = work_of_adhesion(atoms, chgnet_calc, max_terminations=0, n_relax=1, max_atoms=160)
    assert len(res.terminations) >= 3
    defined = [t for t in res.terminations if t.interface_energy_J_m2 is not None]
    assert res.interface_energy_J_m2 == pytest.approx(min(t.interface_energy_J_m2 for t in defined))
    assert "Li" in res.termination  # a Li-containing face forms against Li metal
    strongest = max(res.terminations, key=lambda t: t.w_adh_J_m2)
    assert strongest.top_species == ("Al",)
    assert res.max_w_adh_J_m2 == pytest.approx(strongest.w_adh_J_m2)
    assert res.w_adh_J_m2 < res.max_w_adh_J_m2


def test_multi_termination_tasks_name_their_selection_in_the_key(tmp_path):
    # Rows computed while the strongest-binding termination was reported must not be reused:
    # every adhesion task over several terminations carries selection = interface_energy, named
    # or not; a one-termination task keeps its key (no selection in its parameters).
    from ase.build import bulk
    from ase.io import write

    from alloyscreen.campaign import load_campaign_candidates, structure_step_tasks
    from alloyscreen.tasks import CalculatorSpec

    path = tmp_path / "Cu.vasp"
    write(path, bulk("Cu", "fcc", a=3.6, cubic=True), format="vasp")
    (cand,) = load_campaign_candidates([str(path)])
    relaxed = {cand.id: cand.to_atoms()}
    spec = CalculatorSpec.make("emt")
    opts = {"categories": [cand.category]}

    def task(**options):
        (t,) = structure_step_tasks("adhesion", [cand], relaxed, spec, {**opts, **options})
        return t

    implicit = task(max_terminations=0)
    explicit = task(max_terminations=0, selection="interface_energy")
    old_rule = task(max_terminations=0, selection="max_w_adh")
    assert implicit.params["selection"] == "interface_energy"
    assert implicit.key == explicit.key
    assert implicit.key != old_rule.key
    assert "selection" not in task().params
    assert "selection" not in task(max_terminations=1).params
