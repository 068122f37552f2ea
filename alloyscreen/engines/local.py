"""Local engine: a process pool on this machine (or in-process for one worker)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from alloyscreen.engines.base import failed_outcome
from alloyscreen.engines.worker import execute_task
from alloyscreen.tasks import Task, TaskOutcome

logger = logging.getLogger(__name__)


#: How often a worker checks that its driver still lives (seconds).
ORPHAN_CHECK_S = 0.5


def _exit_when_orphaned(driver_pid: int) -> None:
    """Worker thread: end this process as soon as the driver is gone (killed with -9...).

    A worker whose driver died would otherwise finish its task for nobody and then wait forever
    for the next one, holding its memory.
    """
    while True:
        time.sleep(ORPHAN_CHECK_S)
        if os.getppid() != driver_pid:
            os._exit(70)


def _init_worker(threads: int, warning_filters: list, driver_pid: int) -> None:
    # Runs in the fresh worker process before torch is imported there: N workers x T threads
    # should not oversubscribe the cores. The driver's own environment is untouched.
    # Workers see the driver's warning filters (spawned processes start with Python's defaults).
    # Ctrl-C reaches the whole process group: the driver alone decides (it ends the workers),
    # so a worker never turns the signal into a half-reported task.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_when_orphaned, args=(driver_pid,), name="orphan-check", daemon=True
    ).start()
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
                initargs=(self.threads, list(warnings.filters), os.getpid()),
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
                if futures:
                    # Ctrl-C or a closed generator: end the workers now instead of letting them
                    # finish (and start) tasks nobody will store.
                    _terminate(pool)
                else:
                    pool.shutdown(wait=True)

    def close(self) -> None:
        """Nothing persistent to release."""


def _terminate(pool: ProcessPoolExecutor, grace_s: float = 2.0) -> None:
    """Kill the pool's worker processes and return within about ``grace_s`` seconds."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    deadline = time.monotonic() + grace_s
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(max(0.5, deadline - time.monotonic()))
        if not manager.is_alive():
            # CPython 3.11 race: its exit hook would wake this finished pool through a closed
            # pipe ("Exception ignored ... Bad file descriptor"). The pool is gone: forget it.
            import concurrent.futures.process as cf_process

            cf_process._threads_wakeups.pop(manager, None)


def _died(task: Task, attempts: int) -> TaskOutcome:
    return failed_outcome(
        task,
        f"worker process died {attempts} time(s) while running this task "
        "(out of memory, segmentation fault or killed)",
    )
