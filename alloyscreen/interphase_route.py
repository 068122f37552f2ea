"""``alloyscreen interphase COMPOSITION``: the interphase an electrolyte forms with Li, end to end.

Chooses the reduction route — ``curated`` (cited reactions), ``thermo`` (grand-potential products
from phases relaxed through the results store: cached, resumable) or ``mp`` (Materials Project
entries) — then the interphase volumes, the percolation assessment for a morphology and, when
observations bound V_p for the interphase's metal, the calibrated verdict. The science is in
:mod:`alloyscreen.interphase`; this module adds the store, the engine and the route choice, so that
the command is argument handling plus :func:`analyse_interphase`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alloyscreen.calculators import DEFAULT_CALCULATOR, check_elements
from alloyscreen.campaign import no_progress, run_step
from alloyscreen.errors import InputError
from alloyscreen.interphase.thermo import TASK_PREFIX, ThermoPhase
from alloyscreen.runner import RunSummary
from alloyscreen.store import ResultStore
from alloyscreen.tasks import STANDARD_RELAX_OPTIONS, CalculatorSpec, Task, make_task

ROUTES = ("curated", "thermo", "mp")
#: Default metal morphology of the command: random needles of aspect ratio 10.
DEFAULT_ASPECT_RATIO = 10.0

__all__ = [
    "DEFAULT_ASPECT_RATIO",
    "ROUTES",
    "InterphaseAnalysis",
    "analyse_interphase",
    "load_calibration",
    "phase_relax_tasks",
    "thermo_entries",
    "verdict_record",
]


def phase_relax_tasks(
    phases: Sequence[ThermoPhase], spec: CalculatorSpec, options: dict[str, Any] | None = None
) -> list[Task]:
    """``relax`` tasks (content-keyed, so the store caches them) for the thermo route's phases,
    with the standard relax options (the same keys as ``alloyscreen relax``)."""
    opts = dict(STANDARD_RELAX_OPTIONS if options is None else options)
    return [
        make_task(
            "relax",
            TASK_PREFIX + p.id,
            p.atoms,
            spec,
            opts,
            {"category": "interphase", "source": p.source, "formula": p.formula},
        )
        for p in phases
    ]


def thermo_entries(
    elements: Sequence[str],
    calculator: str,
    store: ResultStore | str | None,
    workers: int = 1,
    *,
    progress: Callable[[str, int], Any] = no_progress,
) -> tuple[list[Any], RunSummary, list[ThermoPhase]]:
    """Relax the shipped phases of Li + ``elements`` through the store; return
    ``(entries, run summary, phases)``. A second call with the same store reuses the energies.

    Raises
    ------
    InputError
        The calculator cannot treat the phases' elements (before the store is opened).
    """
    from alloyscreen.engines import LocalEngine
    from alloyscreen.interphase.thermo import entries_from_results, thermo_phases
    from alloyscreen.recipes import open_store

    phases = thermo_phases(list(elements))
    check_elements(
        sorted({el for p in phases for el in p.atoms.get_chemical_symbols()}), calculator
    )
    tasks = phase_relax_tasks(phases, CalculatorSpec.make(calculator))
    engine = LocalEngine(workers)
    try:
        summary = run_step("relax phases", tasks, open_store(store), engine, progress)
    finally:
        engine.close()
    return entries_from_results(summary.results), summary, phases


def verdict_record(assessment: Any, volumes: Any, observations: Any) -> dict[str, Any]:
    """The calibrated keys of an assessment: the class from the observations when they bound V_p
    for its metal (``classification_basis = observations``), else the morphology model's."""
    from alloyscreen.interphase.calibration import calibrated_verdict, metal_key

    if observations is None:
        return {
            "classification": assessment.classification,
            "classification_basis": "morphology model",
            "v_p_window": None,
            "model_classification": assessment.classification,
            "advice": "",
        }
    verdict = calibrated_verdict(
        assessment.label,
        assessment.v_fm,
        metal_key(volumes),
        assessment.classification,
        observations,
    )
    return verdict.record()


def load_calibration(
    files: Sequence[str | Path], use_observations: bool, reactions: Any, products: Any
) -> Any:
    """Shipped + ``files`` observations, or None for the pure morphology model.

    Raises
    ------
    InputError
        Observation files given together with the pure model.
    """
    from alloyscreen.interphase.calibration import load_observations

    if not use_observations:
        if files:
            raise InputError(
                "--observations cannot be combined with --no-observations or --v-p (both give "
                "the pure morphology model)"
            )
        return None
    return load_observations(list(files), reactions=reactions, products=products)


@dataclass(frozen=True)
class InterphaseAnalysis:
    """The JSON-ready record of one interphase and the failed relaxations of the thermo route."""

    record: dict[str, Any]
    n_failed: int = 0


