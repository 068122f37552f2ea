"""Batched single points and relaxations: agreement with the per-structure loop, fall-back,
call counting, constraints, bad input."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.constraints import FixAtoms

from alloyscreen.errors import InputError
from alloyscreen.properties.batched import (
    BATCH_ATTRIBUTE,
    OPTIMIZERS,
    RELAX_ATTRIBUTE,
    RelaxedStructure,
    energies,
    has_batched_path,
    has_batched_relax,
    relax,
)
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


def test_adhesion_relaxes_every_kept_termination_in_one_batched_call_when_asked():
    from alloyscreen.properties.adhesion import work_of_adhesion

    options = {
        "millers": [[1, 0, 0], [1, 1, 1]],
        "li_millers": [[1, 1, 0]],
        "substrate_layers": 3,
        "li_layers": 3,
        "fixed_layers": 1,
        "registry_grid": 1,
        "gap_factors": [1.0],
        "n_relax": 1,
        "max_steps": 5,
        "li_lattice_A": 3.44,
        "max_atoms": 60,
        "max_terminations": 0,
    }
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    plain = work_of_adhesion(cu, lj(), **options)
    n_terms = len(plain.terminations)
    assert n_terms >= 2, "the test needs several terminations"
    calc = lj()
    sizes = []

    def through_the_loop(c, atoms_list, *, fmax, max_steps, batch_size):
        sizes.append(len(atoms_list))
        return relax(atoms_list, lj(), fmax=fmax, max_steps=max_steps, batched=False)

    setattr(calc, RELAX_ATTRIBUTE, through_the_loop)
    off = work_of_adhesion(cu, calc, **options)
    assert sizes == []  # off by default: the loop with the chosen optimizer
    assert off.w_adh_J_m2 == plain.w_adh_J_m2
    on = work_of_adhesion(cu, calc, **options, batched_relax=True)
    # one call: substrate, film and one interface per termination, all terminations together
    assert sizes == [3 * n_terms]
    # this stand-in runs the same LBFGS loop, so the numbers are the loop's
    assert [t.w_adh_J_m2 for t in on.terminations] == [t.w_adh_J_m2 for t in plain.terminations]
    assert on.n_force_calls == plain.n_force_calls
    with pytest.raises(InputError, match="batched_relax"):
        work_of_adhesion(cu, lj(), **options, batched_relax="yes")


# --- relaxations --------------------------------------------------------------------------------


def _emt_cells() -> list:
    """Rattled Cu/Al/Ni cells of different sizes; one with its bottom atoms fixed."""
    rng = np.random.default_rng(11)
    out = []
    for symbol, a, rep in [
        ("Cu", 3.615, (2, 2, 2)),
        ("Al", 4.05, (1, 1, 2)),
        ("Ni", 3.52, (2, 2, 1)),
    ]:
        atoms = bulk(symbol, "fcc", a=a, cubic=True) * rep
        atoms.positions += rng.normal(0, 0.08, atoms.positions.shape)
        out.append(atoms)
    low = out[2].positions[:, 2] < 1.0
    out[2].set_constraint(FixAtoms(mask=low))
    return out


@pytest.mark.parametrize("optimizer", ["LBFGS", "BFGS", "FIRE"])
def test_relax_loop_is_a_plain_ase_optimizer_run_bit_for_bit(optimizer):
    from ase.calculators.emt import EMT

    def _relax(atoms, calc, *, fmax, max_steps, optimizer):
        work = atoms.copy()
        work.calc = calc
        opt = OPTIMIZERS[optimizer](work, logfile=None)
        conv = bool(opt.run(fmax=fmax, steps=max_steps))
        return work.get_potential_energy(), work, conv, opt.nsteps

    cells = _emt_cells()
    before = [a.positions.copy() for a in cells]
    calc = EMT()
    with count_calls(calc) as counter:
        results = relax(cells, calc, fmax=0.05, max_steps=60, optimizer=optimizer)
    assert not has_batched_relax(calc)
    assert counter.n_calls == sum(1 + r.n_steps for r in results)  # one evaluation per step + 1
    for atoms, r, pos in zip(cells, results, before, strict=True):
        e, ref, conv, steps = _relax(atoms, EMT(), fmax=0.05, max_steps=60, optimizer=optimizer)
        assert r.energy_eV == e
        assert np.array_equal(r.atoms.positions, ref.positions)
        assert (r.converged, r.n_steps) == (conv, steps)
        assert r.atoms.calc is None
        assert np.array_equal(atoms.positions, pos)
        assert atoms.calc is None
    assert all(r.converged and r.n_steps > 0 for r in results)
    fixed = cells[2].constraints[0].get_indices()
    assert len(fixed) > 0
    assert np.array_equal(results[2].atoms.positions[fixed], cells[2].positions[fixed])
    assert [type(c) for c in results[2].atoms.constraints] == [FixAtoms]
    moved = np.delete(results[2].atoms.positions - cells[2].positions, fixed, axis=0)
    assert np.abs(moved).max() > 1e-3


def test_relax_step_limit_and_bad_input():
    from ase.calculators.emt import EMT

    cells = _emt_cells()
    (first,) = relax(cells[:1], EMT(), fmax=1e-4, max_steps=3)
    assert (first.n_steps, first.converged) == (3, False)
    (none,) = relax(cells[:1], EMT(), fmax=0.05, max_steps=0)
    assert none.n_steps == 0
    assert not none.converged
    assert np.array_equal(none.atoms.positions, cells[0].positions)
    assert relax([], EMT(), fmax=0.05, max_steps=10) == []
    for kwargs, match in [
        ({"fmax": 0.0, "max_steps": 10}, "fmax must be > 0"),
        ({"fmax": float("nan"), "max_steps": 10}, "fmax must be > 0"),
        ({"fmax": 0.05, "max_steps": -1}, "max_steps must be >= 0"),
        ({"fmax": 0.05, "max_steps": 10, "optimizer": "CG"}, "unknown optimizer 'CG'"),
        ({"fmax": 0.05, "max_steps": 10, "batch_size": 0}, "batch_size must be >= 1"),
    ]:
        with pytest.raises(InputError, match=match):
            relax(cells, EMT(), **kwargs)


def test_batched_relax_attribute_is_used_counted_and_falls_back():
    from ase.calculators.emt import EMT

    cells = _emt_cells()
    calc = EMT()
    seen = []

    def fake(c, atoms_list, *, fmax, max_steps, batch_size):
        seen.append((len(atoms_list), fmax, max_steps, batch_size))
        return [RelaxedStructure(-1.0, a.copy(), True, 4) for a in atoms_list]

    setattr(calc, RELAX_ATTRIBUTE, fake)
    with count_calls(calc) as counter:
        out = relax(cells, calc, fmax=0.1, max_steps=7, batch_size=2)
    assert seen == [(3, 0.1, 7, 2)]
    assert [r.energy_eV for r in out] == [-1.0] * 3
    assert counter.n_calls == 3 * (1 + 4)
    looped = relax(cells, calc, fmax=0.1, max_steps=7, batched=False)
    assert [r.energy_eV for r in looped] == [
        r.energy_eV for r in relax(cells, EMT(), fmax=0.1, max_steps=7)
    ]

    def refuse(c, atoms_list, **kwargs):
        raise NotImplementedError("constraint FixBondLength")

    setattr(calc, RELAX_ATTRIBUTE, refuse)
    assert [r.energy_eV for r in relax(cells, calc, fmax=0.1, max_steps=7)] == [
        r.energy_eV for r in looped
    ]
    setattr(calc, RELAX_ATTRIBUTE, lambda c, atoms_list, **kwargs: [])
    with pytest.raises(RuntimeError, match="returned 0 relaxations for 3"):
        relax(cells, calc, fmax=0.1, max_steps=7)


def _torchsim_or_skip():
    if importlib.util.find_spec("torch_sim") is None:
        pytest.skip("torch-sim not installed: pip install 'alloyscreen[batched]'")


def _ase_model(factory):
    """A torch-sim model (float64, CPU) evaluating each system of a state with an ASE calculator:
    the batched FIRE driver on forces identical to the ASE loop's."""
    import torch
    from ase import Atoms
    from torch_sim.models.interface import ModelInterface

    class AseModel(ModelInterface):
        def __init__(self):
            super().__init__()
            self._device = torch.device("cpu")
            self._dtype = torch.float64
            self._compute_forces = True
            self._compute_stress = False

        def forward(self, state, **kwargs):
            energy, forces = [], []
            for k in range(state.n_systems):
                mask = state.system_idx == k
                atoms = Atoms(
                    numbers=state.atomic_numbers[mask].numpy(),
                    positions=state.positions[mask].numpy(),
                    cell=state.row_vector_cell[k].numpy(),
                    pbc=True,
                )
                atoms.calc = factory()
                energy.append(atoms.get_potential_energy())
                forces.append(atoms.get_forces())
            return {
                "energy": torch.tensor(energy, dtype=torch.float64),
                "forces": torch.tensor(np.concatenate(forces)),
            }

    return AseModel()


