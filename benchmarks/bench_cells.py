"""Benchmark of the cells pipeline: simulate -> CSV -> read -> analyse.

Run: ``.venv/bin/python benchmarks/bench_cells.py [n_cycles]``. Prints wall times and the ratio of
the normalising CSV reader to a bare ``pandas.read_csv`` of the same file (baseline measured in the
same process).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from alloyscreen.experiments.cells import (
    CellConfig,
    InterphaseGrowth,
    analyze_cell,
    read_csv,
    simulate_cell,
    write_csv,
)


def _timed(fn, *args, repeat: int = 3, **kwargs):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(n_cycles: int = 1000) -> None:
    cfg = CellConfig(
        kind="symmetric",
        interphase=InterphaseGrowth.from_sigma_e(1e-2),
        n_cycles=n_cycles,
        points_per_half_cycle=60,
    )
    t_sim, sim = _timed(simulate_cell, cfg)
    rows = len(sim.table)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        t_write, _ = _timed(write_csv, sim.table, path)
        t_raw, _ = _timed(pd.read_csv, path, comment=None)
        t_read, table = _timed(read_csv, path)
    t_an, _ = _timed(analyze_cell, table, cfg.protocol())
    print(f"records: {rows} ({n_cycles} cycles)")
    print(f"simulate: {t_sim:.3f} s ({rows / t_sim:.3g} records/s)")
    print(f"write_csv: {t_write:.3f} s")
    print(f"read_csv: {t_read:.3f} s = {t_read / t_raw:.2f} x bare pandas.read_csv ({t_raw:.3f} s)")
    print(f"analyze_cell: {t_an:.3f} s ({rows / t_an:.3g} records/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
