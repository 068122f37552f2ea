"""Single-point energies of many structures at once, through the calculator when it can batch.

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
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ase import Atoms
from ase.calculators.calculator import Calculator

from alloyscreen.properties.counting import add_calls

logger = logging.getLogger(__name__)

__all__ = ["BATCH_ATTRIBUTE", "energies", "has_batched_path"]

#: Attribute of a calculator instance holding its batched single-point function.
BATCH_ATTRIBUTE = "alloyscreen_batch_energies"


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