def test_torchsim_fire_driver_takes_ases_fire_steps():
    """In float64 on the same forces: the batched driver takes exactly ASE FIRE's first steps;
    a whole relaxation does not depend on how many structures are in flight (1, 2 or 3 of 4 cells
    of 4-32 atoms, so structures leave and join mid-run: bit for bit the same); and it ends
    within 1e-2 Å and 1e-4 eV of ASE's FIRE after a similar number of steps (torch-sim lowers
    FIRE's alpha before the velocity mixing, ASE after: trajectories drift apart slowly)."""
    _torchsim_or_skip()
    from ase.optimize import FIRE

    from alloyscreen.torchsim_relax import relax_with_model

    def argon():
        return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=False)

    def ase_fire(atoms, max_steps):
        work = atoms.copy()
        work.calc = argon()
        opt = FIRE(work, logfile=None)
        converged = opt.run(fmax=1e-3, steps=max_steps)
        return work, converged, opt.nsteps

    rng = np.random.default_rng(5)
    cells = []
    for rep in [(2, 2, 2), (1, 1, 2), (2, 1, 1), (1, 1, 1)]:
        atoms = bulk("Ar", "fcc", a=5.26, cubic=True) * rep
        atoms.positions += rng.normal(0, 0.1, atoms.positions.shape)
        cells.append(atoms)
    cells[2].set_constraint(FixAtoms(indices=[0, 1, 2]))
    model = _ase_model(argon)

    first = relax_with_model(model, cells, fmax=1e-3, max_steps=4, batch_size=2)
    for atoms, r in zip(cells, first, strict=True):
        work, converged, n_steps = ase_fire(atoms, 4)
        assert (r.n_steps, r.converged) == (n_steps, converged) == (4, False)
        assert np.abs(r.atoms.positions - work.positions).max() < 1e-12

    runs = {
        b: relax_with_model(model, cells, fmax=1e-3, max_steps=500, batch_size=b) for b in (1, 2, 3)
    }
    for b in (2, 3):
        for one, many in zip(runs[1], runs[b], strict=True):
            assert np.array_equal(one.atoms.positions, many.atoms.positions)
            assert (one.energy_eV, one.n_steps, one.converged) == (
                many.energy_eV,
                many.n_steps,
                many.converged,
            )
    for atoms, r, early in zip(cells, runs[2], first, strict=True):
        work, converged, n_steps = ase_fire(atoms, 500)
        assert r.converged
        assert converged
        assert abs(r.n_steps - n_steps) <= 0.2 * n_steps
        assert np.abs(r.atoms.positions - work.positions).max() < 1e-2
        assert r.energy_eV == pytest.approx(work.get_potential_energy(), abs=1e-4)
        assert r.energy_eV < early.energy_eV
    relaxed = runs[2][2].atoms.positions
    assert np.array_equal(relaxed[:3], cells[2].positions[:3])
    assert np.abs(relaxed[3:] - cells[2].positions[3:]).max() > 1e-3


