"""Drive tasks through an engine into the store: skip done keys, write results as they arrive.

This is the only place where computed outcomes become store rows during a campaign. Because each
outcome is committed as soon as it arrives, Ctrl-C or a killed driver loses only the tasks in
flight, and rerunning the same command resumes where it stopped. Processes computing into the same
store take turns (:meth:`~alloyscreen.store.ResultStore.exclusive`): a second campaign waits for
the first one's tasks and then reuses them instead of computing them again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from alloyscreen.engines.base import Engine
from alloyscreen.store import ResultStore, StoredResult
from alloyscreen.tasks import Task, TaskOutcome

logger = logging.getLogger(__name__)

#: Seconds without a finished task after which the runner says the campaign is still computing
#: (a single adhesion task with every termination can run for tens of minutes).
HEARTBEAT_S = 300.0

#: ``progress(result)`` is called once per task (cached or computed).
ProgressCallback = Callable[[StoredResult], None]


@dataclass
class RunSummary:
    """What a call of :func:`run_tasks` did.

    ``results`` follows the order of the input tasks (duplicates of a key share one result).
    """

    results: list[StoredResult] = field(default_factory=list)
    n_cached: int = 0
    n_computed: int = 0
    n_failed: int = 0
    wall_time_s: float = 0.0

    @property
    def n_done(self) -> int:
        """Tasks with a done result (cached or new)."""
        return sum(r.done for r in self.results)


def run_tasks(
    tasks: Sequence[Task],
    store: ResultStore,
    engine: Engine,
    *,
    progress: ProgressCallback | None = None,
    retry_failed: bool = True,
    retry_verdicts: bool = False,
) -> RunSummary:
    """Run ``tasks`` whose keys are not done yet, storing every outcome as it arrives.

    Parameters
    ----------
    tasks : sequence of Task
        Duplicate keys are computed once.
    store : ResultStore
        Written by this (driver) process only.
    engine : Engine
        Where the pending tasks run (local pool, SLURM...).
    progress : callable, optional
        Called with each result (cached ones first).
    retry_failed : bool
        Recompute keys stored as failed by an error (a crash, a lost worker, an exception that
        is not the calculation's answer; default). Failures that are the calculation's verdict
        (``StoredResult.verdict``: a CalculationError or the science function's InputError, the
        same for the same key) are reused like done results unless ``retry_verdicts``. With
        False, no failed row is recomputed.
    retry_verdicts : bool
        Recompute verdict failures too (e.g. after installing a fixed version of a science
        function whose task version was not bumped).
    """
    t0 = time.perf_counter()
    unique: dict[str, Task] = {}
    for task in tasks:
        unique.setdefault(task.key, task)
    by_key: dict[str, StoredResult] = {}
    summary = RunSummary()
    pending = _take_cached(unique, store, by_key, summary, progress, retry_failed, retry_verdicts)
    if pending:
        # Another process may be computing the same keys: wait for it, then reuse its results.
        with store.exclusive():
            pending = _take_cached(
                {t.key: t for t in pending},
                store,
                by_key,
                summary,
                progress,
                retry_failed,
                retry_verdicts,
            )
            if pending:
                logger.info("%d task(s) to compute, %d cached", len(pending), summary.n_cached)
                inputs = {t.key: t for t in pending}
                with _Heartbeat(pending, HEARTBEAT_S) as beat:
                    for outcome in engine.map(pending):
                        source = inputs[outcome.key]
                        stored = store.put(
                            outcome, input_atoms=source.atoms, meta=dict(source.meta)
                        )
                        by_key[outcome.key] = stored
                        summary.n_computed += 1
                        beat.tick()
                        if progress:
                            progress(stored)
    summary.results = [by_key[t.key] for t in tasks if t.key in by_key]
    summary.n_failed = sum(not r.done for r in by_key.values())
    summary.wall_time_s = time.perf_counter() - t0
    return summary


class _Heartbeat:
    """Log a line when no task has finished for ``interval_s`` seconds (long tasks show life)."""

    def __init__(self, tasks: Sequence[Task], interval_s: float) -> None:
        self.n = len(tasks)
        kinds = sorted({t.kind for t in tasks})
        self.what = ", ".join(kinds)
        self.first = tasks[0].candidate_id if tasks else ""
        self.interval_s = interval_s
        self.done = 0
        self.t0 = self.last = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alloyscreen-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self) -> None:
        self.done += 1
        self.last = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(min(self.interval_s, 30.0)):
            now = time.monotonic()
            if now - self.last >= self.interval_s:
                logger.warning(
                    "still computing %s: %d of %d task(s) finished, running for %.0f min "
                    "(first pending: %s); finished results are stored as they arrive",
                    self.what,
                    self.done,
                    self.n,
                    (now - self.t0) / 60.0,
                    self.first,
                )
                self.last = now


def _take_cached(
    unique: dict[str, Task],
    store: ResultStore,
    by_key: dict[str, StoredResult],
    summary: RunSummary,
    progress: ProgressCallback | None,
    retry_failed: bool,
    retry_verdicts: bool,
) -> list[Task]:
    """Move the stored results of ``unique`` into ``by_key``; return the tasks still to compute."""
    statuses = store.status_of(unique)
    pending: list[Task] = []
    for key, task in unique.items():
        status = statuses.get(key)
        if status in ("done", "failed"):
            stored = store.get(key)
            if stored is not None and (
                stored.done or not retry_failed or (stored.verdict and not retry_verdicts)
            ):
                by_key[key] = stored
                summary.n_cached += 1
                if progress:
                    progress(stored)
                continue
        pending.append(task)
    return pending


def get_or_compute(
    store: ResultStore, task: Task, compute: Callable[[Task], TaskOutcome] | None = None
) -> StoredResult:
    """The stored done result of ``task`` or compute it now, in this process, and store it.

    ``compute`` defaults to :func:`alloyscreen.engines.worker.execute_task`.
    """
    found = store.get(task.key)
    if found is not None and found.done:
        return found
    if compute is None:
        from alloyscreen.engines.worker import execute_task as compute
    return store.put(compute(task), input_atoms=task.atoms, meta=dict(task.meta))
