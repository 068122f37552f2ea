"""One library function per user-level action; each CLI command is argument handling plus one call.

Modelled on quacc's short recipes: a recipe takes plain arguments (candidate files, a calculator
name, frozen settings, a store), runs its tasks through the store (cached, resumable) and returns
a small dataclass with the stored rows read back as typed results. Output formatting (tables,
JSON records) stays in :mod:`alloyscreen.cli`.

- :func:`relax` — relax candidates (and, optionally, their elemental references);
- :func:`relax_then_step` — relax candidates, then run a per-structure step (``adhesion``,
  ``migration``) on the relaxed structures: the sequence the ``adhesion``, ``migration`` and
  ``relax`` commands share;
- :func:`adhesion`, :func:`migration` — those two steps from candidate files.

The task parameters are exactly those the commands built before these functions existed (the
same content keys; ``tests/test_content_keys.py`` pins them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ase import Atoms

from alloyscreen.calculators import DEFAULT_CALCULATOR, check_elements
from alloyscreen.campaign import (
    load_campaign_candidates,
    load_design,
    load_margins,
    no_progress,
    relax_tasks,
    run_step,
    structure_step_tasks,
)
from alloyscreen.element_references import formation_energies
from alloyscreen.engines.base import Engine
from alloyscreen.errors import InputError
from alloyscreen.properties.migration import (
    HopSearch,
    NEBSettings,
    migration_task_params,
    plot_mep,
)
from alloyscreen.results import typed_result
from alloyscreen.runner import RunSummary
from alloyscreen.store import DEFAULT_DB, ResultStore, StoredResult
from alloyscreen.structures.candidates import CATEGORIES, Candidate
from alloyscreen.tasks import STANDARD_RELAX_OPTIONS, CalculatorSpec, task_kind

#: ``progress(description, total)`` returns a context manager yielding ``advance()``.
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[..., None]]]

#: The relaxation that per-structure commands run first: ``alloyscreen relax``'s defaults without
#: elemental references, so that they share stored results with it.
RELAX_FIRST_OPTIONS: dict[str, Any] = {**STANDARD_RELAX_OPTIONS, "formation_energy": False}


def non_default_params(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``options`` that differ from the defaults of task kind ``kind``'s function.

    Only these enter a task's parameters, so that a command run with default values shares its
    content keys (cached results) with a workflow step that sets no options. Tuple defaults are
    compared as the lists a JSON/TOML round trip makes of them.
    """
    params = inspect.signature(task_kind(kind).resolve()).parameters
    out = {}
    for key, value in options.items():
        default = params[key].default
        if isinstance(default, tuple):
            default = [list(x) if isinstance(x, tuple) else x for x in default]
        if value != default:
            out[key] = value
    return out


@dataclass
class StepRun:
    """What a recipe did: the relaxation, the step (if any) and the rows read back.

    Attributes
    ----------
    candidates : list of Candidate
        The candidates treated (after filtering).
    relax : RunSummary
    step : RunSummary or None
        ``None`` when no candidate relaxed (or for :func:`relax`).
    skipped : list of str
        Candidate ids left out before anything ran (e.g. without the migrating species).
    store_url : str
        The results store the rows are in.
    """

    candidates: list[Candidate]
    relax: RunSummary
    step: RunSummary | None = None
    skipped: list[str] = field(default_factory=list)
    store_url: str = ""

    @property
    def relaxed(self) -> dict[str, Atoms]:
        """Relaxed structures by candidate id (done relaxations only)."""
        return {r.candidate_id: r.atoms for r in self.relax.results if r.done}

    @property
    def formation_energies(self) -> dict[str, float]:
        """Formation energies (eV/atom) of the candidates whose elemental references are done."""
        return formation_energies(self.relax.results)

    @property
    def relax_failed(self) -> dict[str, StoredResult]:
        """Failed relaxations by candidate id."""
        return {r.candidate_id: r for r in self.relax.results if not r.done}

    @property
    def step_results(self) -> list[StoredResult]:
        """Rows of the step, in candidate order."""
        return list(self.step.results) if self.step is not None else []

    def typed(self) -> list[tuple[StoredResult, Any]]:
        """``(row, typed result or None)`` for every row of the step."""
        return [(r, typed_result(r)) for r in self.step_results]

    @property
    def n_computed(self) -> int:
        """Step tasks computed now."""
        return self.step.n_computed if self.step is not None else 0

    @property
    def n_cached(self) -> int:
        """Step tasks read from the store."""
        return self.step.n_cached if self.step is not None else 0

    @property
    def n_failed(self) -> int:
        """Failed relaxations plus failed step tasks."""
        return len(self.relax_failed) + (self.step.n_failed if self.step is not None else 0)


