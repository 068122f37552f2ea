"""The ML-vs-DFT validation set, timed: GPAW reference against CHGNet and SevenNet.

Run from the repository root after ``make dft`` (GPAW) and ``make dev`` (the ML potentials)::

    .venv/bin/python benchmarks/bench_validation.py [--calculators chgnet,sevenn] [--db PATH]
                                                    [--workers 1]

Without ``--db`` the store is a fresh temporary file, so everything is computed; with ``--db`` a
second run reads the store (cached) and costs seconds. Prints the deviation table (ML − DFT), the
compute time of each calculator (sum of its tasks' wall times) and of each task, and the ratio of
each ML potential's time to GPAW's measured in the same run. Budget: under 30 minutes on the
project's 2-core machine (measured: docs/validation.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="gpaw")
    parser.add_argument("--calculators", default="chgnet,sevenn")
    parser.add_argument("--db", default=None, help="results store (default: fresh temporary)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    from alloyscreen.cli.calculators import print_report
    from alloyscreen.engines import LocalEngine
    from alloyscreen.ml_vs_dft import run_validation
    from alloyscreen.store import ResultStore

    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-validation-")
        db = str(Path(tmp.name) / "validation.db")
    else:
        db = args.db
    names = [c.strip() for c in args.calculators.split(",") if c.strip()]
    t0 = time.perf_counter()
    done = 0

    def progress(result: Any) -> None:
        nonlocal done
        done += 1
        state = "cached" if result.cached else f"{result.wall_time_s:7.1f} s"
        print(
            f"[{time.perf_counter() - t0:7.1f} s] {done:2d} {result.calculator['name']:8s} "
            f"{result.kind:15s} {result.candidate_id:28s} {result.status:6s} {state}",
            file=sys.stderr,
            flush=True,
        )

    report = run_validation(
        ResultStore(db),
        LocalEngine(args.workers),
        reference=args.reference,
        calculators=names,
        progress=progress,
    )
    wall = time.perf_counter() - t0
    print_report(report)
    timing = {t.calculator: t for t in report.timings}
    ref_time = timing[args.reference].wall_time_s
    print("\nper task (s):")
    tasks = list(timing[args.reference].per_task_s)
    print(f"  {'task':28s}" + "".join(f"{name:>10s}" for name in timing))
    for task in tasks:
        cells = "".join(f"{timing[n].per_task_s.get(task, float('nan')):10.1f}" for n in timing)
        print(f"  {task:28s}{cells}")
    for name in report.calculators:
        ratio = timing[name].wall_time_s / ref_time if ref_time > 0 else float("nan")
        print(f"{name}: {ratio:.3f} x the {args.reference} compute time")
    print(f"wall time of this run: {wall:.1f} s ({wall / 60:.1f} min); store: {db}")
    if tmp is not None:
        tmp.cleanup()
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
