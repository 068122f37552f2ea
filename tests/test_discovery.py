"""Li–M phase discovery: prototype library, symmetry-distinct decorations, hull, CLI errors."""

from __future__ import annotations

import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.structures.discovery import (
    AFLOW_CITATION,
    decorate,
    enumerate_system,
    parse_system,
    predicted_label,
    prototype_library,
    select_prototypes,
)
from alloyscreen.structures.hull import PhaseEnergy, binary_hull, hull_rows, plot_hull
from alloyscreen.structures.prototypes import MATCHER_KWARGS


@pytest.fixture(scope="module")
def li_al():
    return enumerate_system("Al", max_atoms=4)


def test_library_keeps_sources_and_project_prototypes_first():
    lib = prototype_library()
    assert [p.name for p in lib[:4]] == ["B2", "B32", "D03", "L12"]
    names = [p.name for p in lib]
    assert len(names) == len(set(names))
    for p in lib:
        assert "10.1016/j.commatsci.2017.01.017" in p.source  # AFLOW library (Mehl et al. 2017)
        assert len(p.structure.composition.elements) == 2
    # AFLOW entries also name the structure paper the library took the structure from
    nas = next(p for p in lib if p.name == "D0_18")
    assert "Zintl" in nas.source
    assert nas.compound == "Na3As"
    assert AFLOW_CITATION in lib[0].source


def test_decorations_are_symmetry_distinct_and_keep_the_prototype(li_al):
    ids = [c.id for c in li_al.candidates]
    assert len(ids) == len(set(ids))
    for want in ("LiAl-B2", "LiAl-B32", "Li3Al-D03", "Li3Al-L12", "LiAl3-L12", "Li2Al-C1"):
        assert want in ids
    sg = {
        c.id: SpacegroupAnalyzer(c.structure, symprec=1e-3).get_space_group_number()
        for c in li_al.candidates
    }
    assert (sg["LiAl-B2"], sg["LiAl-B32"], sg["Li3Al-D03"], sg["Li2Al-C1"]) == (221, 227, 225, 225)
    matcher = StructureMatcher(**MATCHER_KWARGS)
    cands = li_al.candidates
    for i, a in enumerate(cands):
        assert len(a.structure) <= 4
        assert set(a.elements) == {"Li", "Al"}
        assert a.source == "prototype"
        assert a.provenance["prototype_source"]
        for b in cands[i + 1 :]:
            if (
                a.structure.composition.reduced_composition
                == b.structure.composition.reduced_composition
            ):
                assert not matcher.fit(a.structure, b.structure), (a.id, b.id)
    # the swapped B2 (Al on 1a, Li on 1b) is the same structure: removed as a duplicate
    assert any(d["duplicate_of"] == "LiAl-B2" for d in li_al.duplicates)


def test_both_orderings_and_extra_stoichiometries():
    (d03,) = select_prototypes(["D0_3"])
    formulas = sorted(c.formula for c in decorate(d03, "Sb", max_atoms=4))
    # 4a/4b/8c orbits of the 4-atom primitive cell: Li3Sb, LiSb3 and LiSb (B2-like) appear
    assert {"Li3Sb", "LiSb3", "LiSb"} <= set(formulas)
    big = decorate(d03, "Sb", max_atoms=1000)
    assert all(len(c.structure) <= 4 for c in big)  # primitive cells
    assert len(decorate(d03, "Sb", max_atoms=2)) < len(big)


def test_vegard_start_volume(li_al):
    from alloyscreen.structures.prototypes import vegard_volume_per_atom

    b32 = next(c for c in li_al.candidates if c.id == "LiAl-B32")
    v = b32.structure.volume / len(b32.structure)
    assert v == pytest.approx(vegard_volume_per_atom({"Li": 1, "Al": 1}), rel=1e-6)


def test_input_errors():
    assert parse_system("Li-Ge") == parse_system("Ge-Li") == parse_system("Ge") == "Ge"
    for bad in ("Li-Ge-Si", "Li", "Li-Xx", ""):
        with pytest.raises(InputError):
            parse_system(bad)
    with pytest.raises(InputError, match="max-atoms"):
        enumerate_system("Al", max_atoms=1)
    with pytest.raises(InputError, match="unknown prototype"):
        select_prototypes(["Q9"])


