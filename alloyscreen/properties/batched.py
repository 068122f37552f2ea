"""Single points and relaxations of many structures at once, through the calculator when it can.

``energies(atoms_list, calc) -> list[float]`` (eV) gives the same numbers as calling
``get_potential_energy`` on each structure in turn. A calculator offers a batched path by
carrying a function under :data:`BATCH_ATTRIBUTE` (``fn(calc, atoms_list, batch_size) ->
list[float]``, ``batch_size`` None for the path's own choice); :mod:`alloyscreen.calculators` attaches one to the ML potentials it builds
(CHGNet: its native batched ``predict_graph``; SevenNet: one collated graph batch per forward
pass), on whatever device the model sits on (``device="cuda"`` when the calculator was built
so). Any other calculator, or a batched path that raises :class:`NotImplementedError`, falls
back to the per-structure loop. Batched and looped energies agree to float32 rounding (the
graph sums run over larger tensors), far below 1e-4 eV/atom; every structure counts as one
evaluation in an active :func:`~alloyscreen.properties.counting.count_calls`.

``relax(atoms_list, calc, *, fmax, max_steps, optimizer) -> list[RelaxedStructure]`` relaxes
positions (cell fixed, ``FixAtoms`` kept). Its per-structure loop is a plain ASE optimizer run per
structure (the relaxations of :func:`alloyscreen.properties.adhesion.work_of_adhesion`). A calculator offers
a batched path under :data:`RELAX_ATTRIBUTE` (``fn(calc, atoms_list, *, fmax, max_steps,
batch_size) -> list[RelaxedStructure]``): SevenNet gets one when torch-sim is installed (extra
``batched``, :mod:`alloyscreen.torchsim_relax`), which runs torch-sim's batched FIRE in float32
whatever ``optimizer`` says, so its results agree with the loop's within the optimizer's
tolerance, not bit for bit (tests/test_batched.py states the tolerance). Each structure counts
``1 + n_steps`` evaluations, as an ASE optimizer run does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.optimize import BFGS, FIRE, LBFGS

from alloyscreen.errors import InputError
from alloyscreen.properties.counting import add_calls

logger = logging.getLogger(__name__)

__all__ = [
    "BATCH_ATTRIBUTE",
    "OPTIMIZERS",
    "RELAX_ATTRIBUTE",
    "RelaxedStructure",
    "energies",
    "has_batched_path",
    "has_batched_relax",
    "relax",
]

#: Attribute of a calculator instance holding its batched single-point function.
BATCH_ATTRIBUTE = "alloyscreen_batch_energies"

#: Attribute of a calculator instance holding its batched relaxation function.
RELAX_ATTRIBUTE = "alloyscreen_batch_relax"

#: ASE optimizers of the per-structure loop (the same classes as adhesion's and bulk's).
OPTIMIZERS = {"FIRE": FIRE, "BFGS": BFGS, "LBFGS": LBFGS}


@dataclass(frozen=True)
class RelaxedStructure:
    """One position relaxation (cell fixed).

    Attributes
    ----------
    energy_eV : float
        Potential energy at the final positions (eV).
    atoms : ase.Atoms
        The relaxed structure: a detached copy (no calculator), constraints kept.
    converged : bool
        Whether the largest force on a free atom fell below ``fmax`` (eV/Å).
    n_steps : int
        Optimizer steps taken (the structure was evaluated ``1 + n_steps`` times).
    """

    energy_eV: float
    atoms: Atoms
    converged: bool
    n_steps: int


def has_batched_path(calc: Calculator) -> bool:
    """Whether ``calc`` carries a batched single-point function."""
    return callable(getattr(calc, BATCH_ATTRIBUTE, None))


def _loop(atoms_list: Sequence[Atoms], calc: Calculator) -> list[float]:
    out = []
    for atoms in atoms_list:
        work = atoms.copy()
        work.calc = calc
        out.append(float(work.get_potential_energy()))
    return out


def energies(
    atoms_list: Sequence[Atoms],
    calc: Calculator,
    *,
    batch_size: int | None = None,
    batched: bool = True,
) -> list[float]:
    """Potential energies (eV) of ``atoms_list`` with ``calc``, in order; inputs are not modified.

    ``batch_size``: structures per forward pass; ``None`` lets the batched path choose for its
    device (on a CPU one structure per pass: larger batches were slower there, see
    ``benchmarks/bench_batched.py``). ``batched=False`` forces the per-structure loop (the
    reference the batched path is checked against).
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 (got {batch_size})")
    atoms_list = list(atoms_list)
    if not atoms_list:
        return []
    fn = getattr(calc, BATCH_ATTRIBUTE, None)
    if batched and callable(fn):
        try:
            values = [float(e) for e in fn(calc, atoms_list, batch_size)]
        except NotImplementedError as exc:
            logger.info("batched energies unavailable (%s): per-structure loop", exc)
        else:
            if len(values) != len(atoms_list):
                raise RuntimeError(
                    f"batched path returned {len(values)} energies for {len(atoms_list)} structures"
                )
            add_calls(calc, len(atoms_list))
            return values
    return _loop(atoms_list, calc)