def open_store(store: ResultStore | str | None, *, read_only: bool = False) -> ResultStore:
    """``store`` itself, or the store at a path/URL (default ``results/alloyscreen.db``).

    Recipes open it only after their inputs are checked, so bad input never creates a store;
    ``read_only`` recipes (ranking, validation) need an existing store and never write.
    """
    if isinstance(store, ResultStore):
        return store
    return ResultStore(store or DEFAULT_DB, create=not read_only, write=not read_only)


def _engine(engine: Engine | None, workers: int) -> tuple[Engine, bool]:
    if engine is not None:
        return engine, False
    from alloyscreen import engines

    return engines.LocalEngine(workers), True


def relax_candidates(
    candidates: Sequence[Candidate],
    spec: CalculatorSpec,
    store: ResultStore,
    engine: Engine,
    progress: ProgressFactory = no_progress,
    options: dict[str, Any] | None = None,
) -> RunSummary:
    """Relax every candidate, whatever its category, through the store.

    ``options`` default to :data:`RELAX_FIRST_OPTIONS`; the tasks are the campaign runner's
    ``relax`` tasks (same content keys).
    """
    opts = dict(RELAX_FIRST_OPTIONS if options is None else options)
    tasks, _ = relax_tasks(candidates, spec, {**opts, "categories": list(CATEGORIES)})
    return run_step("relax", tasks, store, engine, progress)


def relax_then_step(
    step: str,
    candidates: Sequence[Candidate],
    spec: CalculatorSpec,
    store: ResultStore,
    engine: Engine,
    params: dict[str, Any],
    *,
    progress: ProgressFactory = no_progress,
    relax_progress: ProgressFactory | None = None,
) -> StepRun:
    """Relax ``candidates`` (:func:`relax_candidates`), then run ``step`` on the relaxed ones.

    Parameters
    ----------
    step : {"adhesion", "migration"}
        A per-structure task kind.
    params : dict
        The step's task parameters (non-default values only, see :func:`non_default_params`).
    progress, relax_progress : callable
        Progress factories of the step and of the relaxation (default: the step's).
    """
    rsum = relax_candidates(candidates, spec, store, engine, relax_progress or progress)
    run = StepRun(list(candidates), rsum, store_url=store.url)
    relaxed = run.relaxed
    tasks = structure_step_tasks(
        step,
        [c for c in candidates if c.id in relaxed],
        relaxed,
        spec,
        {**params, "categories": list(CATEGORIES)},
    )
    if tasks:
        run.step = run_step(step, tasks, store, engine, progress)
    return run


def _load(files: Sequence[Any], ids: Sequence[str] | None) -> list[Candidate]:
    return load_campaign_candidates([str(f) for f in files], list(ids) if ids else None)


