"""Prototype enumeration, Vegard lattice guess and StructureMatcher deduplication."""

from __future__ import annotations

import pytest
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from alloyscreen.errors import InputError
from alloyscreen.structures.known_phases import known_phase_candidates
from alloyscreen.structures.prototypes import (
    atomic_volume,
    deduplicate,
    normalize_prototype,
    prototype_candidate,
    prototype_candidates,
)


@pytest.mark.parametrize(
    ("proto", "li_rich", "formula", "sg", "natoms"),
    [
        ("B2", True, "LiAl", 221, 2),
        ("B32", True, "LiAl", 227, 16),
        ("D03", True, "Li3Al", 225, 16),
        ("D03", False, "LiAl3", 225, 16),
        ("L12", True, "Li3Al", 221, 4),
        ("L12", False, "LiAl3", 221, 4),
    ],
)
def test_prototype_symmetry_and_stoichiometry(proto, li_rich, formula, sg, natoms):
    c = prototype_candidate(proto, "Al", li_rich=li_rich)
    assert c.formula == formula
    assert len(c.structure) == natoms
    assert SpacegroupAnalyzer(c.structure, symprec=1e-3).get_space_group_number() == sg
    assert c.id == f"{formula}-{proto}"
    assert c.source == "prototype"
    assert c.category == "alloy"


def test_b32_is_two_interpenetrating_diamond_lattices():
    """NaTl type: every atom has 4 like and 4 unlike nearest neighbours at a*sqrt(3)/4."""
    s = prototype_candidate("B32", "Al").structure
    a = s.lattice.a
    for i, site in enumerate(s):
        neigh = s.get_neighbors(site, a * 3**0.5 / 4 + 0.01)
        assert len(neigh) == 8
        same = sum(n.specie == site.specie for n in neigh)
        assert same == 4, i


def test_vegard_volume_is_sum_of_elemental_volumes():
    c = prototype_candidate("D03", "Mg")
    v_li, v_mg = atomic_volume("Li")[0], atomic_volume("Mg")[0]
    assert c.structure.volume / len(c.structure) == pytest.approx((3 * v_li + v_mg) / 4, rel=1e-5)
    # Li bcc (Ashcroft & Mermin a = 3.49 Å): 3.49^3 / 2 Å^3 per atom
    assert v_li == pytest.approx(3.49**3 / 2)


def test_prototype_names_and_errors():
    assert normalize_prototype("d0_3") == "D03"
    assert normalize_prototype("l1_2") == "L12"
    with pytest.raises(InputError, match="unknown prototype"):
        normalize_prototype("C15")
    with pytest.raises(InputError, match="unknown element"):
        prototype_candidate("B2", "Xx")
    with pytest.raises(InputError, match="host"):
        prototype_candidate("B2", "Li")


def test_enumeration_order_is_deterministic():
    a = [c.id for c in prototype_candidates(["Zn", "Al"], ["B32", "L12"])]
    assert a == ["LiZn-B32", "Li3Zn-L12", "LiZn3-L12", "LiAl-B32", "Li3Al-L12", "LiAl3-L12"]
    b = prototype_candidates(["Zn", "Al"], ["B32", "L12"])
    assert [c.structure.as_dict() for c in b] == [
        c.structure.as_dict() for c in prototype_candidates(["Zn", "Al"], ["B32", "L12"])
    ]


def test_prototype_duplicate_of_known_phase_is_dropped_and_known_kept():
    """Li3Bi asked for as D0_3 prototype and as known phase -> one candidate, the known one."""
    known = known_phase_candidates(["Bi"], include_li_metal=False)
    protos = prototype_candidates(["Bi"], ["D03", "B32"])
    kept, dropped = deduplicate([*known, *protos])
    li3bi = [c for c in kept if c.formula == "Li3Bi" and c.prototype == "D03"]
    assert len(li3bi) == 1
    assert li3bi[0].source == "known"
    assert li3bi[0].structure.lattice.a == pytest.approx(6.722)
    assert li3bi[0].provenance["also_generated_as"] == ["prototype:Li3Bi-D03"]
    assert dropped == [
        {"dropped": "Li3Bi-D03", "dropped_source": "prototype", "duplicate_of": "Li3Bi-D03"}
    ]
    # different structures of the same composition are kept
    assert {c.id for c in kept} >= {"LiBi-B32", "LiBi3-D03"}


def test_b32_prototype_is_duplicate_of_b32_at_other_lattice_constant():
    """The matcher ignores scale: a B32 LiAl at any a is the same structure."""
    from dataclasses import replace

    c = prototype_candidate("B32", "Al")
    scaled = c.structure.copy()
    scaled.scale_lattice(c.structure.volume * 0.8)
    fake_known = replace(c, id="LiAl-B32-known", source="known", structure=scaled)
    kept, dropped = deduplicate([fake_known, c])
    assert [k.id for k in kept] == ["LiAl-B32-known"]
    assert dropped[0]["dropped"] == "LiAl-B32"
    # B2 LiAl is not a duplicate of B32 LiAl
    kept, _ = deduplicate([fake_known, prototype_candidate("B2", "Al")])
    assert len(kept) == 2
