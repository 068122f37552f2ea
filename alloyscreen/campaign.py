"""Run a workflow: candidates -> relax -> adhesion -> migration -> interphase -> rank -> report.

Every atomistic step goes through :func:`alloyscreen.runner.run_tasks`, so each result is stored
as it arrives and a rerun recomputes nothing that is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ase import Atoms

from alloyscreen.element_references import ELEMENT_PREFIX, formation_energies
from alloyscreen.engines.base import Engine
from alloyscreen.errors import InputError
from alloyscreen.runner import RunSummary, run_tasks
from alloyscreen.store import ResultStore
from alloyscreen.structures.candidates import Candidate, load_candidates
from alloyscreen.structures.elements import elemental_reference
from alloyscreen.structures.files import read_candidates
from alloyscreen.tasks import CalculatorSpec, Task, make_task
from alloyscreen.workflow import STEP_FUNCTIONS, Workflow, interphase_elements

logger = logging.getLogger(__name__)

#: ``progress_factory(description, total)`` returns a context manager yielding ``advance()``.
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[..., None]]]
#: ``write_outputs(workflow, result, store, calculator_label) -> {label: path}``.
OutputWriter = Callable[[Workflow, "CampaignResult", ResultStore, str], dict[str, str]]

#: Which candidates each step treats by default (override with ``categories = [...]``).
DEFAULT_CATEGORIES = {
    "relax": ("alloy", "li_metal", "metal", "sei", "element", "other"),
    "adhesion": ("alloy", "li_metal", "metal", "sei", "other"),
    "migration": ("alloy", "li_metal"),
}


@dataclass
class CampaignResult:
    """Per-step run summaries and derived quantities of one campaign run."""

    steps: dict[str, RunSummary] = field(default_factory=dict)
    formation_energies_eV_atom: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    ranking: list[Any] = field(default_factory=list)
    n_candidates: int = 0
    #: Candidates stopped by the screening funnel: ``id -> {"stage", "reason"}``.
    funnel: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        """Failed tasks over all steps."""
        return sum(s.n_failed for s in self.steps.values())

    @property
    def n_cached(self) -> int:
        """Distinct task keys found done in the store, over all steps."""
        return sum(s.n_cached for s in self.steps.values())

    @property
    def n_computed(self) -> int:
        """Distinct task keys computed by this run, over all steps."""
        return sum(s.n_computed for s in self.steps.values())

    @property
    def n_requested(self) -> int:
        """Tasks the steps asked for, duplicates included (e.g. a reference shared by candidates)."""
        return sum(len(s.results) for s in self.steps.values())

    @property
    def store_hit_rate(self) -> float | None:
        """Share of the requested tasks served without a computation (store hits and duplicate
        keys within a step); ``None`` when nothing was requested."""
        n = self.n_requested
        return None if n == 0 else 1.0 - self.n_computed / n


def load_campaign_candidates(
    paths: Sequence[str], ids: Sequence[str] | None = None
) -> list[Candidate]:
    """Candidates from candidate sets and structure files; bad structure files are errors here."""
    if not paths:
        raise InputError("the workflow lists no candidates ([campaign] candidates = [...])")
    out: list[Candidate] = []
    for p in paths:
        path = Path(p)
        if path.suffix == ".json" and path.is_file():
            try:
                out.extend(load_candidates(path))
                continue
            except InputError as exc:
                if "not an alloyscreen candidate set" not in str(exc):
                    raise
        found, errors = read_candidates([path])
        if errors:
            raise InputError("; ".join(e.message for e in errors))
        out.extend(found)
    seen: dict[str, Candidate] = {}
    for cand in out:
        if cand.id in seen:
            raise InputError(f"candidate id '{cand.id}' appears twice in the campaign inputs")
        seen[cand.id] = cand
    if ids:
        missing = [i for i in ids if i not in seen]
        if missing:
            raise InputError(f"candidate id(s) not found: {', '.join(missing)}")
        return [seen[i] for i in ids]
    return out


def check_calculator_elements(workflow: Workflow, candidates: Sequence[Candidate]) -> None:
    """Refuse candidates with elements the workflow's calculator has no parameters for (known
    only for calculators with a fixed element list, such as ``emt``; adhesion and migration add
    Li: the film and the hopping atom). ``run --dry-run`` calls it; ``run`` itself stores such
    tasks as failed, each with its reason.

    Raises
    ------
    InputError
        Naming the workflow, the calculator, the elements and the candidates that hold them.
    """
    from alloyscreen.calculators import supported_elements

    name = workflow.calculator.name
    allowed = supported_elements(name)
    if allowed is None:
        return
    extra = {"Li"} if workflow.step("adhesion") or workflow.step("migration") else set()
    missing: dict[str, list[str]] = {}
    for cand in candidates:
        for el in sorted((set(cand.elements) | extra) - allowed):
            missing.setdefault(el, []).append(cand.id)
    if missing:
        detail = "; ".join(
            f"{el} ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})"
            for el, ids in sorted(missing.items())
        )
        raise InputError(
            f"{workflow.source}: [calculator] name = {name!r} has no parameters for {detail}; "
            f"it supports {', '.join(sorted(allowed))}. Use a calculator that covers them "
            "(chgnet, sevenn) or leave those candidates out (campaign.ids)"
        )


#: Progress label of the thermodynamic route's phase relaxations.
THERMO_PHASES_STEP = "relax phases"


def no_progress(description: str, total: int) -> AbstractContextManager[Callable[..., None]]:
    """A progress factory that shows nothing (the default of every runner)."""
    return nullcontext(lambda *a, **k: None)


def run_step(
    description: str,
    tasks: list[Task],
    store: ResultStore,
    engine: Engine,
    progress_factory: ProgressFactory,
) -> RunSummary:
    """Run ``tasks`` through the store with one progress bar (one tick per distinct key)."""
    with progress_factory(description, len({t.key for t in tasks})) as advance:
        return run_tasks(tasks, store, engine, progress=lambda _r: advance())


def _split(options: dict[str, Any], runner_keys: frozenset[str]) -> tuple[dict, dict]:
    science = {k: v for k, v in options.items() if k not in runner_keys}
    runner = {k: v for k, v in options.items() if k in runner_keys}
    return science, runner


def candidate_meta(cand: Candidate) -> dict[str, Any]:
    """Descriptive data stored with every result of ``cand`` (not part of content keys)."""
    return {
        "category": cand.category,
        "prototype": cand.prototype,
        "source": cand.source,
        "formula": cand.formula,
    }


def relax_tasks(
    candidates: Sequence[Candidate], spec: CalculatorSpec, options: dict[str, Any]
) -> tuple[list[Task], list[str]]:
    """Relax tasks for the candidates and (optionally) their elemental references."""
    science, runner = _split(options, STEP_FUNCTIONS["relax"][1])
    categories = tuple(runner.get("categories", DEFAULT_CATEGORIES["relax"]))
    chosen = [c for c in candidates if c.category in categories]
    tasks = [
        make_task("relax", c.id, c.to_atoms(), spec, science, candidate_meta(c)) for c in chosen
    ]
    elements: list[str] = []
    if runner.get("formation_energy", True):
        elements = sorted({el for c in chosen for el in c.elements})
        meta = {"category": "element", "prototype": "reference", "source": "elemental_reference"}
        for el in list(elements):
            try:
                atoms = elemental_reference(el)
            except InputError as exc:
                # Formation energies of compounds with this element are then reported missing.
                logger.warning("no formation energies with %s: %s", el, exc)
                elements.remove(el)
                continue
            tasks.append(make_task("relax", ELEMENT_PREFIX + el, atoms, spec, science, meta))
    return tasks, elements


def step_candidates(
    step: str, candidates: Sequence[Candidate], options: dict[str, Any]
) -> list[Candidate]:
    """The candidates a per-structure step (adhesion, migration) treats, in input order.

    Those of the step's ``categories`` (default :data:`DEFAULT_CATEGORIES`) and, when the
    options name ``ids``, only those.
    """
    categories = tuple(options.get("categories", DEFAULT_CATEGORIES[step]))
    ids = options.get("ids")
    return [c for c in candidates if c.category in categories and (not ids or c.id in ids)]


def structure_step_tasks(
    step: str,
    candidates: Sequence[Candidate],
    relaxed: dict[str, Atoms],
    spec: CalculatorSpec,
    options: dict[str, Any],
) -> list[Task]:
    """Tasks of a per-structure step (adhesion, migration) on the relaxed structures.

    Adhesion over several terminations names its termination ``selection`` in the parameters
    (hence the key): rows computed while the strongest-binding termination was reported are not
    reused now that the one forming against Li metal is. One termination: key unchanged.
    """
    science, _ = _split(options, STEP_FUNCTIONS[step][1])
    if step == "adhesion" and science.get("max_terminations", 1) != 1:
        science.setdefault("selection", "interface_energy")
    tasks = []
    for cand in step_candidates(step, candidates, options):
        if cand.id not in relaxed:
            logger.warning("%s: no relaxed structure; %s skipped for it", cand.id, step)
            continue
        tasks.append(
            make_task(step, cand.id, relaxed[cand.id], spec, science, candidate_meta(cand))
        )
    return tasks


def phase_relax_tasks(
    phases: Sequence[Any], spec: CalculatorSpec, options: dict[str, Any] | None = None
) -> list[Task]:
    """``relax`` tasks (content-keyed, so the store caches them) for the thermodynamic route's
    phases (:class:`~alloyscreen.interphase.thermo.ThermoPhase`), with the standard relax
    options (the same keys as ``alloyscreen relax``)."""
    from alloyscreen.interphase.thermo import TASK_PREFIX
    from alloyscreen.tasks import STANDARD_RELAX_OPTIONS

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


def thermo_phase_tasks(elements: Sequence[str], spec: CalculatorSpec) -> tuple[list[Task], list]:
    """The thermodynamic route's phases of Li + ``elements`` and their relax tasks, shared by
    ``alloyscreen interphase --route thermo`` and the campaign's ``route = "thermo"``.

    Raises
    ------
    InputError
        The calculator cannot treat the phases' elements.
    """
    from alloyscreen.calculators import check_elements
    from alloyscreen.interphase.thermo import thermo_phases

    phases = thermo_phases(list(elements))
    check_elements(sorted({el for p in phases for el in p.atoms.get_chemical_symbols()}), spec.name)
    return phase_relax_tasks(phases, spec), phases


def relax_thermo_phases(
    elements: Sequence[str],
    spec: CalculatorSpec,
    store: ResultStore,
    engine: Engine,
    progress_factory: ProgressFactory = no_progress,
) -> tuple[list[Any], RunSummary, list[Any]]:
    """Relax the thermodynamic route's phases of Li + ``elements`` through ``store`` on
    ``engine`` (cached, resumable); returns ``(entries, run summary, phases)``."""
    from alloyscreen.interphase.thermo import entries_from_results

    tasks, phases = thermo_phase_tasks(elements, spec)
    summary = run_step(THERMO_PHASES_STEP, tasks, store, engine, progress_factory)
    return entries_from_results(summary.results), summary, phases


def interphase_step(
    options: dict[str, Any],
    candidates: Sequence[Candidate],
    relaxed: dict[str, Atoms],
    store: ResultStore,
    output: Path,
    entries: Sequence[Any] | None = None,
) -> dict[str, str]:
    """``[steps.interphase]``: MI-SEI design (host + metal source) and per-alloy margins.

    With ``route = "thermo"``, ``entries`` are the energies of the relaxed phases
    (:func:`relax_thermo_phases`, run by :func:`run_campaign` before this step).

    The design (summary, table, plot) and the percolation margin of every alloy candidate —
    V_p (the observed window's upper bound when the shipped observations bound V_p for the
    design's metal, else that of the chosen morphology) minus V_FM when the alloy is mixed into the host at
    ``alloy_fraction`` (mole fraction, default 0.1) — are saved in the store as documents, so
    ``rank`` and ``report`` find them later. Alloys without a cited electronic class are treated
    as metallic when ``assume_metallic`` (default true: Li–M intermetallics of the screen are
    metals; set false for semiconducting ones such as Li3Sb).
    """
    from alloyscreen.interphase.coupling import Morphology
    from alloyscreen.interphase.design import alloy_margins
    from alloyscreen.interphase.design import interphase_step as design_step
    from alloyscreen.interphase.products import relaxed_molar_volumes

    own = {"alloy_fraction", "assume_metallic"}
    design_options = {k: v for k, v in options.items() if k not in own}
    output.mkdir(parents=True, exist_ok=True)
    outcome = design_step(design_options, output, entries=entries)
    outputs: dict[str, str] = {}
    if outcome.get("design"):
        store.put_document("design", outcome["design"])
        if outcome["design"].get("plot"):
            outputs["interphase design plot"] = str(outcome["design"]["plot"])
    if outcome.get("assessments"):
        store.put_document("assessments", outcome["assessments"])
    host = options.get("host")
    alloys = {c.id: c.formula for c in candidates if c.category == "alloy" and c.id in relaxed}
    if host and alloys:
        volumes_by_formula = relaxed_molar_volumes({cid: relaxed[cid] for cid in alloys})
        from alloyscreen.interphase.composition import formula_key

        volumes = {
            cid: volumes_by_formula[formula_key(f)]
            for cid, f in alloys.items()
            if formula_key(f) in volumes_by_formula
        }
        morphology = Morphology(
            aspect_ratio=float(options.get("aspect_ratio", 10.0)),
            size_ratio=float(options.get("size_ratio", 1.0)),
            distribution=str(options.get("distribution", "random")),
        )
        margins = alloy_margins(
            alloys,
            str(host),
            fraction=float(options.get("alloy_fraction", 0.1)),
            morphology=morphology,
            molar_volumes=volumes,
            assume_metallic=bool(options.get("assume_metallic", True)),
            v_p_window=outcome.get("v_p_window"),  # observed window of the host's metal, if any
        )
        store.put_document("margins", margins)
    return outputs


def load_margins(store: ResultStore) -> dict[str, float] | None:
    """Per-candidate percolation margins saved by the interphase step, if it ran."""
    doc = store.get_document("margins")
    return dict(doc) if doc else None


def load_design(store: ResultStore) -> dict[str, Any] | None:
    """The MI-SEI design saved by the interphase step, if it ran."""
    return store.get_document("design")


def funnel_adhesion_options(workflow: Workflow, options: dict[str, Any]) -> dict[str, Any]:
    """Adhesion options with the funnel's ``relax_best`` (and ``relax_margin_J_m2`` when not 0)
    when ``[steps.funnel]`` screens terminations (``relax_terminations`` > 0 and more than one
    termination computed)."""
    section = workflow.step("funnel")
    if section is None:
        return dict(options)
    from alloyscreen.funnel import FunnelSettings

    settings = FunnelSettings.from_options(section.options)
    k = settings.relax_terminations
    if k and options.get("max_terminations", 1) != 1:
        margin = settings.relax_margin_J_m2
        return {**options, "relax_best": k, **({"relax_margin_J_m2": margin} if margin else {})}
    return dict(options)


def _count(keys: list[str], statuses: dict[str, str]) -> dict[str, int]:
    unique = set(keys)
    done = sum(statuses.get(k) == "done" for k in unique)
    failed = sum(statuses.get(k) == "failed" for k in unique)
    return {"done": done, "failed": failed, "pending": len(unique) - done - failed}


def task_counts(workflow: Any, store: Any | None) -> dict[str, dict[str, int]]:
    """Done / failed / pending tasks of each step of ``workflow`` in ``store``.

    Relax tasks are known upfront (content keys). Adhesion and migration tasks start from the
    relaxed structures: those whose relaxation is done are counted by key; the others are
    ``pending`` and also counted as ``waiting`` (for their relaxation).

    Parameters
    ----------
    workflow : alloyscreen.workflow.Workflow
    store : ResultStore or None
        ``None`` for a store that does not exist yet (everything pending).
    """
    spec = CalculatorSpec.make(workflow.calculator.name, **workflow.calculator.options)
    candidates = load_campaign_candidates(workflow.campaign.candidates, workflow.campaign.ids)

    def statuses_of(keys: list[str]) -> dict[str, str]:
        return store.status_of(keys) if store is not None else {}

    counts: dict[str, dict[str, int]] = {}
    relaxed = {c.id: c.to_atoms() for c in candidates}
    relax = workflow.step("relax")
    if relax is not None:
        tasks, _ = relax_tasks(candidates, spec, relax.options)
        statuses = statuses_of([t.key for t in tasks])
        counts["relax"] = _count([t.key for t in tasks], statuses)
        relaxed = {}
        for task in tasks:
            if statuses.get(task.key) == "done" and store is not None:
                row = store.get(task.key)
                if row is not None:
                    relaxed[task.candidate_id] = row.atoms
    for step in ("adhesion", "migration"):
        section = workflow.step(step)
        if section is None:
            continue
        chosen = step_candidates(step, candidates, section.options)
        ready = [c for c in chosen if c.id in relaxed]
        options = section.options
        if step == "adhesion":  # the funnel may stop some: the counts are then upper bounds
            options = funnel_adhesion_options(workflow, options)
        tasks = structure_step_tasks(step, ready, relaxed, spec, options)
        keys = [t.key for t in tasks]
        entry = _count(keys, statuses_of(keys))
        waiting = len(chosen) - len(ready)
        entry["pending"] += waiting
        entry["waiting"] = waiting
        counts[step] = entry
    interphase = workflow.step("interphase")
    if interphase is not None and interphase.options.get("route") == "thermo":
        tasks, _ = thermo_phase_tasks(interphase_elements(interphase.options), spec)
        keys = [t.key for t in tasks]
        counts["interphase"] = _count(keys, statuses_of(keys))
    return counts


def run_campaign(
    workflow: Workflow,
    store: ResultStore,
    engine: Engine,
    *,
    progress_factory: ProgressFactory | None = None,
    write_outputs: OutputWriter | None = None,
) -> CampaignResult:
    """Run every enabled step of ``workflow`` in order and return what each did.

    The ranking is computed here when the workflow has a ``rank`` or ``report`` step; the files
    of those steps (shortlist, report) are written by ``write_outputs(workflow, result, store,
    calculator_label)``, which returns ``{label: path}`` (e.g.
    :func:`alloyscreen.report.workflow_outputs`); without it no files are written.
    """
    progress_factory = progress_factory or no_progress
    spec = CalculatorSpec.make(workflow.calculator.name, **workflow.calculator.options)
    candidates = load_campaign_candidates(workflow.campaign.candidates, workflow.campaign.ids)
    result = CampaignResult()
    relaxed: dict[str, Atoms] = {c.id: c.to_atoms() for c in candidates}

    relax = workflow.step("relax")
    if relax is not None:
        tasks, _ = relax_tasks(candidates, spec, relax.options)
        summary = run_step(f"{'relax':<10}", tasks, store, engine, progress_factory)
        result.steps["relax"] = summary
        result.formation_energies_eV_atom = formation_energies(summary.results)
        for r in summary.results:
            if r.done:
                relaxed[r.candidate_id] = r.atoms
            else:
                relaxed.pop(r.candidate_id, None)

    output = Path(workflow.campaign.output)
    interphase = workflow.step("interphase")
    funnel_section = workflow.step("funnel")
    if funnel_section is None:
        for step in ("adhesion", "migration"):
            section = workflow.step(step)
            if section is None:
                continue
            tasks = structure_step_tasks(step, candidates, relaxed, spec, section.options)
            result.steps[step] = run_step(f"{step:<10}", tasks, store, engine, progress_factory)
        if store.get_document("funnel"):  # an earlier funnel's stops no longer apply
            store.put_document("funnel", {})
    else:
        _funnel_steps(workflow, candidates, relaxed, spec, store, engine, progress_factory, result)
        interphase = None  # the funnel ran it before migration (its margins enter the bounds)

    if interphase is not None:
        _run_interphase(
            interphase.options, candidates, relaxed, spec, store, engine, output, result,
            progress_factory,
        )  # fmt: skip
    rank_section = workflow.step("rank")
    report_section = workflow.step("report")
    if rank_section is not None or report_section is not None:
        from alloyscreen.ranking import descriptors_from_store, rank_candidates

        options = rank_section.options if rank_section is not None else {}
        ids = {c.id for c in candidates}
        cands = [
            c
            for c in descriptors_from_store(
                store,
                calculator=spec.name,
                margins=load_margins(store),
                funnel=store.get_document("funnel"),
            )
            if c.id in ids
        ]
        result.ranking = rank_candidates(cands, options.get("weights"))
        result.n_candidates = len(candidates)
        if write_outputs is not None:
            result.outputs.update(write_outputs(workflow, result, store, spec.identity().label))
    return result


def _run_interphase(
    options: dict[str, Any],
    candidates: Sequence[Candidate],
    relaxed: dict[str, Atoms],
    spec: CalculatorSpec,
    store: ResultStore,
    engine: Engine,
    output: Path,
    result: CampaignResult,
    progress_factory: ProgressFactory,
) -> None:
    entries = None
    if options.get("route") == "thermo":  # phases relaxed through the store
        entries, result.steps["interphase"], _ = relax_thermo_phases(
            interphase_elements(options), spec, store, engine, progress_factory
        )
    with progress_factory(f"{'interphase':<10}", 1) as advance:
        result.outputs.update(interphase_step(options, candidates, relaxed, store, output, entries))
        advance()


def _funnel_steps(
    workflow: Workflow,
    candidates: Sequence[Candidate],
    relaxed: dict[str, Atoms],
    spec: CalculatorSpec,
    store: ResultStore,
    engine: Engine,
    progress_factory: ProgressFactory,
    result: CampaignResult,
) -> None:
    """Adhesion, interphase and migration through the screening funnel (:mod:`alloyscreen.funnel`).

    Stability before adhesion (hull of this campaign's relaxations), the rigid termination screen
    inside adhesion, the optional W_ad threshold and the score bound before migration. Stopped
    candidates are recorded in ``result.funnel`` and the store's ``funnel`` document.
    """
    from alloyscreen.funnel import (
        FunnelSettings,
        affinity_stage,
        mobility_stage,
        stability_stage,
    )
    from alloyscreen.ranking import descriptors_from_store, hull_energies

    section = workflow.step("funnel")
    assert section is not None
    settings = FunnelSettings.from_options(section.options, f"{workflow.source}: [steps.funnel]")
    stops = []
    active = list(candidates)
    relax = result.steps.get("relax")
    if relax is not None:
        e_hull = hull_energies([r for r in relax.results if r.done])
        passed, stopped = stability_stage(
            [c.id for c in active], e_hull, settings.max_e_hull_eV_atom
        )
        stops += stopped
        kept = set(passed)
        active = [c for c in active if c.id in kept]

    adhesion = workflow.step("adhesion")
    w_adh: dict[str, float | None] = {}
    if adhesion is not None:
        options = funnel_adhesion_options(workflow, adhesion.options)
        tasks = structure_step_tasks("adhesion", active, relaxed, spec, options)
        summary = run_step(f"{'adhesion':<10}", tasks, store, engine, progress_factory)
        result.steps["adhesion"] = summary
        for r in summary.results:
            w_adh[r.candidate_id] = (r.result or {}).get("w_adh_J_m2") if r.done else None

    interphase = workflow.step("interphase")
    if interphase is not None:
        output = Path(workflow.campaign.output)
        _run_interphase(
            interphase.options, candidates, relaxed, spec, store, engine, output, result,
            progress_factory,
        )  # fmt: skip

    migration = workflow.step("migration")
    if migration is not None:
        ids = [c.id for c in step_candidates("migration", active, migration.options)]
        ids, stopped = affinity_stage(ids, w_adh, settings.min_w_adh_J_m2)
        stops += stopped
        rank = workflow.step("rank")
        weights = rank.options.get("weights") if rank is not None else None
        in_campaign = {c.id for c in candidates}
        known = [
            d
            for d in descriptors_from_store(
                store, calculator=spec.name, margins=load_margins(store)
            )
            if d.id in in_campaign
        ]
        ids, stopped = mobility_stage(ids, known, settings.protect_top, weights)
        stops += stopped
        keep = set(ids)
        chosen = [c for c in active if c.id in keep]
        tasks = structure_step_tasks("migration", chosen, relaxed, spec, migration.options)
        result.steps["migration"] = run_step(
            f"{'migration':<10}", tasks, store, engine, progress_factory
        )
    result.funnel = {d.id: d.as_record() for d in stops}
    store.put_document("funnel", result.funnel)
    for d in stops:
        logger.info("%s stopped at the %s stage: %s", d.id, d.stage, d.reason)