def relax(
    files: Sequence[Any],
    store: ResultStore | str | None = None,
    *,
    calculator: str = DEFAULT_CALCULATOR,
    fmax: float = STANDARD_RELAX_OPTIONS["fmax"],
    max_steps: int = STANDARD_RELAX_OPTIONS["max_steps"],
    optimizer: str = STANDARD_RELAX_OPTIONS["optimizer"],
    formation_energy: bool = False,
    workers: int = 1,
    engine: Engine | None = None,
    progress: ProgressFactory = no_progress,
) -> StepRun:
    """``alloyscreen relax``: relax the structures of ``files`` (and, with ``formation_energy``,
    their elemental references); :attr:`StepRun.formation_energies` gives eV/atom.

    ``fmax`` (eV/Å), ``max_steps`` and ``optimizer`` are the ``relax`` task's parameters, passed
    as they are to :func:`alloyscreen.properties.bulk.relax_bulk` by the worker.
    """
    candidates = _load(files, None)
    for cand in candidates:
        try:
            check_elements(cand.structure.composition.chemical_system.split("-"), calculator)
        except InputError as exc:
            raise InputError(f"{cand.provenance.get('file', cand.id)}: {exc}") from None
    options = {
        "fmax": fmax,
        "max_steps": max_steps,
        "optimizer": optimizer,
        "formation_energy": formation_energy,
    }
    tasks, _ = relax_tasks(candidates, CalculatorSpec.make(calculator), options)
    db = open_store(store)
    eng, own = _engine(engine, workers)
    try:
        summary = run_step("relax", tasks, db, eng, progress)
    finally:
        if own:
            eng.close()
    return StepRun(candidates, summary, store_url=db.url)


def adhesion(
    files: Sequence[Any],
    store: ResultStore | str | None = None,
    *,
    ids: Sequence[str] | None = None,
    calculator: str = DEFAULT_CALCULATOR,
    max_atoms: int = 120,
    max_strain_pct: float = 8.0,
    max_area_A2: float = 100.0,
    all_terminations: bool = False,
    workers: int = 1,
    engine: Engine | None = None,
    progress: ProgressFactory = no_progress,
    relax_progress: ProgressFactory | None = None,
) -> StepRun:
    """``alloyscreen adhesion``: relax the candidates, then the work of adhesion of Li on each.

    The options are those of :func:`alloyscreen.properties.adhesion.work_of_adhesion`
    (``all_terminations`` sets ``max_terminations`` to 0, else 1); typed results:
    :class:`~alloyscreen.properties.adhesion.AdhesionResult`.
    """
    candidates = _load(files, ids)
    for cand in candidates:
        try:
            elements = cand.structure.composition.chemical_system.split("-")
            check_elements([*elements, "Li"], calculator)  # the film is Li
        except InputError as exc:
            raise InputError(f"{cand.provenance.get('file', cand.id)}: {exc}") from None
    if max_strain_pct <= 0 or max_area_A2 <= 0:
        raise InputError("--max-strain-pct and --max-area must be positive")
    params = non_default_params(
        "adhesion",
        {
            "max_atoms": max_atoms,
            "max_strain_pct": max_strain_pct,
            "max_area_A2": max_area_A2,
            "max_terminations": 0 if all_terminations else 1,
        },
    )
    db = open_store(store)
    eng, own = _engine(engine, workers)
    try:
        run = relax_then_step(
            "adhesion",
            candidates,
            CalculatorSpec.make(calculator),
            db,
            eng,
            params,
            progress=progress,
            relax_progress=relax_progress,
        )
    finally:
        if own:
            eng.close()
    run.store_url = db.url
    return run


