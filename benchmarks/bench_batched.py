"""Single points per second of 54-atom cells: per-structure ASE loop vs the batched path.

Run from the repository root (background it on a busy machine)::

    .venv/bin/python benchmarks/bench_batched.py --calculators chgnet,sevenn --n 64
    .venv/bin/python benchmarks/bench_batched.py --device cuda --n 2048 --batch-size 64   # a GPU

For each calculator, in one process: ``--n`` rattled 54-atom cells (3x3x3 bcc Li and B2 LiAl,
alternating) evaluated (1) one by one through the ASE calculator, as every workflow does today
(energy, forces and stress per call), and (2) through
:func:`alloyscreen.properties.batched.energies` (the calculator's batched path: CHGNet energies
only, SevenNet energies and forces), once per entry of ``--batch-sizes`` (``auto``: the path's
own choice for the device, 1 on a CPU, 64 on a GPU). Printed: single points per second of each,
the ratio to the loop, and the largest energy difference per atom. A warm-up call per path is not
timed. ``--device`` picks the hardware (``cpu``, ``cuda``, ``auto``); graphs are built on the CPU
in both paths.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from ase.build import bulk

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alloyscreen.calculators import get_calculator  # noqa: E402
from alloyscreen.properties.batched import energies, has_batched_path  # noqa: E402


def cells(n: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        base = (
            bulk("Li", "bcc", a=3.44, cubic=True)
            if i % 2
            else bulk("LiAl", "cesiumchloride", a=3.2)
        )
        atoms = base * (3, 3, 3)
        atoms.positions += rng.normal(0, 0.05, atoms.positions.shape)
        out.append(atoms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calculators", default="chgnet,sevenn")
    parser.add_argument("--n", type=int, default=64, help="cells per path")
    parser.add_argument("--batch-sizes", default="auto,4,16", help="comma-separated; auto")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")
    structures = cells(args.n)
    sizes = [None if b.strip() == "auto" else int(b) for b in args.batch_sizes.split(",")]
    print(f"{args.n} cells of {len(structures[0])} atoms; device {args.device}")
    print(
        f"{'calculator':<22}{'loop sp/s':>12}{'batched sp/s':>14}{'ratio':>8}{'max dE (eV/atom)':>18}"
    )
    for name in [c.strip() for c in args.calculators.split(",") if c.strip()]:
        calc, identity = get_calculator(name, device=args.device)
        if not has_batched_path(calc):
            print(f"{name:<22} no batched path: skipped")
            continue
        energies(structures[:2], calc, batched=False)  # warm-up (first call builds caches)
        t0 = time.perf_counter()
        looped = energies(structures, calc, batched=False)
        t_loop = time.perf_counter() - t0
        for size in sizes:
            energies(structures[:2], calc, batch_size=size)
            t0 = time.perf_counter()
            batched = energies(structures, calc, batch_size=size)
            t_batch = time.perf_counter() - t0
            d = max(
                abs(a - b) / len(s) for a, b, s in zip(looped, batched, structures, strict=True)
            )
            label = f"{identity.label} b={'auto' if size is None else size}"
            print(
                f"{label:<22}{args.n / t_loop:>12.1f}{args.n / t_batch:>14.1f}"
                f"{t_loop / t_batch:>7.2f}x{d:>18.2e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
