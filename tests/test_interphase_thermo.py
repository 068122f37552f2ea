"""Thermodynamic route: grand-potential phase diagram open to Li at the Li-metal potential."""

from __future__ import annotations

import json

import pytest
from pymatgen.analysis.phase_diagram import PDEntry
from pymatgen.core import Composition
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.interphase.reactions import reduce_curated
from alloyscreen.interphase.thermo import (
    PREDICTED_PREFIX,
    TASK_PREFIX,
    li_chemical_potential,
    materials_project_entries,
    reduce_thermo,
    thermo_phases,
    thermo_reaction,
)
from alloyscreen.interphase_route import phase_relax_tasks as relax_tasks
from tests.conftest import needs_chgnet


def synthetic_entries(li15_lower: bool = False):
    """Entries with SYNTHETIC energies (eV/atom; made up to exercise the algorithm, not data).

    All Li compounds are strongly bound relative to Li + elements, as real ones are; a Li-poor
    compound (LiS) and a ternary (Li3PS4) that are unstable at the Li potential are included.
    """
    e = {
        "Li": -1.9, "P": -5.4, "Ge": -4.5, "S": -4.1, "Cl": -1.8,
        "Li2S": -4.1, "LiS": -4.0, "Li3P": -3.4, "LiCl": -4.0, "Li3PS4": -4.3,
        "Li17Ge4": -2.45, "Li15Ge4": -2.44,
    }  # fmt: skip
    if li15_lower:
        e["Li15Ge4"] = -2.60
    return [PDEntry(Composition(f), v * Composition(f).num_atoms, name=f) for f, v in e.items()]


def test_synthetic_phase_diagram_reproduces_curated_products():
    entries = synthetic_entries()
    for formula in ("Li6PS5Cl", "Li10GeP2S12", "Li3PS4"):
        thermo = reduce_thermo(formula, entries)
        curated = reduce_curated(formula)
        assert thermo.route == "thermo"
        assert thermo.balanced
        assert {p.formula: p.moles for p in thermo.products} == pytest.approx(
            {p.formula: p.moles for p in curated.products}
        )
        assert thermo.li_consumed_per_fu == pytest.approx(curated.li_consumed_per_fu)


def test_route_chooses_among_the_phases_it_is_given():
    # with Li15Ge4 made more stable, the Li-Ge product follows the energies
    r = reduce_thermo("Li10GeP2S12", synthetic_entries(li15_lower=True))
    assert "Li15Ge4" in {p.formula for p in r.products}
    assert r.li_consumed_per_fu == pytest.approx(23.75)
    # without any Li-Ge phase, Ge stays elemental
    entries = [e for e in synthetic_entries() if "Ge" not in e.name or e.name == "Ge"]
    r = reduce_thermo("Li10GeP2S12", entries)
    assert {p.formula for p in r.products} == {"Ge", "Li2S", "Li3P"}


def test_blend_and_chemical_potential():
    entries = synthetic_entries()
    assert li_chemical_potential(entries) == pytest.approx(-1.9)
    r = reduce_thermo("Li6PS5Cl:Li10GeP2S12=4:1", entries)
    assert r.li_consumed_per_fu == pytest.approx(0.8 * 8 + 0.2 * 24.25)
    # at a lower Li potential (less reducing), Li-poorer phases appear
    rx = thermo_reaction("Li3PS4", entries, mu_li_eV=-4.0)
    assert rx.li_consumed_per_fu < 8


def test_errors():
    entries = synthetic_entries()
    with pytest.raises(InputError, match="no phase with Br"):
        reduce_thermo("LiBr", entries)
    with pytest.raises(InputError, match="Li metal"):
        reduce_thermo("Li6PS5Cl", [e for e in entries if e.name != "Li"])


def test_shipped_phase_set_and_tasks():
    from alloyscreen.tasks import CalculatorSpec

    phases = thermo_phases(["P", "S", "Cl", "Ge"])
    formulas = {p.formula for p in phases}
    assert {"Li", "Li2S", "Li3P", "LiCl", "P", "Ge"} <= formulas
    li3p = next(p for p in phases if p.formula == "Li3P")
    assert Composition(li3p.atoms.get_chemical_formula()).reduced_formula == "Li3P"
    assert len(li3p.atoms) == 8  # P6_3/mmc, Z = 2
    for p in phases:
        assert p.citation
    spec = CalculatorSpec.make("chgnet")
    tasks = relax_tasks(phases, spec)
    again = relax_tasks(thermo_phases(["P", "S", "Cl", "Ge"]), spec)
    assert [t.key for t in tasks] == [t.key for t in again]  # content keys: cacheable
    assert all(t.candidate_id.startswith(TASK_PREFIX) and t.kind == "relax" for t in tasks)


def _li_ge_phases(phases):
    return [p for p in phases if set(Composition(p.formula).get_el_amt_dict()) == {"Li", "Ge"}]


