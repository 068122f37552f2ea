"""``alloyscreen cells simulate`` as one library call: a cell's growth law, its cycling, the CSV.

It lives in :mod:`alloyscreen.interphase` because a composition's growth law comes from the
calibrated interphase class (:func:`alloyscreen.interphase.growth.calibrated_growth_law`), and
the cell simulator (:mod:`alloyscreen.experiments.cells.simulator`) sits in a lower layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.simulator import (
    CellConfig,
    InterphaseGrowth,
    SimulationResult,
    header_lines,
    simulate_cell,
)

#: ``progress(description, total)`` returns a context manager yielding ``advance(n)``.
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[..., None]]]


def _no_progress(description: str, total: int) -> AbstractContextManager[Callable[..., None]]:
    return nullcontext(lambda n=1: None)


@dataclass(frozen=True)
class SimulatedFile:
    """A simulated cell written to ``output``: the simulation and its JSON summary (the model's
    ground truth plus ``output``, ``n_records``, ``max_hours`` and, for a composition, its
    interphase class and the basis of that class)."""

    output: Path
    result: SimulationResult
    summary: dict[str, Any]


def simulate_cell_file(
    output: str | Path,
    *,
    config: str = "asymmetric",
    thin_li_um: float = 20.0,
    thick_li_um: float = 100.0,
    ce: float | None = None,
    sigma_e_S_cm: float | None = None,
    sigma_ion_S_cm: float | None = None,
    composition: str | None = None,
    cycles: int | None = None,
    max_hours: float = 2000.0,
    current_mA_cm2: float = 0.5,
    capacity_mAh_cm2: float = 0.5,
    area_cm2: float = 0.785,
    cutoff_V: float = 5.0,
    points_per_half_cycle: int = 30,
    noise_V: float = 0.0,
    seed: int = 0,
    progress: ProgressFactory = _no_progress,
) -> SimulatedFile:
    """Simulate galvanostatic cycling and write the CSV that ``cells analyze`` reads.

    The interphase grows by the linear-parabolic law of ``sigma_e_S_cm`` (electronic
    conductivity, S/cm), or by the calibrated law of ``composition``'s interphase class; with
    neither, plating has Coulombic efficiency ``ce`` (default 1). ``cycles`` defaults to as many
    2-half-cycle cycles as ``max_hours`` (h) allows. Units as in
    :class:`~alloyscreen.experiments.cells.simulator.CellConfig`.

    Raises
    ------
    InputError
        Contradicting options (``ce`` with ``sigma_e_S_cm``, ``composition`` with
        ``sigma_e_S_cm``, ``sigma_ion_S_cm`` alone), bad values, or an unwritable ``output``.
    """
    from alloyscreen.experiments.cells.readers import write_csv
    from alloyscreen.serialization import to_jsonable

    if ce is not None and sigma_e_S_cm is not None:
        raise InputError("give either ce or sigma_e_S_cm, not both")
    if composition is not None and sigma_e_S_cm is not None:
        raise InputError("give either composition or sigma_e_S_cm, not both")
    if sigma_ion_S_cm is not None and sigma_e_S_cm is None and composition is None:
        raise InputError("sigma_ion_S_cm needs sigma_e_S_cm or composition")
    verdict = None
    interphase = None
    if sigma_e_S_cm is not None:
        extra = {} if sigma_ion_S_cm is None else {"sigma_ion_S_cm": sigma_ion_S_cm}
        interphase = InterphaseGrowth.from_sigma_e(sigma_e_S_cm, **extra)
    if composition is not None:
        from alloyscreen.interphase.growth import calibrated_growth_law

        interphase, verdict = calibrated_growth_law(composition, sigma_ion_S_cm=sigma_ion_S_cm)
    if cycles is None:
        cycles = max(1, math.ceil(max_hours / (2.0 * capacity_mAh_cm2 / current_mA_cm2)))
    cfg = CellConfig(
        kind=config,
        thin_li_um=thin_li_um,
        thick_li_um=thick_li_um,
        current_mA_cm2=current_mA_cm2,
        capacity_mAh_cm2=capacity_mAh_cm2,
        area_cm2=area_cm2,
        n_cycles=cycles,
        ce=1.0 if ce is None else ce,
        interphase=interphase,
        cutoff_V=cutoff_V,
        points_per_half_cycle=points_per_half_cycle,
        noise_V=noise_V,
        seed=seed,
        max_hours=max_hours,
    )
    with progress("simulating cycles", cfg.n_cycles) as advance:
        done = [0]

        def _progress(n: int) -> None:
            advance(n - done[0])
            done[0] = n

        result = simulate_cell(cfg, progress=_progress)
    out = Path(output)
    try:
        write_csv(result.table, out, header_lines=header_lines(result.summary))
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc})") from None
    summary = to_jsonable(result.summary)
    summary["output"] = str(output)
    summary["n_records"] = len(result.table)
    summary["max_hours"] = max_hours
    if verdict is not None:
        summary["composition"] = composition
        summary["interphase_class"] = verdict.classification
        summary["classification_basis"] = verdict.basis
    return SimulatedFile(out, result, summary)