def migration(
    files: Sequence[Any],
    store: ResultStore | str | None = None,
    *,
    ids: Sequence[str] | None = None,
    calculator: str = DEFAULT_CALCULATOR,
    search: HopSearch | None = None,
    neb: NEBSettings | None = None,
    preconverge: str | None = None,
    workers: int = 1,
    engine: Engine | None = None,
    progress: ProgressFactory = no_progress,
) -> StepRun:
    """``alloyscreen migration``: relax the candidates containing the migrating species, then
    CI-NEB barriers, network barrier and D(298 K) on each.

    ``preconverge`` names a cheaper calculator (ML potential) that converges every hop first;
    ``calculator`` (DFT) then refines from its endpoints and band (ML -> DFT refinement). Its
    identity (name, version) enters the task parameters, hence the content key.

    ``search`` (:class:`~alloyscreen.properties.migration.HopSearch`) and ``neb``
    (:class:`~alloyscreen.properties.migration.NEBSettings`) become the task's parameters through
    :func:`~alloyscreen.properties.migration.migration_task_params`; typed results:
    :class:`~alloyscreen.properties.migration.MigrationResult`.

    Raises
    ------
    InputError
        A file is missing, no candidate contains the species, or the calculator cannot treat one.
    """
    search = search if search is not None else HopSearch()
    for f in files:
        if not _exists(f):
            raise InputError(
                f"{f}: no such file; give a candidate set (candidates generate) or structure files"
            )
    candidates = _load(files, ids)
    species = search.species
    chosen = [c for c in candidates if species in c.elements]
    skipped = [c.id for c in candidates if species not in c.elements]
    if not chosen:
        hint = f" (skipped: {', '.join(skipped)})" if skipped else ""
        raise InputError(f"no candidate contains {species}; nothing to compute{hint}")
    for cand in chosen:
        try:
            check_elements(cand.elements, calculator)
        except InputError as exc:
            raise InputError(f"{cand.id}: {exc}") from None
    params = migration_task_params(search, neb)
    if preconverge is not None:
        for cand in chosen:
            try:
                check_elements(cand.elements, preconverge)
            except InputError as exc:
                raise InputError(f"{cand.id} (--preconverge {preconverge}): {exc}") from None
        cheap = CalculatorSpec.make(preconverge)
        params["preconverge"] = {"name": cheap.name, "identity": cheap.identity().as_dict()}
    db = open_store(store)
    eng, own = _engine(engine, workers)
    try:
        run = relax_then_step(
            "migration",
            chosen,
            CalculatorSpec.make(calculator),
            db,
            eng,
            params,
            progress=progress,
        )
    finally:
        if own:
            eng.close()
    run.skipped = skipped
    run.store_url = db.url
    return run


@dataclass(frozen=True)
class PlottedMigration:
    """The stored row plotted, the PNG written and how many stored rows could have been."""

    row: StoredResult
    path: Path
    n_rows: int


def plot_migration(
    store: ResultStore | str | None,
    candidate_id: str,
    *,
    key: str | None = None,
    output: str | Path | None = None,
) -> PlottedMigration:
    """``alloyscreen migration plot``: re-plot the stored minimum energy paths of a candidate.

    The newest done result is plotted, else the newest failed one (its partial paths); ``key``
    picks a specific stored result. ``output`` defaults to ``results/migration_<ID>.png``.

    Raises
    ------
    InputError
        No stored migration path for the candidate (or key).
    """
    store = open_store(store)
    if key:
        found = store.get(key)
        rows = [found] if found is not None and found.kind == "migration" else []
    else:
        rows = list(store.rows(kind="migration", candidate_id=candidate_id))
    rows = [r for r in rows if r.result and r.result.get("hops")]
    if not rows:
        raise InputError(
            f"no stored migration path for '{candidate_id}' in {store.url}; "
            "run: alloyscreen migration CANDIDATES.json first"
        )
    row = max(rows, key=lambda r: (r.done, r.row_id))
    out = (
        Path(output)
        if output
        else Path("results") / f"migration_{candidate_id.replace(':', '_')}.png"
    )
    formula = row.result.get("formula", "") if row.result else ""
    path = plot_mep(row.result, out, title=f"{candidate_id}: {formula}")
    return PlottedMigration(row, path, len(rows))


def _exists(path: Any) -> bool:
    return Path(path).exists()