def test_torchsim_path_refuses_what_it_cannot_do():
    """Other constraints and partly periodic cells: NotImplementedError, so relax() loops."""
    _torchsim_or_skip()
    from ase.calculators.emt import EMT
    from ase.constraints import FixBondLength

    from alloyscreen.torchsim_relax import relax_with_model

    cells = _emt_cells()
    bonded = cells[0].copy()
    bonded.set_constraint(FixBondLength(0, 1))
    slab = cells[1].copy()
    slab.pbc = (True, True, False)
    for atoms, match in [(bonded, "FixBondLength"), (slab, "periodic in 3 directions")]:
        with pytest.raises(NotImplementedError, match=match):
            relax_with_model(None, [atoms], fmax=0.05, max_steps=5, batch_size=None)
    calc = EMT()
    setattr(
        calc, RELAX_ATTRIBUTE, lambda c, atoms_list, **kw: relax_with_model(None, atoms_list, **kw)
    )
    (out,) = relax([bonded], calc, fmax=0.05, max_steps=5)
    (ref,) = relax([bonded], EMT(), fmax=0.05, max_steps=5)
    assert out.energy_eV == ref.energy_eV


def _sevenn_or_skip():
    if importlib.util.find_spec("sevenn") is None:
        pytest.skip("sevenn not installed (extra 'ml')")
    if importlib.util.find_spec("torch_sim") is None:
        pytest.skip("torch-sim not installed: pip install 'alloyscreen[batched]'")
    from alloyscreen.calculators import get_calculator

    calc, _ = get_calculator("sevenn", device="cpu")
    assert has_batched_relax(calc)
    return calc