def test_hull_with_synthetic_energies(tmp_path):
    """SYNTHETIC energies (eV/atom), chosen to make the geometry checkable by hand."""
    refs = {"Li": -2.0, "Ge": -4.0}
    # E_f = E - (x_Li*(-2) + x_Ge*(-4)): LiGe at x=0.5 -> -3.0 - (-3.0) - 0.2 = -0.2
    phases = [
        PhaseEnergy("LiGe-a", "LiGe", -3.2, "B32"),
        PhaseEnergy("LiGe-b", "LiGe", -3.15, "B2"),  # 50 meV above LiGe-a
        PhaseEnergy("Li3Ge", "Li3Ge", -2.5 - 0.05, "D03"),  # E_f = -0.05 at x = 0.25
        PhaseEnergy("LiGe3", "LiGe3", -3.5 - 0.2, "L12"),  # E_f = -0.2 at x = 0.75
    ]
    hull = binary_hull("Ge", [*phases, PhaseEnergy("Li", "Li", -2.0)], refs)
    by = {p.id: p for p in hull.points}
    assert "Li" not in by  # elements are references, not points
    assert by["LiGe-a"].stable
    assert by["LiGe3"].stable
    assert by["LiGe-a"].formation_energy_eV_atom == pytest.approx(-0.2)
    assert by["LiGe-b"].e_above_hull_eV_atom == pytest.approx(0.05)
    # hull at x = 0.25 runs from Li (0) to LiGe (-0.2): -0.1, so Li3Ge (-0.05) is 50 meV above
    assert not by["Li3Ge"].stable
    assert by["Li3Ge"].e_above_hull_eV_atom == pytest.approx(0.05)
    assert by["Li3Ge"].decomposition == "Li + LiGe"
    assert [p.id for p in hull.near_hull(0.05 + 1e-9)] == ["Li3Ge", "LiGe-a", "LiGe-b", "LiGe3"]
    assert hull.lowest("GeLi").id == "LiGe-a"
    rows = hull_rows(hull, 0.0)
    assert {r["id"] for r in rows} == {"LiGe-a", "LiGe3"}
    png = plot_hull(hull, tmp_path / "h.png")
    assert png.stat().st_size > 1000
    with pytest.raises(InputError, match="reference"):
        binary_hull("Ge", phases, {"Li": -2.0})
    assert predicted_label("B32", 0.0123) == "predicted (prototype B32, E_hull = 12 meV/atom)"


def test_cli_bad_input_exit_2(tmp_path):
    from alloyscreen.cli import build_app

    runner = CliRunner()
    for args in (
        ["--system", "Li-Ge-Si"],
        ["--system", "Li-Xx"],
        ["--system", "Li-Ge", "--max-atoms", "1"],
        ["--system", "Li-Ge", "--max-ehull", "-1"],
        ["--system", "Li-Ge", "--engine", "cloud"],
        ["--system", "Li-Ge", "--prototypes", "Q9"],
    ):
        res = runner.invoke(
            build_app(),
            ["candidates", "discover", *args, "-c", "emt", "--db", str(tmp_path / "x.db")],
        )
        assert res.exit_code == 2, (args, res.output)
    assert not (tmp_path / "x.db").exists() or (tmp_path / "x.db").stat().st_size >= 0


def test_relaxed_copies_of_one_phase_are_merged(li_al):
    """A prototype that relaxed into an earlier one's structure is the same phase (kept first)."""
    from alloyscreen.structures.discovery import merge_relaxed

    by = {c.id: c for c in li_al.candidates}
    b2, b32 = by["LiAl-B2"].structure, by["LiAl-B32"].structure
    l11 = b2.copy()  # stands for an L1_1 start that relaxed to B2 (same cell, 1 meV apart)
    cands = [by["LiAl-B2"], by["LiAl-B32"], by["LiAl-L1_1"]]
    relaxed = {"LiAl-B2": b2, "LiAl-B32": b32, "LiAl-L1_1": l11}
    merged = merge_relaxed(cands, relaxed, {"LiAl-B2": -3.0, "LiAl-B32": -3.1, "LiAl-L1_1": -3.001})
    assert merged == {"LiAl-L1_1": "LiAl-B2"}
    # same structure but 10 meV/atom apart: not the same phase (e.g. not fully relaxed)
    merged = merge_relaxed(cands, relaxed, {"LiAl-B2": -3.0, "LiAl-B32": -3.1, "LiAl-L1_1": -3.01})
    assert merged == {}
    # B2 and B32 differ in structure whatever their energies
    assert merge_relaxed(cands[:2], relaxed, {"LiAl-B2": -3.0, "LiAl-B32": -3.0}) == {}