@dataclass(frozen=True)
class Shortlist:
    """A ranking read from a results store: the store's URL, the ranked candidates (best first)
    and the MI-SEI design the interphase step saved there (None when it did not run)."""

    store_url: str
    ranked: list[Any]
    design: dict[str, Any] | None


def shortlist(
    store: ResultStore | str | None = None,
    *,
    weights: str | None = None,
    calculator: str | None = None,
    categories: Sequence[str] | None = None,
) -> Shortlist:
    """``alloyscreen rank``: rank every candidate of ``store`` (the percolation margins of the
    interphase step included) with :func:`alloyscreen.ranking.rank_candidates`.

    Raises
    ------
    InputError
        Bad weights, or a store with nothing to rank.
    """
    from alloyscreen.ranking import descriptors_from_store, parse_weights, rank_candidates

    parsed = parse_weights(weights)
    db = open_store(store, read_only=True)
    cands = descriptors_from_store(db, calculator=calculator, margins=load_margins(db))
    if not cands:
        raise InputError(
            f"{db.url}: no results to rank; run a workflow first "
            "(alloyscreen run workflows/demo.toml)"
        )
    ranked = rank_candidates(cands, parsed, categories=list(categories) if categories else None)
    return Shortlist(db.url, ranked, load_design(db))


@dataclass(frozen=True)
class Validation:
    """A shortlist against experiment: rank correlations (one report per descriptor) and the
    ordinal agreement of predicted contact angles with stated wetting."""

    correlations: list[Any]
    wetting_ordinal: Any


def validate(
    store: ResultStore | str | None = None,
    *,
    calculator: str | None = None,
    experiments: Sequence[str | Path] = (),
    wetting_statements: Sequence[str | Path] = (),
) -> Validation:
    """``alloyscreen validate``: the store's ranked candidates against the shipped experimental
    data plus ``experiments`` (measurement CSVs) and ``wetting_statements`` (stated classes)."""
    from alloyscreen.shortlist_validation import (
        experimental_validation,
        wetting_ordinal_validation,
    )

    ranked = shortlist(store, calculator=calculator).ranked
    return Validation(
        experimental_validation(ranked, experiments),
        wetting_ordinal_validation(ranked, wetting_statements),
    )


def engine_section(
    workflow: Any, *, workers: int | None = None, engine_kind: str | None = None
) -> Any:
    """The workflow's ``[engine]`` section with the command line's overrides applied."""
    overrides = {"kind": engine_kind, "workers": workers}
    update = {k: v for k, v in overrides.items() if v is not None}
    return workflow.engine.model_copy(update=update) if update else workflow.engine


def run_workflow(
    workflow: Any,
    store: str | None = None,
    *,
    workers: int | None = None,
    engine_kind: str | None = None,
    progress: ProgressFactory = no_progress,
    write_outputs: Callable[..., dict[str, str]] | None = None,
) -> tuple[Any, str]:
    """``alloyscreen run``: every enabled step of ``workflow`` (a loaded
    :class:`~alloyscreen.workflow.Workflow`) through the store, on its engine (``workers`` and
    ``engine_kind`` override the ``[engine]`` section). ``write_outputs`` writes the rank/report
    files (see :func:`alloyscreen.campaign.run_campaign`). Returns the campaign result and the
    store's URL; the engine is closed afterwards.
    """
    from alloyscreen.campaign import run_campaign
    from alloyscreen.engines import engine_from_section

    db = open_store(store or workflow.campaign.db)
    eng = engine_from_section(engine_section(workflow, workers=workers, engine_kind=engine_kind))
    if hasattr(eng, "state_file"):  # SLURM: job ids for `alloyscreen status`, next to the store
        from alloyscreen.engines.slurm import campaign_state_path

        eng.state_file = campaign_state_path(db.url)
    try:
        result = run_campaign(
            workflow, db, eng, progress_factory=progress, write_outputs=write_outputs
        )
    finally:
        eng.close()
    return result, db.url
