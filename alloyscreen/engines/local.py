"""Local engine: a process pool on this machine (or in-process for one worker)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from alloyscreen.engines.base import failed_outcome
from alloyscreen.engines.worker import execute_task
from alloyscreen.tasks import Task, TaskOutcome

logger = logging.getLogger(__name__)


def _init_worker(threads: int, warning_filters: list) -> None:
    # Runs in the fresh worker process before torch is imported there: N workers x T threads
    # should not oversubscribe the cores. The driver's own environment is untouched.
    # Workers see the driver's warning filters (spawned processes start with Python's defaults).
    warnings.filters[:] = warning_filters
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # small matrices only; threads there cost time


class LocalEngine:
    """Run tasks on this machine.

    Parameters
    ----------
    workers : int
        Worker processes. 1 runs tasks in the driver process (no start-up cost); more use a
        ``spawn`` process pool, each worker loading its calculator once.
    threads_per_worker : int, optional
        Threads per worker for torch/BLAS (default: cores // workers, at least 1).
    retries : int
        How often a task whose worker process died (segfault, out of memory, killed) is resubmitted.
    """

    name = "local"

    def __init__(self, workers: int = 1, threads_per_worker: int | None = None, retries: int = 1):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
        self.retries = retries

    def map(self, tasks: Sequence[Task]) -> Iterator[TaskOutcome]:
        """Yield outcomes as tasks finish."""
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield execute_task(task)
            return
        yield from self._pool_map(list(tasks))

    def _pool_map(self, tasks: list[Task]) -> Iterator[TaskOutcome]:
        attempts = {t.key: 0 for t in tasks}
        pending = list(tasks)
        while pending:
            ctx = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(
                max_workers=min(self.workers, len(pending)),
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(self.threads, list(warnings.filters)),
            )
            futures: dict[Future, Task] = {pool.submit(execute_task, t): t for t in pending}
            pending = []
            try:
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in done:
                        task = futures.pop(fut)
                        try:
                            outcome = fut.result()
                        except BrokenProcessPool:
                            attempts[task.key] += 1
                            if attempts[task.key] > self.retries:
                                yield _died(task, attempts[task.key])
                            else:
                                logger.warning(
                                    "worker died running %s; retrying", task.candidate_id
                                )
                                pending.append(task)
                            continue
                        yield outcome
            finally:
                # On Ctrl-C or a closed generator: do not wait for running tasks.
                pool.shutdown(wait=not futures, cancel_futures=True)

    def close(self) -> None:
        """Nothing persistent to release."""


def _died(task: Task, attempts: int) -> TaskOutcome:
    return failed_outcome(
        task,
        f"worker process died {attempts} time(s) while running this task "
        "(out of memory, segmentation fault or killed)",
    )
