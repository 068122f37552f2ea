"""Per-task overhead of the engines: 200 trivial tasks through the local and the slurm engine.

Run from the repository root (the slurm part needs a SLURM that answers ``sinfo``, e.g. the local
one of ``scripts/local-slurm.sh``; it is skipped with a message otherwise)::

    .venv/bin/python benchmarks/bench_engines.py [--tasks 200] [--jobs 2] [--partition debug]

A trivial task builds no model and computes nothing (a registered task kind that returns at
once), so everything measured is engine overhead: serialising the task, scheduling, the round trip
to the worker and back. Printed per engine: time to the first outcome (start-up: process pool or
``sbatch`` + queue + worker start), steady-state seconds per task after that, and the total wall
time per task; the slurm figures also as ratios to the local engine measured in the same process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ase import Atoms

from alloyscreen.tasks import CalculatorSpec, TaskKind, make_task, register_task_kind

HERE = Path(__file__).resolve().parent
KIND = "bench-noop"


def noop_task(atoms: Any, calc: Any, *, i: int = 0) -> dict[str, int]:
    """The trivial task: return the index and the atom count."""
    return {"i": i, "n_atoms": len(atoms)}


# Module level, so that spawned local workers (which re-import this file) know the kind too;
# the slurm engine ships the kind with each task.
register_task_kind(KIND, TaskKind("bench_engines:noop_task", 1, "benchmark: does nothing"))


def tasks(n: int) -> list[Any]:
    spec = CalculatorSpec.make("emt")
    atoms = Atoms("Cu", cell=[2.5, 2.5, 2.5], pbc=True)
    return [make_task(KIND, f"t{i}", atoms, spec, {"i": i}) for i in range(n)]


def measure(engine: Any, n: int) -> dict[str, float]:
    """Run ``n`` trivial tasks through ``engine.map``; timings in seconds."""
    todo = tasks(n)
    t0 = time.perf_counter()
    first = last = t0
    count = 0
    try:
        for outcome in engine.map(todo):
            if outcome.status != "done":
                raise RuntimeError(f"benchmark task failed: {outcome.error}")
            last = time.perf_counter()
            if count == 0:
                first = last
            count += 1
    finally:
        engine.close()
    assert count == n
    steady = (last - first) / max(1, n - 1)
    return {"startup_s": first - t0, "steady_s_per_task": steady, "total_s": last - t0}


def slurm_answers() -> bool:
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def report(label: str, m: dict[str, float], n: int) -> None:
    print(
        f"{label:<24} start-up {m['startup_s']:7.2f} s   steady {1e3 * m['steady_s_per_task']:8.2f} "
        f"ms/task   total {1e3 * m['total_s'] / n:8.2f} ms/task ({m['total_s']:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="local engine worker processes")
    parser.add_argument("--jobs", type=int, default=2, help="slurm engine jobs (1 core each)")
    parser.add_argument("--partition", default=os.environ.get("ALLOYSCREEN_TEST_PARTITION"))
    parser.add_argument("--interface", default="lo", help="dask interface ('lo' on one machine)")
    args = parser.parse_args()
    n = args.tasks
    # slurm workers import this module from here (sbatch exports the environment)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE), os.environ.get("PYTHONPATH")])
    )

    from alloyscreen.engines import LocalEngine

    print(f"{n} trivial tasks; {os.cpu_count()} CPU(s)")
    local1 = measure(LocalEngine(workers=1), n)
    report("local, in-process", local1, n)
    local = measure(LocalEngine(workers=args.workers), n)
    report(f"local, {args.workers} processes", local, n)

    if not slurm_answers():
        print("slurm: skipped (sinfo does not answer; scripts/local-slurm.sh install && start)")
        return
    from alloyscreen.engines.slurm import SlurmEngine

    with tempfile.TemporaryDirectory(prefix="bench-slurm-") as tmp:
        engine = SlurmEngine(
            queue=args.partition,
            cores=1,
            memory="1GB",
            jobs=args.jobs,
            walltime="00:10:00",
            interface=args.interface,
            state_file=Path(tmp) / "state.json",
        )
        slurm = measure(engine, n)
    report(f"slurm, {args.jobs} jobs", slurm, n)
    print(
        f"slurm / local({args.workers} processes): steady per-task "
        f"{slurm['steady_s_per_task'] / local['steady_s_per_task']:.1f}x, "
        f"total {slurm['total_s'] / local['total_s']:.1f}x; "
        f"slurm start-up {slurm['startup_s']:.1f} s vs {local['startup_s']:.1f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
