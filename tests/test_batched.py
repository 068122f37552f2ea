"""Batched single points: same energies as the per-structure loop, fall-back, call counting."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from alloyscreen.properties.batched import BATCH_ATTRIBUTE, energies, has_batched_path
from alloyscreen.properties.counting import count_calls


def _cells(n: int = 5) -> list:
    """54-atom cells (3x3x3 bcc Li, B2 LiAl), rattled differently, plus a smaller one."""
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        base = (
            bulk("Li", "bcc", a=3.44, cubic=True)
            if i % 2
            else bulk("LiAl", "cesiumchloride", a=3.2)
        )
        atoms = base * (3, 3, 3)
        atoms.positions += rng.normal(0, 0.05, atoms.positions.shape)
        out.append(atoms)
    out.append(bulk("Li", "bcc", a=3.5, cubic=True) * (2, 2, 2))  # 16 atoms: sizes may differ
    return out


def lj():
    return LennardJones(sigma=2.3, epsilon=0.1, rc=6.0, smooth=True)


def test_loop_fallback_equals_get_potential_energy_and_counts():
    cells = _cells(3)
    calc = lj()
    assert not has_batched_path(calc)
    with count_calls(calc) as counter:
        values = energies(cells, calc)
    assert counter.n_calls == len(cells)
    for atoms, e in zip(cells, values, strict=True):
        ref = atoms.copy()
        ref.calc = lj()
        assert e == pytest.approx(ref.get_potential_energy(), abs=1e-12)
        assert atoms.calc is None  # inputs untouched
    assert energies([], calc) == []
    with pytest.raises(ValueError, match="batch_size"):
        energies(cells, calc, batch_size=0)


def test_batched_attribute_is_used_counted_and_falls_back_on_not_implemented():
    cells = _cells(3)
    calc = lj()
    seen = []

    def fake(c, atoms_list, batch_size):
        seen.append((len(atoms_list), batch_size))
        return [1.0 * len(a) for a in atoms_list]

    setattr(calc, BATCH_ATTRIBUTE, fake)
    with count_calls(calc) as outer, count_calls(calc) as inner:
        values = energies(cells, calc, batch_size=4)
    assert seen == [(len(cells), 4)]
    assert values == [float(len(a)) for a in cells]
    assert outer.n_calls == inner.n_calls == len(cells)

    def refuse(c, atoms_list, batch_size):
        raise NotImplementedError("not for this model")

    setattr(calc, BATCH_ATTRIBUTE, refuse)
    looped = energies(cells, calc)
    assert looped == energies(cells, lj(), batched=False)
    assert looped != values

    def short(c, atoms_list, batch_size):
        return [0.0]

    setattr(calc, BATCH_ATTRIBUTE, short)
    with pytest.raises(RuntimeError, match="returned 1 energies"):
        energies(cells, calc)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["chgnet", "sevenn"])
def test_ml_batched_energies_match_the_loop(name):
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} not installed (extra 'ml')")
    from alloyscreen.calculators import get_calculator

    calc, _ = get_calculator(name, device="cpu")
    assert has_batched_path(calc)
    cells = _cells(5)
    with count_calls(calc) as counter:
        batched = energies(cells, calc, batch_size=4)  # two forward passes, mixed sizes
    assert counter.n_calls == len(cells)
    looped = energies(cells, calc, batched=False)
    for atoms, eb, el in zip(cells, batched, looped, strict=True):
        assert abs(eb - el) / len(atoms) < 1e-4
    # the structures differ enough that a mix-up of the order would fail the comparison
    per_atom = [e / len(a) for e, a in zip(looped, cells, strict=True)]
    assert min(abs(a - b) for a, b in itertools.pairwise(per_atom)) > 1e-3


def test_adhesion_scan_goes_through_the_batched_path_with_the_same_result():
    from alloyscreen.properties.adhesion import work_of_adhesion

    options = {
        "millers": [[1, 1, 1]],
        "li_millers": [[1, 1, 0]],
        "substrate_layers": 3,
        "li_layers": 3,
        "fixed_layers": 1,
        "registry_grid": 2,
        "gap_factors": [0.95, 1.05],
        "n_relax": 1,
        "max_steps": 5,
        "li_lattice_A": 3.44,
        "max_atoms": 60,
    }
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    plain = work_of_adhesion(cu, lj(), **options)
    calc = lj()
    sizes = []

    def through_another_instance(c, atoms_list, batch_size):
        sizes.append(len(atoms_list))
        return energies(atoms_list, lj(), batched=False)

    setattr(calc, BATCH_ATTRIBUTE, through_another_instance)
    batched = work_of_adhesion(cu, calc, **options)
    n_scan = sum(r.stage == "scan" for r in batched.records)
    assert sizes == [n_scan + 2]  # one call: both halves and every scan point of the termination
    assert n_scan >= 2
    assert [r.energy_eV for r in batched.records] == [r.energy_eV for r in plain.records]
    assert batched.w_adh_J_m2 == plain.w_adh_J_m2
    assert batched.n_force_calls == plain.n_force_calls  # batched evaluations are counted
