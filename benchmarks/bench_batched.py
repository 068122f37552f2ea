"""Single points per second and relaxations per hour of 54-atom cells: ASE loop vs batched paths.

Run from the repository root (background it on a busy machine)::

    .venv/bin/python benchmarks/bench_batched.py --calculators chgnet,sevenn --n 64
    .venv/bin/python benchmarks/bench_batched.py --device cuda --n 2048 --batch-sizes 64  # a GPU
    .venv/bin/python benchmarks/bench_batched.py --sections relax --relax-n 8   # relaxations

For each calculator, in one process: ``--n`` rattled 54-atom cells (3x3x3 bcc Li and B2 LiAl,
alternating) evaluated (1) one by one through the ASE calculator, as every workflow does today
(energy, forces and stress per call), and (2) through
:func:`alloyscreen.properties.batched.energies` (the calculator's batched path: CHGNet energies
only, SevenNet energies and forces), once per entry of ``--batch-sizes`` (``auto``: the path's
own choice for the device, 1 on a CPU, 64 on a GPU). Printed: single points per second of each,
the ratio to the loop, and the largest energy difference per atom. A warm-up call per path is not
timed. ``--device`` picks the hardware (``cpu``, ``cuda``, ``auto``); graphs are built on the CPU
in both paths.

Section ``relax`` (SevenNet, needs the ``batched`` extra): ``--relax-n`` cells rattled by 0.1 Å
relaxed to ``--fmax`` (positions, cell fixed, at most ``--max-steps`` steps) (1) one by one with
ASE's LBFGS through :func:`alloyscreen.properties.batched.relax` with ``batched=False`` (what
adhesion does today) and (2) with torch-sim's batched FIRE, once per entry of
``--relax-batch-sizes``. Printed: relaxations per hour, evaluations per relaxation, the ratio to
the loop, the largest relaxed-energy difference per atom and how many converged.
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
from alloyscreen.properties.batched import (  # noqa: E402
    energies,
    has_batched_path,
    has_batched_relax,
    relax,
)
from alloyscreen.properties.counting import count_calls  # noqa: E402


def cells(n: int, seed: int = 0, rattle_A: float = 0.05) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        base = (
            bulk("Li", "bcc", a=3.44, cubic=True)
            if i % 2
            else bulk("LiAl", "cesiumchloride", a=3.2)
        )
        atoms = base * (3, 3, 3)
        atoms.positions += rng.normal(0, rattle_A, atoms.positions.shape)
        out.append(atoms)
    return out


def bench_relax(args: argparse.Namespace) -> None:
    """Relaxations per hour: ASE LBFGS loop vs torch-sim batched FIRE (SevenNet)."""
    calc, identity = get_calculator("sevenn", device=args.device)
    if not has_batched_relax(calc):
        print("sevenn has no batched relaxation (pip install 'alloyscreen[batched]'): skipped")
        return
    structures = cells(args.relax_n, seed=1, rattle_A=0.1)
    opts = {"fmax": args.fmax, "max_steps": args.max_steps}
    print(
        f"\nrelaxations: {len(structures)} cells of {len(structures[0])} atoms, "
        f"fmax {args.fmax} eV/A, <= {args.max_steps} steps; {identity.label} on {args.device}"
    )
    print(
        f"{'path':<22}{'relax/h':>10}{'evals/relax':>13}{'ratio':>8}"
        f"{'max dE (eV/atom)':>18}{'converged':>11}"
    )
    spare = cells(1, seed=99, rattle_A=0.1)  # warm-up on another cell (no cached first call)
    energies(spare, calc, batched=False)
    relax(spare, calc, fmax=args.fmax, max_steps=2, batch_size=1)
    t0 = time.perf_counter()
    with count_calls(calc) as counter:
        looped = relax(structures, calc, batched=False, optimizer="LBFGS", **opts)
    t_loop = time.perf_counter() - t0
    n = len(structures)
    print(
        f"{'ASE LBFGS loop':<22}{3600 * n / t_loop:>10.0f}{counter.n_calls / n:>13.1f}"
        f"{1.0:>7.2f}x{0.0:>18.2e}{sum(r.converged for r in looped):>8}/{n}",
        flush=True,
    )
    for size in [int(b) for b in args.relax_batch_sizes.split(",")]:
        t0 = time.perf_counter()
        with count_calls(calc) as counter:
            batched = relax(structures, calc, batch_size=size, **opts)
        t = time.perf_counter() - t0
        d = max(
            abs(a.energy_eV - b.energy_eV) / len(s)
            for a, b, s in zip(looped, batched, structures, strict=True)
        )
        print(
            f"{f'torch-sim FIRE b={size}':<22}{3600 * n / t:>10.0f}{counter.n_calls / n:>13.1f}"
            f"{t_loop / t:>7.2f}x{d:>18.2e}{sum(r.converged for r in batched):>8}/{n}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calculators", default="chgnet,sevenn")
    parser.add_argument("--n", type=int, default=64, help="cells per path")
    parser.add_argument("--batch-sizes", default="auto,4,16", help="comma-separated; auto")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--sections", default="sp,relax", help="sp (single points), relax")
    parser.add_argument("--relax-n", type=int, default=8, help="cells to relax per path")
    parser.add_argument("--relax-batch-sizes", default="1,8", help="comma-separated")
    parser.add_argument("--fmax", type=float, default=0.05, help="eV/A")
    parser.add_argument("--max-steps", type=int, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")
    sections = {x.strip() for x in args.sections.split(",")}
    if "sp" in sections:
        bench_single_points(args)
    if "relax" in sections:
        bench_relax(args)


def bench_single_points(args: argparse.Namespace) -> None:
    """Single points per second: ASE loop vs the calculators' batched energies."""
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
