"""Batched position relaxations of SevenNet structures with torch-sim's FIRE (extra ``batched``).

:mod:`alloyscreen.calculators` attaches :func:`sevenn_batch_relax` to the SevenNet calculators it
builds when ``torch_sim`` (PyPI ``torch-sim-atomistic``) is importable;
:func:`alloyscreen.properties.batched.relax` calls it through
:data:`~alloyscreen.properties.batched.RELAX_ATTRIBUTE` and falls back to the per-structure ASE
loop when it raises :class:`NotImplementedError` (constraints other than ``FixAtoms``, cells that
are not periodic in all three directions, per-atom virials).

What runs: torch-sim's batched FIRE in its ASE flavour (``ts.optimizers.fire(md_flavor=
"ase_fire")``; ASE's default parameters: dt 0.1, dt_max 1.0, N_min 5, f_inc 1.1, f_dec 0.5,
alpha 0.1, f_alpha 0.99, max step 0.2 Å) on up to ``batch_size`` structures at once, on the
device of the calculator's model, in float32. Structures leave the batch when they converge or
reach ``max_steps`` and the next ones in the queue take their places (in-flight batching), so a
structure is never stepped past its own convergence. Per structure the step/convergence rule is
ASE's ``Optimizer.run(fmax, steps)``: check, then step while not converged and fewer than
``max_steps`` steps; converged means the largest force norm on a free atom is below ``fmax``.
The first steps are ASE's FIRE steps (tests/test_batched.py checks them in float64 against
ASE's ``FIRE``); once ``N_min`` steps in a row went downhill, torch-sim lowers alpha before the
velocity mixing and ASE after it, so longer trajectories drift apart slightly. A structure's
trajectory does not depend on which others share its batch (bit for bit in float64 with a
per-structure model; a batched float32 network may differ in the last bits).

Neither model wrapper shipped with the installed packages runs (torch-sim 0.3.0's
``torch_sim.models.sevennet`` imports a name sevenn 0.13 no longer has; sevenn 0.13's
``sevenn.torchsim`` needs a torch-sim newer than 0.3.0), so :class:`SevenNetTorchSimModel`
builds SevenNet's collated graph batch itself (vesin neighbour lists, as both wrappers do).
torch-sim 0.3.0 has no constraints: forces on ``FixAtoms`` atoms are zeroed after every
evaluation, and ASE-FIRE then never moves them (their velocity stays zero).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.constraints import FixAtoms

from alloyscreen.properties.batched import RelaxedStructure

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

__all__ = [
    "RELAX_BATCH_SIZE",
    "make_sevenn_model",
    "relax_with_model",
    "sevenn_batch_relax",
    "torchsim_available",
]

#: Structures relaxed at once when the caller leaves it open. CPU: one (8 rattled 54-atom cells,
#: one thread, benchmarks/bench_batched.py: 109 relaxations/h with 1 in flight, 101/h with 8, 86/h
#: for the ASE LBFGS loop; FIRE took as many evaluations as LBFGS, 52.6 vs 52.2 per cell, and the
#: per-evaluation cost is lower than the ASE calculator's). GPU: enough 54-atom cells to fill an
#: H200 (benchmarks/device_throughput.py measures it; untested here, no GPU was lent).
RELAX_BATCH_SIZE = {"cpu": 1, "cuda": 256}

#: FIRE's start time step (ASE's ``dt`` default, in ASE's internal units).
_DT_START = 0.1
#: torch-sim's FIRE time step decrease factor (ASE's ``fdec``).
_F_DEC = 0.5


def torchsim_available() -> bool:
    """Whether ``torch_sim`` can be imported here (the ``batched`` extra); imports nothing."""
    import importlib.util

    return importlib.util.find_spec("torch_sim") is not None


def _model_interface() -> type:
    from torch_sim.models.interface import ModelInterface

    return ModelInterface


def _fixed_mask(atoms: Atoms) -> np.ndarray:
    """Per-atom bool, True for atoms held by ``FixAtoms``; other constraints are refused."""
    mask = np.zeros(len(atoms), dtype=bool)
    for constraint in atoms.constraints:
        if not isinstance(constraint, FixAtoms):
            raise NotImplementedError(
                f"constraint {type(constraint).__name__}: only FixAtoms in the batched path"
            )
        mask[constraint.get_indices()] = True
    return mask


def make_sevenn_model(calc: Calculator) -> Any:
    """A torch-sim model (:class:`SevenNetTorchSimModel`) on the calculator's own SevenNet network
    and device; the network is shared, not copied, and stays usable by the ASE calculator."""
    import torch
    import torch_sim  # noqa: F401  (fails early, with the extra's name, when missing)

    base = _model_interface()

    class SevenNetTorchSimModel(base):  # type: ignore[misc, valid-type]
        """SevenNet energies and forces of a torch-sim state (float32, model's device).

        The graph of each structure is built from a vesin full neighbour list (on the CPU, in
        float64, like torch-sim's own wrappers) and the structures are collated into one SevenNet
        batch. The network is switched to batch mode only inside :meth:`forward`.
        """

        def __init__(self, calc: Calculator) -> None:
            super().__init__()
            self.network = calc.model
            self.cutoff_A = float(calc.cutoff)
            self.modal = calc.modal
            self._device = torch.device(calc.device)
            self._dtype = torch.float32
            self._compute_forces = True
            self._compute_stress = False
            self._memory_scales_with = "n_atoms_x_density"

        def forward(self, state: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
            import sevenn._keys as KEY
            from sevenn.atom_graph_data import AtomGraphData
            from torch_geometric.loader.dataloader import Collater
            from vesin_torch import NeighborList

            if not state.pbc:
                raise NotImplementedError("non-periodic state: no batched path")
            nl = NeighborList(self.cutoff_A, full_list=True)
            positions = state.positions.to(self._device, self._dtype)
            cells = state.row_vector_cell.to(self._device, self._dtype)
            pos_cpu = state.positions.detach().cpu().double()
            cell_cpu = state.row_vector_cell.detach().cpu().double()
            counts = state.system_idx.bincount().tolist()
            graphs = []
            start = 0
            for k, n in enumerate(counts):
                i, j, shift = nl.compute(
                    pos_cpu[start : start + n], cell_cpu[k], True, quantities="ijS"
                )
                edge = torch.stack((i, j)).to(self._device, torch.long)
                shift = shift.to(self._device, self._dtype)
                pos = positions[start : start + n]
                numbers = state.atomic_numbers[start : start + n].to(self._device, torch.long)
                data = {
                    KEY.NODE_FEATURE: numbers,
                    KEY.ATOMIC_NUMBERS: numbers,
                    KEY.POS: pos,
                    KEY.EDGE_IDX: edge,
                    KEY.EDGE_VEC: pos[edge[1]] - pos[edge[0]] + shift @ cells[k],
                    KEY.CELL: cells[k],
                    KEY.CELL_SHIFT: shift,
                    KEY.CELL_VOLUME: torch.det(cells[k]),
                    KEY.NUM_ATOMS: torch.tensor(n, device=self._device),
                    KEY.INFO: {},
                }
                if self.modal:
                    data[KEY.DATA_MODALITY] = self.modal
                graphs.append(AtomGraphData(**data))
                start += n
            batch = Collater([], follow_batch=None, exclude_keys=None)(graphs)
            batch.to(self._device)
            self.network.set_is_batch_data(True)
            try:
                with torch.enable_grad():
                    output = self.network(batch)
            finally:
                self.network.set_is_batch_data(False)
            return {
                "energy": output[KEY.PRED_TOTAL_ENERGY].detach().reshape(-1),
                "forces": output[KEY.PRED_FORCE].detach(),
            }

    return SevenNetTorchSimModel(calc)


def _take(state: Any, keep: list[int]) -> Any:
    """The systems ``keep`` (ascending) of a torch-sim state, in order (what ``state[keep]``
    does, with the system indices renumbered on the device instead of atom by atom in Python)."""
    import torch
    from torch_sim.state import get_attrs_for_scope

    system_mask = torch.zeros(state.n_systems, dtype=torch.bool, device=state.device)
    system_mask[torch.as_tensor(keep, device=state.device)] = True
    atom_mask = system_mask[state.system_idx]
    renumber = torch.cumsum(system_mask.long(), 0) - 1
    attrs = dict(get_attrs_for_scope(state, "global"))
    for name, value in get_attrs_for_scope(state, "per-atom"):
        attrs[name] = renumber[value[atom_mask]] if name == "system_idx" else value[atom_mask]
    for name, value in get_attrs_for_scope(state, "per-system"):
        attrs[name] = value[system_mask]
    return type(state)(**attrs)


def _batch_size(batch_size: int | None, device: Any) -> int:
    if batch_size is not None:
        return batch_size
    return RELAX_BATCH_SIZE["cuda" if str(device).startswith("cuda") else "cpu"]


def sevenn_batch_relax(
    calc: Calculator,
    atoms_list: Sequence[Atoms],
    *,
    fmax: float,
    max_steps: int,
    batch_size: int | None,
) -> list[RelaxedStructure]:
    """Relax the positions of ``atoms_list`` together (cell fixed) with torch-sim's FIRE on the
    SevenNet network of ``calc`` (its cutoff, modality and device; no copy).

    The batched-relaxation function :mod:`alloyscreen.calculators` attaches to SevenNet
    calculators; arguments and result as :func:`relax_with_model`. Per-atom virials raise
    :class:`NotImplementedError` (the loop runs).
    """
    if getattr(calc, "compute_atomic_virial", False):
        raise NotImplementedError("SevenNet with per-atom virials: no batched path")
    if not hasattr(calc.model, "set_is_batch_data"):
        raise NotImplementedError("SevenNet model without a batch mode (TorchScript): no batch")
    _check(atoms_list)
    return relax_with_model(
        make_sevenn_model(calc),
        atoms_list,
        fmax=fmax,
        max_steps=max_steps,
        batch_size=batch_size,
    )


def _check(atoms_list: Sequence[Atoms]) -> list[np.ndarray]:
    for atoms in atoms_list:
        if not all(atoms.pbc):
            raise NotImplementedError("batched relaxation needs cells periodic in 3 directions")
    return [_fixed_mask(atoms) for atoms in atoms_list]


def relax_with_model(
    model: Any,
    atoms_list: Sequence[Atoms],
    *,
    fmax: float,
    max_steps: int,
    batch_size: int | None,
) -> list[RelaxedStructure]:
    """Relax the positions of ``atoms_list`` together (cell fixed) with torch-sim's FIRE.

    Parameters
    ----------
    model : torch_sim.models.interface.ModelInterface
        Energies (eV) and forces (eV/Å) of a batched state, on its device and dtype.
    atoms_list : sequence of ase.Atoms
        Periodic in all three directions; ``FixAtoms`` constraints are honoured (others raise
        :class:`NotImplementedError`).
    fmax : float
        Convergence threshold on the largest force norm on a free atom (eV/Å).
    max_steps : int
        Optimizer steps allowed per structure.
    batch_size : int or None
        Structures in flight at once (None: :data:`RELAX_BATCH_SIZE` for the device).

    Returns
    -------
    list of RelaxedStructure
        In input order; ``energy_eV`` at the final positions, which are the input positions plus
        the displacements in the model's dtype (fixed atoms keep their input coordinates bit for
        bit).
    """
    masks = _check(atoms_list)  # refuses other constraints before anything is imported
    import torch
    import torch_sim as ts
    from torch_sim.optimizers import fire

    device, dtype = model.device, model.dtype
    size = _batch_size(batch_size, device)
    init_fn, step_fn = fire(model=model, dt_start=_DT_START, f_dec=_F_DEC, md_flavor="ase_fire")
    queue = list(range(len(atoms_list)))[::-1]  # pop() takes the next one
    results: dict[int, RelaxedStructure] = {}
    initial: dict[int, np.ndarray] = {}  # start positions as the state holds them (its dtype)
    state = None
    members: list[int] = []  # input index of each system of the state, in order
    steps: list[int] = []
    fixed = torch.zeros(0, dtype=torch.bool, device=device)

    while queue or members:
        free = size - len(members)
        # refill when enough slots are free (each refill is one extra, smaller forward pass)
        if queue and free >= min(len(queue), max(1, size // 8)):
            new = [queue.pop() for _ in range(min(free, len(queue)))]
            fresh = ts.initialize_state([atoms_list[i] for i in new], device, dtype)
            for i, k in zip(new, range(len(new)), strict=True):
                initial[i] = fresh.positions[fresh.system_idx == k].cpu().numpy()
            fresh = init_fn(fresh)  # one evaluation of each new structure
            # ASE's FIRE starts from v = 0 and skips the power check on its first step; with
            # v = 0 torch-sim's power check halves dt and resets alpha, so dt starts at
            # dt / f_dec: the first step is ASE's (no NaN start, which would make every other
            # structure of the batch skip its power check on that step).
            fresh.velocities = torch.zeros_like(fresh.positions)
            fresh.dt = torch.full_like(fresh.dt, _DT_START / _F_DEC)
            new_fixed = torch.as_tensor(np.concatenate([masks[i] for i in new]), device=device)
            state = fresh if state is None else ts.concatenate_states([state, fresh])
            fixed = torch.cat([fixed, new_fixed])
            members += new
            steps += [0] * len(new)
        state.forces[fixed] = 0.0
        norms = state.forces.norm(dim=1)
        worst = torch.zeros(state.n_systems, device=device, dtype=norms.dtype)
        worst = worst.scatter_reduce(0, state.system_idx, norms, reduce="amax")
        converged = (worst < fmax).tolist()
        done = [k for k, c in enumerate(converged) if c or steps[k] >= max_steps]
        if done:
            energies = state.energy.detach().cpu().numpy()
            positions = state.positions.detach().cpu().numpy()
            system_idx = state.system_idx.cpu().numpy()
            for k in done:
                i = members[k]
                atoms = atoms_list[i].copy()
                atoms.calc = None
                moved = (positions[system_idx == k] - initial.pop(i)).astype(np.float64)
                atoms.positions = atoms_list[i].positions + moved
                results[i] = RelaxedStructure(
                    energy_eV=float(energies[k]),
                    atoms=atoms,
                    converged=bool(converged[k]),
                    n_steps=steps[k],
                )
            leaving = set(done)
            keep = [k for k in range(len(members)) if k not in leaving]
            members = [members[k] for k in keep]
            steps = [steps[k] for k in keep]
            if not keep:
                state, fixed = None, fixed[:0]
                continue
            atom_keep = torch.isin(state.system_idx, torch.as_tensor(keep, device=device))
            state = _take(state, keep)
            fixed = fixed[atom_keep]
            if queue and size - len(members) >= min(len(queue), max(1, size // 8)):
                continue  # refill before stepping
        state = step_fn(state)
        steps = [s + 1 for s in steps]
    logger.debug("torch-sim FIRE relaxed %d structures (batch %d)", len(results), size)
    return [results[i] for i in range(len(atoms_list))]