def analyse_interphase(
    composition: str,
    *,
    route: str = "curated",
    morphology: Any = None,
    model: Any = None,
    reactions: Sequence[str | Path] = (),
    products: Sequence[str | Path] = (),
    relaxed_volumes: bool = False,
    sigma_metal_S_cm: float | None = None,
    sigma_insulator_S_cm: float | None = None,
    observations: Sequence[str | Path] = (),
    use_observations: bool = True,
    calculator: str = DEFAULT_CALCULATOR,
    store: ResultStore | str | None = None,
    workers: int = 1,
    progress: Callable[[str, int], Any] = no_progress,
) -> InterphaseAnalysis:
    """Reduction products of ``composition`` against Li, V_FM, V_p, margin and class.

    Parameters
    ----------
    composition : str
        Formula, doped formula or blend (``"Li6PS5Cl:Li10GeP2S12=4:1"``).
    route : {"curated", "thermo", "mp"}
    morphology, model
        :class:`~alloyscreen.interphase.coupling.Morphology` (default: random needles of
        :data:`DEFAULT_ASPECT_RATIO`) and threshold model (default: the percolation engine).
    relaxed_volumes : bool
        Thermo route only: molar volumes of the products from their relaxed structures.
    sigma_metal_S_cm, sigma_insulator_S_cm : float, optional
        Conductivities for the GEM estimate (default: the illustrative values).
    observations, use_observations
        Extra observation CSVs; ``use_observations=False`` gives the pure morphology model.

    Raises
    ------
    InputError
        Unknown route, options that do not fit the route, a composition without products.
    """
    from alloyscreen.interphase.classification import assess_volumes
    from alloyscreen.interphase.composition import parse_composition
    from alloyscreen.interphase.coupling import (
        ILLUSTRATIVE_SIGMA_INSULATOR_S_CM,
        ILLUSTRATIVE_SIGMA_METAL_S_CM,
        EnginePercolation,
        Morphology,
    )
    from alloyscreen.interphase.products import (
        load_product_table,
        relaxed_molar_volumes,
        with_relaxed_volumes,
    )
    from alloyscreen.interphase.reactions import load_reaction_table, reduce_curated
    from alloyscreen.interphase.thermo import materials_project_entries, reduce_thermo
    from alloyscreen.interphase.volumes import interphase_volumes

    if route not in ROUTES:
        raise InputError(f"--route must be {', '.join(ROUTES[:-1])} or {ROUTES[-1]}, got {route!r}")
    if relaxed_volumes and route != "thermo":
        raise InputError(
            "--relaxed-volumes needs --route thermo (the relaxed structures come from it)"
        )
    inp = parse_composition(composition)
    table = load_product_table(list(products))
    reaction_table = load_reaction_table(list(reactions))
    extra: dict[str, Any] = {}
    n_failed = 0
    if route == "curated":
        reduction = reduce_curated(inp, reaction_table)
    else:
        elements = sorted({str(el) for el in inp.composition.elements} - {"Li"})
        if route == "thermo":
            entries, summary, phases = thermo_entries(
                elements, calculator, store, workers, progress=progress
            )
            n_failed = summary.n_failed
            extra["calculator"] = calculator
            extra["phase_set"] = [
                {"id": p.id, "formula": p.formula, "source": p.source} for p in phases
            ]
            extra["n_cached"], extra["n_computed"] = summary.n_cached, summary.n_computed
            if relaxed_volumes:
                relaxed = {r.candidate_id: r.atoms for r in summary.results if r.done}
                table = with_relaxed_volumes(
                    table, relaxed_molar_volumes(relaxed), calculator=calculator
                )
        else:
            entries = materials_project_entries(elements)
            extra["phase_set"] = [
                {"id": getattr(e, "entry_id", None), "formula": e.composition.reduced_formula}
                for e in entries
            ]
        reduction = reduce_thermo(inp, entries, route=route)
    volumes = interphase_volumes(reduction, table)
    assessment = assess_volumes(
        volumes,
        morphology if morphology is not None else Morphology(aspect_ratio=DEFAULT_ASPECT_RATIO),
        model=model if model is not None else EnginePercolation(),
        sigma_metal_S_cm=sigma_metal_S_cm or ILLUSTRATIVE_SIGMA_METAL_S_CM,
        sigma_insulator_S_cm=sigma_insulator_S_cm or ILLUSTRATIVE_SIGMA_INSULATOR_S_CM,
    )
    obs = load_calibration(observations, use_observations, reaction_table, table)
    record = {**assessment.summary(), **extra, **verdict_record(assessment, volumes, obs)}
    return InterphaseAnalysis(record, n_failed)
