"""Validate calculators against a reference (ML potentials against GPAW) through the results store.

The validation set (:data:`alloyscreen.properties.calculator_checks.QUANTITIES`): bcc Li lattice
constant, B32 LiAl lattice constant and formation energy (against bcc Li and fcc Al), Li(100)
surface energy of a thin slab, and one Li vacancy hop barrier in a 2x2x2 bcc supercell. Every
calculation is a task in the store (``relax`` for the bulk cells, ``surface_energy`` and
``vacancy_hop`` for the rest), so a second run is read from the store and an interrupted run
resumes. Each calculator relaxes its own bulk cells first; the slab and the hop are cut from its
own relaxed bcc Li.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alloyscreen.calculators import DFT_CODES
from alloyscreen.engines.base import Engine
from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.properties.bulk import formation_energy_per_atom
from alloyscreen.properties.calculator_checks import (
    QUANTITIES,
    Deviation,
    b32_lial,
    bcc_li,
    conventional_cubic_a,
    deviation_table,
    fcc_al,
)
from alloyscreen.results import typed_result
from alloyscreen.runner import run_tasks
from alloyscreen.store import ResultStore, StoredResult
from alloyscreen.tasks import CalculatorSpec, Task, make_task

logger = logging.getLogger(__name__)

PREFIX = "validation:"
LI, LIAL, AL = PREFIX + "Li-bcc", PREFIX + "LiAl-B32", PREFIX + "Al-fcc"
SLAB, HOP = PREFIX + "Li(100)", PREFIX + "Li-vacancy-hop"

DEFAULT_REFERENCE = "gpaw"
DEFAULT_CALCULATORS = ("chgnet", "sevenn")


@dataclass(frozen=True)
class ValidationOptions:
    """Settings of the validation set (part of every task's parameters, hence of its key).

    Attributes
    ----------
    fmax : float
        Force threshold (eV/Å) of every relaxation and of the NEB.
    stress_tol_GPa : float
        Stress threshold of the bulk relaxations (GPa).
    slab_layers : int
        Repeats of the cubic bcc cell in the Li(100) slab (2 atomic planes each).
    vacuum_A : float
        Vacuum on each side of the slab (Å).
    supercell : tuple of int
        Supercell of the cubic bcc cell for the vacancy hop.
    n_images : int
        Intermediate NEB images (1 climbing image sits on the saddle by symmetry).
    """

    fmax: float = 0.05
    stress_tol_GPa: float = 0.02
    slab_layers: int = 3
    vacuum_A: float = 5.0
    supercell: tuple[int, int, int] = (2, 2, 2)
    n_images: int = 1


def calculator_spec(name: str, task: str) -> CalculatorSpec:
    """The calculator spec for one part of the set: the ``neb`` preset for DFT hop tasks."""
    if task == "vacancy_hop" and name in DFT_CODES:
        return CalculatorSpec.make(name, preset="neb")
    return CalculatorSpec.make(name)


def check_available(name: str) -> None:
    """Raise :class:`MissingExtraError` early when calculator ``name`` cannot be built here."""
    from alloyscreen.calculators import available_calculators

    if name not in available_calculators():
        raise InputError(
            f"unknown calculator '{name}'; available: {', '.join(available_calculators())}"
        )
    if name == "gpaw":
        from alloyscreen.dft.gpaw import require_gpaw

        require_gpaw()
    elif name in {"chgnet", "sevenn"} and importlib.util.find_spec(name) is None:
        raise MissingExtraError(name, "ml", f"the {name} calculator")


def bulk_tasks(name: str, options: ValidationOptions) -> list[Task]:
    """Relax tasks of bcc Li, B32 LiAl and fcc Al for calculator ``name``."""
    spec = calculator_spec(name, "relax")
    params = {"fmax": options.fmax, "stress_tol_GPa": options.stress_tol_GPa}
    return [
        make_task("relax", LI, bcc_li(), spec, params),
        make_task("relax", LIAL, b32_lial(), spec, params),
        make_task("relax", AL, fcc_al(), spec, params),
    ]


def defect_tasks(name: str, relaxed_li: Any, options: ValidationOptions) -> list[Task]:
    """Surface-energy and vacancy-hop tasks cut from ``relaxed_li`` (calculator ``name``'s)."""
    slab = make_task(
        "surface_energy",
        SLAB,
        relaxed_li,
        calculator_spec(name, "surface_energy"),
        {
            "miller": [1, 0, 0],
            "layers": options.slab_layers,
            "vacuum_A": options.vacuum_A,
            "fmax": options.fmax,
        },
    )
    hop = make_task(
        "vacancy_hop",
        HOP,
        relaxed_li,
        calculator_spec(name, "vacancy_hop"),
        {"supercell": list(options.supercell), "n_images": options.n_images, "fmax": options.fmax},
    )
    return [slab, hop]


@dataclass(frozen=True)
class CalculatorTiming:
    """Compute time of one calculator's part of the set (from the stored wall times)."""

    calculator: str
    wall_time_s: float
    n_tasks: int
    n_computed: int
    n_cached: int
    per_task_s: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationReport:
    """Result of :func:`run_validation`.

    Attributes
    ----------
    reference : str
        Reference calculator.
    calculators : tuple of str
        Compared calculators (reference excluded).
    values : dict
        Calculator -> quantity key -> value (``None`` when its task failed).
    deviations : tuple of Deviation
        ``value - reference`` for every quantity and calculator.
    timings : tuple of CalculatorTiming
    failures : tuple of dict
        ``{"calculator", "task", "error"}`` for every failed task.
    identities : dict
        Calculator -> identity record of its specs (presets for DFT).
    wall_time_s : float
        Wall time of this run (cached results cost nothing).
    """

    reference: str
    calculators: tuple[str, ...]
    values: dict[str, dict[str, float | None]]
    deviations: tuple[Deviation, ...]
    timings: tuple[CalculatorTiming, ...]
    failures: tuple[dict[str, str], ...]
    identities: dict[str, Any]
    wall_time_s: float


def _values(results: Mapping[str, StoredResult]) -> dict[str, float | None]:
    """Quantity values from one calculator's stored results (by candidate id), read back typed."""
    out: dict[str, float | None] = {q.key: None for q in QUANTITIES}
    done = {cid: typed_result(r) for cid, r in results.items() if r is not None and r.done}
    li, lial, al = done.get(LI), done.get(LIAL), done.get(AL)
    if li is not None:
        out["li_bcc_a_A"] = float(li.lattice_abc_A[0])
    if lial is not None:
        out["lial_b32_a_A"] = conventional_cubic_a(lial.atoms)
        if li is not None and al is not None:
            out["lial_formation_eV_atom"] = formation_energy_per_atom(
                {"Li": 1, "Al": 1},
                lial.energy_per_atom_eV,
                {"Li": li.energy_per_atom_eV, "Al": al.energy_per_atom_eV},
            )
    if done.get(SLAB) is not None:
        out["li100_surface_energy_J_m2"] = float(done[SLAB].surface_energy_J_m2)
    if done.get(HOP) is not None:
        out["li_vacancy_hop_barrier_eV"] = float(done[HOP].barrier_eV)
    return out


def run_validation(
    store: ResultStore,
    engine: Engine,
    *,
    reference: str = DEFAULT_REFERENCE,
    calculators: Sequence[str] = DEFAULT_CALCULATORS,
    options: ValidationOptions | None = None,
    progress: Callable[[StoredResult], None] | None = None,
) -> ValidationReport:
    """Compute (or read from ``store``) the validation set for ``reference`` and ``calculators``.

    Two rounds through :func:`~alloyscreen.runner.run_tasks`: the bulk relaxations of every
    calculator, then the slab and hop tasks cut from each calculator's relaxed bcc Li. A failed
    task leaves its quantities ``None`` and is listed in ``failures``; nothing is guessed.
    """
    options = options or ValidationOptions()
    names = list(dict.fromkeys([reference, *calculators]))
    if len(names) < 2:
        raise InputError("name at least one calculator besides the reference to validate")
    for name in names:
        check_available(name)
    t0 = time.perf_counter()
    stage1 = {name: bulk_tasks(name, options) for name in names}
    summary1 = run_tasks(
        [t for ts in stage1.values() for t in ts], store, engine, progress=progress
    )
    by_key = {r.key: r for r in summary1.results}
    stage2: dict[str, list[Task]] = {}
    for name in names:
        li = by_key.get(stage1[name][0].key)
        if li is not None and li.done:
            stage2[name] = defect_tasks(name, li.result["atoms"], options)
        else:
            stage2[name] = []
    summary2 = run_tasks(
        [t for ts in stage2.values() for t in ts], store, engine, progress=progress
    )
    by_key.update({r.key: r for r in summary2.results})

    values: dict[str, dict[str, float | None]] = {}
    timings = []
    failures = []
    identities: dict[str, Any] = {}
    for name in names:
        tasks = stage1[name] + stage2[name]
        results = {t.candidate_id: by_key[t.key] for t in tasks if t.key in by_key}
        values[name] = _values(results)
        for t in tasks:
            r = by_key.get(t.key)
            if r is None or not r.done:
                error = r.error if r is not None else "not run"
                failures.append({"calculator": name, "task": t.candidate_id, "error": error or ""})
        done = [by_key[t.key] for t in tasks if t.key in by_key]
        timings.append(
            CalculatorTiming(
                calculator=name,
                wall_time_s=float(sum(r.wall_time_s for r in done)),
                n_tasks=len(tasks),
                n_computed=sum(not r.cached for r in done),
                n_cached=sum(r.cached for r in done),
                per_task_s={r.candidate_id: float(r.wall_time_s) for r in done},
            )
        )
        identities[name] = {
            kind: calculator_spec(name, kind).identity().as_dict()
            for kind in ("relax", "vacancy_hop")
        }
    return ValidationReport(
        reference=reference,
        calculators=tuple(n for n in names if n != reference),
        values=values,
        deviations=deviation_table(values, reference),
        timings=tuple(timings),
        failures=tuple(failures),
        identities=identities,
        wall_time_s=time.perf_counter() - t0,
    )
