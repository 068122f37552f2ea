"""Shipped known phases and reference phases: every row builds, is cited and is consistent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from alloyscreen.structures.candidates import CATEGORIES
from alloyscreen.structures.known_phases import (
    elemental_phase,
    elemental_phases,
    known_phase_candidates,
    known_phases,
    structure_from_spacegroup,
)
from alloyscreen.structures.references import reference_candidates, reference_phases

ALL = (*known_phases(), *elemental_phases(), *reference_phases())


@pytest.mark.parametrize("rec", ALL, ids=[r.id for r in ALL])
def test_row_builds_with_stated_symmetry_and_composition(rec):
    s = rec.structure()
    assert SpacegroupAnalyzer(s, symprec=1e-3).get_space_group_number() == rec.spacegroup_number
    assert s.composition.reduced_formula == Composition(rec.formula).reduced_formula
    assert rec.category in CATEGORIES
    # physically sensible: no two atoms closer than 1.5 Å
    dist = s.distance_matrix + 1e3 * (s.distance_matrix == 0)
    assert dist.min() > 1.5


@pytest.mark.parametrize("rec", ALL, ids=[r.id for r in ALL])
def test_row_is_cited(rec):
    assert len(rec.citation) > 20
    assert rec.read_from
    for site in rec.sites:
        assert site["wyckoff"]
        assert len(site["xyz"]) == 3


def test_cached_builder_equals_pymatgen_from_spacegroup():
    rec = next(r for r in known_phases() if r.id == "Li3Bi-D03")
    species = [s["element"] for s in rec.sites]
    coords = [s["xyz"] for s in rec.sites]
    ref = Structure.from_spacegroup(225, Lattice.cubic(6.722), species, coords)
    ours = structure_from_spacegroup(225, Lattice.cubic(6.722), species, coords)
    assert StructureMatcher(scale=False).fit(ref, ours)
    assert len(ours) == len(ref) == 16


def _aflow_entry(label, element):
    import pymatgen.analysis.prototypes as protos

    path = Path(protos.__file__).parent / "aflow_prototypes.json.gz"
    with gzip.open(path) as fh:
        entries = json.load(fh)
    for entry in entries:
        s = Structure.from_dict(entry["snl"])
        if entry["tags"]["aflow"] == label and s.composition.reduced_formula == element:
            return s
    raise LookupError(label)


@pytest.mark.parametrize(("phase_id", "symbol"), [("Ga-alpha", "Ga"), ("P-black", "P")])
def test_elemental_phases_reproduce_aflow_library(phase_id, symbol):
    """Sharma & Donohue (Ga) and Brown & Rundqvist (P) as tabulated by AFLOW (Mehl 2017)."""
    ours = elemental_phase(symbol)
    ref = _aflow_entry("A_oC8_64_f", symbol)
    from pymatgen.io.ase import AseAtomsAdaptor

    matcher = StructureMatcher(scale=False, ltol=0.01, stol=0.01, angle_tol=0.5)
    assert matcher.fit(AseAtomsAdaptor.get_structure(ours), ref)


def test_li3n_reproduces_aflow_library():
    rec = next(r for r in reference_phases() if r.id == "Li3N-P6mmm")
    ref = _aflow_entry("A3B_hP4_191_bc_a", "Li3N")
    assert StructureMatcher(scale=False, ltol=0.01, stol=0.01).fit(rec.structure(), ref)


def test_elemental_phase_falls_back_for_other_elements():
    assert elemental_phase("Cu") is None
    from alloyscreen.structures.elements import elemental_reference

    ga = elemental_reference("Ga")
    assert len(ga) == 8
    # alpha-Ga: 19.6 Å^3/atom from a, b, c of Sharma & Donohue
    assert ga.get_volume() / len(ga) == pytest.approx(4.523 * 7.661 * 4.524 / 8, rel=1e-6)


def test_known_phase_filter_by_element():
    ids = [c.id for c in known_phase_candidates(["Al"])]
    assert ids == ["Li-bcc"]
    ids = [c.id for c in known_phase_candidates(["Bi"], include_li_metal=False)]
    assert ids == ["Li3Bi-D03"]
    assert all(c.source == "known" for c in known_phase_candidates(None))


def test_reference_classes():
    metals = reference_candidates(["metal"])
    sei = reference_candidates(["sei"])
    assert {c.formula for c in metals} == {"Cu", "Ni", "Fe"}
    assert {"LiF", "Li2O", "Li3N", "LiCl", "Li2S"} <= {c.formula for c in sei}
    assert all(c.category == "sei" and c.source == "reference" for c in sei)
    with pytest.raises(ValueError, match="unknown reference category"):
        reference_candidates(["oxide"])


def test_li_metal_lattice_is_ashcroft_mermin_value():
    """bcc Li, a = 3.49 Å (Ashcroft & Mermin, as in ase.data.reference_states)."""
    from ase.data import atomic_numbers, reference_states

    li = next(r for r in known_phases() if r.id == "Li-bcc")
    assert li.lattice["a"] == reference_states[atomic_numbers["Li"]]["a"]


def test_li2s_is_the_cited_antifluorite():
    """Li2S: a = 5.708 Å, S 4a + Li 8c (Wyckoff 1963 as COD 9009060 / AMCSD 0011739)."""
    rec = next(r for r in reference_phases() if r.id == "Li2S-C1")
    assert rec.category == "sei"
    assert rec.lattice["a"] == pytest.approx(5.708)
    assert "9009060" in rec.citation
    s = rec.structure()
    assert len(s) == 12
    assert s.composition.reduced_formula == "Li2S"
    # every Li is tetrahedral: four S at a*sqrt(3)/4
    li = next(i for i, site in enumerate(s) if site.specie.symbol == "Li")
    neighbours = s.get_neighbors(s[li], 2.6)
    assert len(neighbours) == 4
    assert {n.specie.symbol for n in neighbours} == {"S"}
    assert all(n.nn_distance == pytest.approx(5.708 * 3**0.5 / 4) for n in neighbours)
    # same structure type as the shipped Li2O row (antifluorite), only larger
    li2o = next(r for r in reference_phases() if r.id == "Li2O-C1").structure()
    assert StructureMatcher(scale=True).fit_anonymous(s, li2o)
