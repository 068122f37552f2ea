"""Li-rich bcc solid solutions (SQS): determinism, composition, quasirandomness."""

from __future__ import annotations

import numpy as np
import pytest

from alloyscreen.errors import InputError
from alloyscreen.structures.solid_solutions import (
    bcc_positions,
    parse_solid_solution_spec,
    shell_pairs,
    solid_solution_candidate,
)


def test_same_seed_same_structure_other_seed_differs():
    a = solid_solution_candidate("Mg", 0.1, seed=3, n_steps=1500)
    b = solid_solution_candidate("Mg", 0.1, seed=3, n_steps=1500)
    c = solid_solution_candidate("Mg", 0.1, seed=4, n_steps=1500)
    assert a.structure.as_dict() == b.structure.as_dict()
    assert a.id == b.id != c.id
    assert a.structure.as_dict() != c.structure.as_dict()


@pytest.mark.parametrize(("x", "n_mg"), [(0.05, 3), (0.1, 5), (0.3, 16)])
def test_composition_and_cell(x, n_mg):
    c = solid_solution_candidate("Mg", x, n_steps=500)
    assert len(c.structure) == 54
    assert c.structure.composition["Mg"] == n_mg
    assert c.provenance["actual_fraction"] == pytest.approx(n_mg / 54, abs=1e-6)
    # bcc neighbour distance sqrt(3)/2 a everywhere
    a = c.provenance["lattice_a_A"]
    d = c.structure.distance_matrix
    assert d[d > 0].min() == pytest.approx(np.sqrt(3) / 2 * a, rel=1e-6)


def test_bcc_shells():
    frac = bcc_positions(3)
    pairs = shell_pairs(frac, 3)
    # coordination numbers 8, 6, 12 -> pairs = N * z / 2
    assert [len(p) for p in pairs] == [54 * 8 // 2, 54 * 6 // 2, 54 * 12 // 2]


def test_sqs_is_closer_to_random_alloy_than_a_random_draw():
    sqs = solid_solution_candidate("Mg", 0.3, seed=1, n_steps=3000)
    rnd = solid_solution_candidate("Mg", 0.3, seed=1, method="random")
    assert sqs.provenance["objective"] < rnd.provenance["objective"]
    target = sqs.provenance["random_alloy_target"]
    assert target == pytest.approx((2 * 16 / 54 - 1) ** 2, abs=1e-6)
    assert max(abs(p - target) for p in sqs.provenance["pair_correlations"]) < 0.03


def test_spec_parsing_and_errors():
    assert parse_solid_solution_spec("Mg:0.05,0.1") == {"Mg": (0.05, 0.1)}
    assert parse_solid_solution_spec("Mg:0.05;Zn:0.1") == {"Mg": (0.05,), "Zn": (0.1,)}
    with pytest.raises(InputError, match="ELEMENT:x1"):
        parse_solid_solution_spec("Mg0.05")
    with pytest.raises(InputError, match=r"between 0 and 0\.5"):
        solid_solution_candidate("Mg", 0.7)
    with pytest.raises(InputError, match="rounds to 0"):
        solid_solution_candidate("Mg", 0.001)