def test_discovered_phases_fill_a_system_without_known_phases(caplog):
    """No known Li-Ge structure is shipped, so the shipped discovered Li-Ge phases are used."""
    import logging

    with caplog.at_level(logging.INFO, logger="alloyscreen.interphase.thermo"):
        phases = thermo_phases(["P", "S", "Ge"])
    li_ge = _li_ge_phases(phases)
    assert li_ge, "the package ships discovered Li-Ge phases"
    assert all(p.source == "discovered" and p.id.startswith(PREDICTED_PREFIX) for p in li_ge)
    assert all("predicted" in p.citation and "prototype" in p.citation for p in li_ge)
    assert any(Composition(p.formula)["Li"] >= 3 * Composition(p.formula)["Ge"] for p in li_ge), (
        "a Li-rich (Li/Ge >= 3) phase is among the discovered ones"
    )
    assert "no known Li-Ge phase" in caplog.text
    # switched off: Ge stays elemental in the phase set
    assert not _li_ge_phases(thermo_phases(["P", "S", "Ge"], include_discovered=False))


def test_known_phases_take_precedence_over_discovered(monkeypatch):
    from alloyscreen.structures import discovery
    from alloyscreen.structures.candidates import Candidate
    from alloyscreen.structures.known_phases import find_known_phase

    fake = Candidate(
        id="Li3Bi-FAKE",
        formula="Li3Bi",
        structure=find_known_phase("Li3Bi-D03").structure(),
        prototype="FAKE",
        source="discovered",
        category="alloy",
        provenance={"label": "predicted (prototype FAKE, E_hull = 0 meV/atom)"},
    )
    monkeypatch.setattr(discovery, "shipped_discovered", lambda el=None: (fake,))
    phases = thermo_phases(["Bi"])
    assert "Li3Bi-D03" in {p.id for p in phases}  # the known (cited) structure
    assert not [p for p in phases if p.source == "discovered"]


def test_predicted_products_are_named_in_the_reaction():
    """SYNTHETIC energies (see synthetic_entries); a predicted Li-Ge phase is the only one."""
    entries = [e for e in synthetic_entries() if "Ge" not in e.name or e.name == "Ge"]
    entries.append(PDEntry(Composition("Li3Ge"), -2.6 * 4, name=PREDICTED_PREFIX + "Li3Ge-D03"))
    rx = reduce_thermo("Li10GeP2S12", entries).components[0].reaction
    assert "Li3Ge" in {p.formula for p in rx.products}
    assert "PREDICTED" in rx.notes
    assert "Li3Ge-D03" in rx.notes
    # a known product is not flagged
    assert (
        "PREDICTED"
        not in reduce_thermo("Li10GeP2S12", synthetic_entries()).components[0].reaction.notes
    )


def test_discovered_products_get_relaxed_volumes_and_the_systems_electronic_class():
    from alloyscreen.interphase.products import load_product_table

    table = load_product_table()
    li_ge = [
        r
        for f, r in table.records.items()
        if set(Composition(f).get_el_amt_dict()) == {"Li", "Ge"} and f != "Li17Ge4"
    ]
    assert li_ge
    for rec in li_ge:
        assert rec.volume_source == "relaxed"
        assert rec.metallic is table.get("Li17Ge4").metallic
        assert "Li17Ge4" in rec.metallic_citation
        assert "predicted" in rec.citation
        # Li-Ge alloys: between the molar volumes of Ge (13.6 cm3/mol) and bcc Li (13.0 per Li)
        n = Composition(rec.formula).num_atoms
        assert 8.0 < rec.molar_volume_cm3_mol / n < 16.0
    # shipped curated rows are never replaced
    assert table.get("Li17Ge4").volume_source == "lattice"


def test_materials_project_route_needs_a_key(monkeypatch):
    monkeypatch.delenv("MP_API_KEY", raising=False)
    with pytest.raises(InputError, match="MP_API_KEY"):
        materials_project_entries(["S"])


@pytest.mark.slow
@needs_chgnet
def test_chgnet_thermo_route_agrees_with_curated(tmp_path):
    """CHGNet energies of the shipped structures, cached in a temporary store."""
    from alloyscreen.cli import build_app
    from alloyscreen.interphase_route import thermo_entries

    db = str(tmp_path / "thermo.db")
    entries, summary, phases = thermo_entries(["Cl", "Ge", "P", "S"], "chgnet", db, 1)
    assert summary.n_failed == 0
    lpsc = reduce_thermo("Li6PS5Cl", entries)
    curated = reduce_curated("Li6PS5Cl")
    assert {p.formula: p.moles for p in lpsc.products} == pytest.approx(
        {p.formula: p.moles for p in curated.products}
    )
    assert lpsc.balanced
    # the CLI reuses the stored energies (content-keyed relax tasks)
    res = CliRunner().invoke(
        build_app(),
        [
            *("interphase", "Li6PS5Cl", "--route", "thermo", "-c", "chgnet"),
            *("--db", db, "--v-p", "0.087", "--json"),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["n_computed"] == 0
    assert doc["n_cached"] > 0
    assert doc["classification"] == "SEI"
    li_ge = _li_ge_phases(phases)
    assert li_ge  # discovered (predicted) Li-Ge phases: no known structure is shipped
    lgps = reduce_thermo("Li10GeP2S12", entries)
    assert lgps.balanced
    alloys = [
        p for p in lgps.products if set(Composition(p.formula).get_el_amt_dict()) == {"Li", "Ge"}
    ]
    assert len(alloys) == 1, lgps.products  # a Li-Ge alloy, not elemental Ge
    comp = Composition(alloys[0].formula)
    assert comp["Li"] >= 3 * comp["Ge"]  # Li-rich, as the curated Li17Ge4
    assert "PREDICTED" in lgps.components[0].reaction.notes
    assert {"Li2S", "Li3P"} <= {p.formula for p in lgps.products}