def _li_cells() -> list:
    """Three rattled cells of different sizes (8, 16, 16 atoms); the last with 4 atoms fixed."""
    rng = np.random.default_rng(3)
    out = [
        bulk("LiAl", "cesiumchloride", a=3.2) * (2, 2, 1),
        bulk("Li", "bcc", a=3.44, cubic=True) * (2, 2, 2),
        bulk("LiAl", "cesiumchloride", a=3.2) * (2, 2, 2),
    ]
    for atoms in out:
        atoms.positions += rng.normal(0, 0.08, atoms.positions.shape)
    out[2].set_constraint(FixAtoms(indices=[0, 1, 2, 3]))
    return out


@pytest.mark.slow
def test_sevenn_batched_relax_agrees_with_the_ase_loop():
    """torch-sim FIRE (float32, one batch of three sizes) vs ASE LBFGS, both to fmax 0.05 eV/Å:
    relaxed energies within 3 meV/atom, both below the unrelaxed energy, fixed atoms unmoved,
    converged flags true to the forces of the returned structures."""
    calc = _sevenn_or_skip()
    cells = _li_cells()
    e0 = energies(cells, calc, batched=False)
    with count_calls(calc) as counter:
        batched = relax(cells, calc, fmax=0.05, max_steps=300, batch_size=3)
    assert counter.n_calls == sum(1 + r.n_steps for r in batched)
    looped = relax(cells, calc, fmax=0.05, max_steps=300, batched=False)
    fixed = [0, 1, 2, 3]
    for atoms, b, loop, e in zip(cells, batched, looped, e0, strict=True):
        n = len(atoms)
        assert b.converged
        assert loop.converged
        assert abs(b.energy_eV - loop.energy_eV) / n < 3e-3
        assert b.energy_eV < e - 0.01
        assert loop.energy_eV < e - 0.01
        check = b.atoms.copy()
        check.calc = calc
        assert np.linalg.norm(check.get_forces(), axis=1).max() < 0.05 + 2e-3  # float32 path
        assert abs(check.get_potential_energy() - b.energy_eV) / n < 1e-5
    assert np.array_equal(batched[2].atoms.positions[fixed], cells[2].positions[fixed])
    assert np.abs(batched[2].atoms.positions - cells[2].positions).max() > 0.01
    assert [type(c) for c in batched[2].atoms.constraints] == [FixAtoms]
    # a step limit below what FIRE needs: honest flags, exactly max_steps steps
    short = relax(cells, calc, fmax=0.01, max_steps=3, batch_size=2)
    assert all(r.n_steps == 3 and not r.converged for r in short)


def test_sevenn_without_torchsim_has_no_batched_relax_and_loops(monkeypatch):
    """The missing extra changes nothing but the path: no attribute, relax() runs the loop."""
    if importlib.util.find_spec("sevenn") is None:
        pytest.skip("sevenn not installed (extra 'ml')")
    import alloyscreen.torchsim_relax as tsr
    from alloyscreen.calculators import get_calculator

    monkeypatch.setattr(tsr, "torchsim_available", lambda: False)
    calc, _ = get_calculator("sevenn", device="cpu")
    assert has_batched_path(calc)
    assert not has_batched_relax(calc)
    (cell,) = _li_cells()[:1]
    with count_calls(calc) as counter:
        (out,) = relax([cell], calc, fmax=0.05, max_steps=2)
    assert counter.n_calls == 1 + out.n_steps == 3  # the ASE loop, through calc.calculate
