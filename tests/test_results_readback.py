"""Typed read-back: stored result dictionaries become the frozen result dataclasses again."""

from __future__ import annotations

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from alloyscreen.properties.bulk import BulkRelaxResult, relax_bulk
from alloyscreen.properties.migration import HopResult, MigrationResult, migration_barriers
from alloyscreen.results import from_record, result_type, typed_result
from alloyscreen.serialization import from_jsonable, to_jsonable


def _stored(result):
    """What the store hands back: ``from_jsonable(to_jsonable(result))``."""
    return from_jsonable(to_jsonable(result))


@pytest.fixture(scope="module")
def migration_result():
    return migration_barriers(
        bulk("Al", "fcc", a=4.05), EMT(), species="Al", min_length_A=7.0, max_hops=1, n_images=3
    )


def test_migration_result_round_trips_with_nested_types(migration_result):
    back = from_record(MigrationResult, _stored(migration_result))
    assert isinstance(back, MigrationResult)
    (hop,) = back.hops
    assert isinstance(hop, HopResult)
    assert hop.barrier_eV == migration_result.hops[0].barrier_eV
    assert isinstance(back.supercell_matrix, tuple)
    assert all(isinstance(row, tuple) for row in back.supercell_matrix)
    assert back.arrhenius_D_cm2_s == migration_result.arrhenius_D_cm2_s
    assert len(back.atoms) == len(migration_result.atoms)
    assert len(hop.images) == 5  # n_images + 2 endpoints, restored as Atoms
    assert hop.images[2].positions == pytest.approx(migration_result.hops[0].images[2].positions)
    # equal field by field, structures aside
    skip = {"atoms", "hops", "network"}
    for name in MigrationResult.__dataclass_fields__:
        if name not in skip:
            assert getattr(back, name) == getattr(migration_result, name), name


def test_bulk_result_and_partial_records():
    res = relax_bulk(bulk("Cu", "fcc", a=3.7), EMT(), fmax=0.05)
    back = from_record(BulkRelaxResult, _stored(res))
    assert back.energy_per_atom_eV == res.energy_per_atom_eV
    assert back.lattice_abc_A == res.lattice_abc_A
    partial = from_record(BulkRelaxResult, {"formula": "Cu", "unknown_key": 1})
    assert partial.formula == "Cu"
    assert partial.energy_eV is None  # missing -> None, never invented


def test_every_task_kind_declares_its_result_type():
    for kind in ("relax", "adhesion", "migration", "surface_energy", "vacancy_hop"):
        cls = result_type(kind)
        assert cls is not None
        assert cls.__dataclass_params__.frozen, kind


def test_typed_result_of_a_row(migration_result):
    class Row:
        kind = "migration"
        result = _stored(migration_result)

    assert typed_result(Row()).network_barrier_eV == migration_result.network_barrier_eV
    Row.result = None
    assert typed_result(Row()) is None