def has_batched_relax(calc: Calculator) -> bool:
    """Whether ``calc`` carries a batched relaxation function."""
    return callable(getattr(calc, RELAX_ATTRIBUTE, None))


def _relax_one(
    atoms: Atoms, calc: Calculator, *, fmax: float, max_steps: int, optimizer: str
) -> RelaxedStructure:
    """One ASE optimizer run (constraints kept; the inputs untouched)."""
    work = atoms.copy()
    work.calc = calc
    opt = OPTIMIZERS[optimizer](work, logfile=None)
    converged = bool(opt.run(fmax=fmax, steps=max_steps))
    energy = float(work.get_potential_energy())
    final = work.copy()
    final.calc = None
    return RelaxedStructure(energy, final, converged, int(opt.nsteps))


def relax(
    atoms_list: Sequence[Atoms],
    calc: Calculator,
    *,
    fmax: float,
    max_steps: int,
    optimizer: str = "LBFGS",
    batched: bool = True,
    batch_size: int | None = None,
) -> list[RelaxedStructure]:
    """Relax the atomic positions of ``atoms_list`` with ``calc`` (cell fixed); inputs untouched.

    Parameters
    ----------
    atoms_list : sequence of ase.Atoms
        Structures; ``FixAtoms`` constraints are honoured (other ASE constraints too in the
        loop; the batched path refuses them and the loop runs).
    calc : ase.calculators.calculator.Calculator
    fmax : float
        Convergence threshold: largest force norm on a free atom (eV/Å), > 0.
    max_steps : int
        Optimizer steps allowed per structure, >= 0 (0: evaluate and report convergence).
    optimizer : {"LBFGS", "BFGS", "FIRE"}
        ASE optimizer of the per-structure loop. The batched path always runs torch-sim's FIRE.
    batched : bool
        ``False`` forces the per-structure loop (the reference the batched path is checked
        against).
    batch_size : int, optional
        Structures relaxed at once by the batched path (None: its choice for the device).

    Returns
    -------
    list of RelaxedStructure
        In input order.

    Raises
    ------
    InputError
        ``fmax`` not > 0, ``max_steps`` < 0, an unknown ``optimizer`` or ``batch_size`` < 1.
    """
    if not fmax > 0:
        raise InputError(f"relax: fmax must be > 0 eV/Å (got {fmax}); e.g. fmax=0.05")
    if max_steps < 0:
        raise InputError(f"relax: max_steps must be >= 0 (got {max_steps})")
    if optimizer not in OPTIMIZERS:
        raise InputError(
            f"relax: unknown optimizer '{optimizer}'; choose one of {', '.join(OPTIMIZERS)}"
        )
    if batch_size is not None and batch_size < 1:
        raise InputError(f"relax: batch_size must be >= 1 (got {batch_size})")
    atoms_list = list(atoms_list)
    if not atoms_list:
        return []
    fn = getattr(calc, RELAX_ATTRIBUTE, None)
    if batched and callable(fn):
        try:
            out = list(fn(calc, atoms_list, fmax=fmax, max_steps=max_steps, batch_size=batch_size))
        except NotImplementedError as exc:
            logger.info("batched relaxation unavailable (%s): per-structure loop", exc)
        else:
            if len(out) != len(atoms_list):
                raise RuntimeError(
                    f"batched path returned {len(out)} relaxations for {len(atoms_list)} structures"
                )
            add_calls(calc, sum(1 + r.n_steps for r in out))
            return out
    return [
        _relax_one(atoms, calc, fmax=fmax, max_steps=max_steps, optimizer=optimizer)
        for atoms in atoms_list
    ]
