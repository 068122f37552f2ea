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

from alloyscreen.calculators import DEFAULT_CALCULATOR
from alloyscreen.campaign import (
    THERMO_PHASES_STEP,
    no_progress,
    phase_relax_tasks,
    run_step,
    thermo_phase_tasks,
)
from alloyscreen.errors import InputError
from alloyscreen.interphase.thermo import ThermoPhase
from alloyscreen.runner import RunSummary
from alloyscreen.store import ResultStore
from alloyscreen.tasks import CalculatorSpec

ROUTES = ("curated", "thermo", "mp")
#: Default metal morphology of the command: random needles of aspect ratio 10.
DEFAULT_ASPECT_RATIO = 10.0

__all__ = [
    "DEFAULT_ASPECT_RATIO",
    "ROUTES",
    "InterphaseAnalysis",
    "InterphaseCalibration",
    "analyse_interphase",
    "calibrate_interphase",
    "design_interphase",
    "load_calibration",
    "phase_relax_tasks",
    "thermo_entries",
    "verdict_record",
]


def thermo_entries(
    elements: Sequence[str],
    calculator: str,
    store: ResultStore | str | None,
    workers: int = 1,
    *,
    progress: Callable[[str, int], Any] = no_progress,
) -> tuple[list[Any], RunSummary, list[ThermoPhase]]:
    """Relax the shipped phases of Li + ``elements`` through the store on a local engine of
    ``workers`` processes (the tasks of :func:`alloyscreen.campaign.thermo_phase_tasks`, which a
    campaign with ``route = "thermo"`` runs on its own engine); return
    ``(entries, run summary, phases)``. A second call with the same store reuses the energies.

    Raises
    ------
    InputError
        The calculator cannot treat the phases' elements (before the store is opened).
    """
    from alloyscreen.engines import LocalEngine
    from alloyscreen.interphase.thermo import entries_from_results
    from alloyscreen.recipes import open_store

    tasks, phases = thermo_phase_tasks(elements, CalculatorSpec.make(calculator))
    engine = LocalEngine(workers)
    try:
        summary = run_step(THERMO_PHASES_STEP, tasks, open_store(store), engine, progress)
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


@dataclass(frozen=True)
class InterphaseCalibration:
    """What ``alloyscreen interphase calibrate`` found: the JSON-ready ``record`` (pooled window,
    ``by_metal`` windows, consistent microstructure ``families``, cell ``experiments``, the
    ``design``), the pooled :class:`~alloyscreen.interphase.calibration.CalibrationResult`, and
    the design pair used (given or inferred from the cell experiments)."""

    record: dict[str, Any]
    result: Any
    experiments: list[dict[str, Any]] | None
    families: dict[str, list[dict[str, Any]]]
    host: str | None
    metal_source: str | None


def calibrate_interphase(
    observations: str | Path | None = None,
    *,
    cells: str | Path | None = None,
    host: str | None = None,
    metal_source: str | None = None,
    margin: float = 0.2,
    morphology_grid_values: tuple[Sequence[float], Sequence[str], Sequence[float]] | None = None,
    map_png: str | Path | None = None,
    reactions: Sequence[str | Path] = (),
    products: Sequence[str | Path] = (),
) -> InterphaseCalibration:
    """The V_p window consistent with benign/detrimental observations (shipped, a CSV, or the
    outcomes of the asymmetric-cell protocol on the cell files of an experiments TOML), per metal,
    the microstructure families that explain each window (``map_png``: their map), and with a
    host/metal-source pair (given, or inferred from the cell experiments) the MI-SEI design.

    ``morphology_grid_values``: (aspect ratios, distributions, size ratios) checked against the
    pooled window; None skips the percolation engine.

    Raises
    ------
    InputError
        Both a CSV and cell files, half a design pair, unreadable inputs.
    """
    from alloyscreen.interphase.calibration import (
        calibrate,
        calibrate_by_metal,
        load_observations,
    )
    from alloyscreen.interphase.coupling import morphology_grid
    from alloyscreen.interphase.families import plot_families, search_families
    from alloyscreen.interphase.products import load_product_table
    from alloyscreen.interphase.reactions import load_reaction_table

    if observations is not None and cells is not None:
        raise InputError("give an observation CSV or --cells, not both")
    if (host is None) != (metal_source is None):
        raise InputError("give both --host and --metal-source for a design")
    rx, pt = load_reaction_table(list(reactions)), load_product_table(list(products))
    morphs = None
    if morphology_grid_values is not None:
        morphs = morphology_grid(*morphology_grid_values)
    experiments = None
    if cells is not None:
        from alloyscreen.interphase.cell_calibration import calibrate_cells, infer_design_pair

        cal = calibrate_cells(cells, reactions=rx, products=pt)
        obs = list(cal.observations)
        experiments = [
            {
                "composition": e.composition,
                "outcome": e.outcome,
                "verdict": e.verdict.verdict,
                "label": e.verdict.label,
                "symmetric": None if e.symmetric is None else str(e.symmetric),
                "asymmetric": [str(a) for a in e.asymmetric],
                "notes": list(e.verdict.notes),
            }
            for e in cal.experiments
        ]
        if host is None and metal_source is None:
            pair = infer_design_pair(obs)
            if pair is not None:
                host, metal_source = pair
    elif observations is not None:
        obs = load_observations([observations], shipped=False, reactions=rx, products=pt)
    else:
        obs = load_observations((), shipped=True, reactions=rx, products=pt)
    result = calibrate(obs, morphologies=morphs)
    record = result.summary()
    if experiments is not None:
        record["experiments"] = experiments
    by_metal = calibrate_by_metal(obs)
    record["by_metal"] = {}
    families: dict[str, list[dict[str, Any]]] = {}
    windows: list[tuple[str, tuple[float, float | None]]] = []
    for metals, res in by_metal.items():
        key = ", ".join(metals)
        w = res.window
        record["by_metal"][key] = {
            "v_p_window": None if w is None else list(w),
            "contradictions": [c.message() for c in res.contradictions],
            "overruled": res.summary()["overruled"],
            "observations": [o.composition for o in res.observations],
        }
        if w is not None and w[1] is not None:
            windows.append((key, w))
            families[key] = [m.record() for m in search_families(w)]
    record["families"] = families
    if map_png is not None and windows:
        key, w = windows[0]
        plot_families(search_families(w), w, map_png)
        record["map"] = str(map_png)
    design_record = None
    if host is not None and metal_source is not None:
        from alloyscreen.interphase.design import (
            calibrate_design,
            default_design_morphologies,
            design_document,
            design_mixture,
        )

        d = design_mixture(
            host,
            metal_source,
            margin=margin,
            morphologies=default_design_morphologies(),
            reactions=rx,
            products=pt,
        )
        d = calibrate_design(d, obs)
        design_record = {
            **design_document(d),
            "host": host,
            "metal_source": metal_source,
            "fraction_definition": d.fraction_definition,
        }
    record["design"] = design_record
    return InterphaseCalibration(record, result, experiments, families, host, metal_source)


def design_interphase(
    host: str,
    metal_source: str,
    *,
    margin: float = 0.2,
    absolute_margin: bool = False,
    morphology: Any = None,
    v_p: float | None = None,
    v_p_err: float = 0.0,
    kind: str = "auto",
    dopant_charge: float | None = None,
    max_fraction: float = 1.0,
    reactions: Sequence[str | Path] = (),
    products: Sequence[str | Path] = (),
    observations: Sequence[str | Path] = (),
    use_observations: bool = True,
    output: str | Path | None = None,
) -> tuple[Any, Path | None]:
    """``alloyscreen design``: the largest blend/doping fraction of ``metal_source`` in ``host``
    keeping V_FM below V_p minus the margin, for ``morphology`` and the default comparison set
    (only ``morphology`` with a fixed ``v_p``), calibrated by the observations when they bound V_p
    for the mixture's metal; ``output``: the design plot (PNG). Returns the
    :class:`~alloyscreen.interphase.design.DesignResult` and the plot path (or None).
    """
    from alloyscreen.interphase.coupling import EnginePercolation, FixedThreshold, Morphology
    from alloyscreen.interphase.design import (
        calibrate_design,
        default_design_morphologies,
        design_mixture,
        plot_design,
    )
    from alloyscreen.interphase.products import load_product_table
    from alloyscreen.interphase.reactions import load_reaction_table

    base = morphology if morphology is not None else Morphology(aspect_ratio=DEFAULT_ASPECT_RATIO)
    morphs = [base] if v_p is not None else default_design_morphologies(base)
    model = FixedThreshold(v_p, v_p_err, source="--v-p") if v_p is not None else EnginePercolation()
    rx, pt = load_reaction_table(list(reactions)), load_product_table(list(products))
    result = design_mixture(
        host,
        metal_source,
        margin=margin,
        margin_mode="absolute" if absolute_margin else "relative",
        morphologies=morphs,
        kind=kind,
        dopant_charge=dopant_charge,
        max_fraction=max_fraction,
        model=model,
        reactions=rx,
        products=pt,
    )
    result = calibrate_design(result, load_calibration(observations, use_observations, rx, pt))
    plot = plot_design(result, output) if output is not None else None
    return result, plot
