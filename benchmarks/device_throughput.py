"""GPU throughput of the batched paths against issue 18's targets (one prepared device check).

Run from the repository root on a machine with a CUDA GPU (about 2-4 minutes on one H200)::

    .venv/bin/python benchmarks/device_throughput.py
    .venv/bin/python benchmarks/device_throughput.py --device cpu --quick   # smoke test, no GPU

Targets (issue 18, "Targets"): >= 400 single points per second and >= 10,000 relaxations per
hour of 54-atom cells on one H200 through the batched path. SevenNet-0 (``get_calculator("sevenn",
device=...)``), rattled 3x3x3 bcc Li / B2 LiAl cells (54 atoms, as benchmarks/bench_batched.py).

Measured, in this order, each after an untimed warm-up:

1. single points through :func:`alloyscreen.properties.batched.energies` (the calculator's batched
   path; graphs built on the CPU) for each ``--sp-batch-sizes``, and the ASE per-structure loop on
   a few cells for the ratio;
   For information, the same cells through the evaluator of the batched relaxations (torch-sim
   state, vesin neighbour lists) at the largest batch size;
2. relaxations (positions, cell fixed, fmax ``--fmax``, at most ``--max-steps`` steps) through
   :func:`alloyscreen.properties.batched.relax` (torch-sim's batched FIRE, ``--relax-batch-size``
   in flight), and the ASE LBFGS loop on ``--loop-relax`` of the same cells for the ratio and the
   largest relaxed-energy difference per atom.

Prints the figures and one PASS/FAIL line per target; exit code 0 either way (1 when the batched
relaxation path is missing). Without CUDA it says so and stops (exit 0) unless ``--device cpu``
is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_batched import cells  # noqa: E402  (the same 54-atom cells as the CPU benchmark)

from alloyscreen.calculators import get_calculator  # noqa: E402
from alloyscreen.properties.batched import energies, has_batched_relax, relax  # noqa: E402
from alloyscreen.properties.counting import count_calls  # noqa: E402

#: Issue 18 targets on one H200.
TARGET_SP_PER_S = 400.0
TARGET_RELAX_PER_H = 10_000.0


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def verdict(value: float, target: float) -> str:
    return "PASS" if value >= target else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--n-sp", type=int, default=4096, help="cells per single-point run")
    parser.add_argument("--sp-batch-sizes", default="64,128,256")
    parser.add_argument("--n-relax", type=int, default=512, help="cells relaxed in batch")
    parser.add_argument("--relax-batch-size", type=int, default=256)
    parser.add_argument("--loop-sp", type=int, default=64, help="cells through the ASE loop")
    parser.add_argument("--loop-relax", type=int, default=8, help="cells relaxed by the loop")
    parser.add_argument("--fmax", type=float, default=0.05, help="eV/A")
    parser.add_argument("--max-steps", type=int, default=300)
    args = parser.parse_args()
    if args.quick:
        args.n_sp, args.sp_batch_sizes, args.loop_sp = 8, "4", 4
        args.n_relax, args.relax_batch_size, args.loop_relax, args.max_steps = 4, 4, 2, 10
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(
            "device_throughput: no CUDA device visible to torch "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); the GPU targets "
            "(>= 400 single points/s, >= 10,000 relaxations/h) need one. Run it on the GPU "
            "machine, or pass --device cpu --quick for a smoke test."
        )
        return 0
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"device {args.device} ({name}); torch {torch.__version__}")
    t_start = time.perf_counter()
    calc, identity = get_calculator("sevenn", device=args.device)
    print(f"calculator {identity.label} {identity.package_version}")

    # 1. single points
    structures = cells(args.n_sp, seed=0, rattle_A=0.05)
    energies(structures[:4], calc, batched=False)  # warm-up
    loop_cells = structures[: args.loop_sp]
    _sync(args.device)
    t0 = time.perf_counter()
    looped = energies(loop_cells, calc, batched=False)
    _sync(args.device)
    loop_sp = len(loop_cells) / (time.perf_counter() - t0)
    print(f"single points, ASE loop:            {loop_sp:9.1f} /s  ({len(loop_cells)} cells)")
    best_sp = 0.0
    for size in [int(b) for b in args.sp_batch_sizes.split(",")]:
        energies(structures[:size], calc, batch_size=size)  # warm-up at this size
        _sync(args.device)
        t0 = time.perf_counter()
        batched = energies(structures, calc, batch_size=size)
        _sync(args.device)
        sp = len(structures) / (time.perf_counter() - t0)
        d = max(abs(a - b) / 54 for a, b in zip(looped, batched[: len(looped)], strict=True))
        best_sp = max(best_sp, sp)
        print(
            f"single points, batched b={size:<4}:     {sp:9.1f} /s  ({len(structures)} cells, "
            f"{sp / loop_sp:.1f}x the loop, max dE {d:.1e} eV/atom)",
            flush=True,
        )

    # the evaluator of the batched relaxations (vesin neighbour lists) on the same cells, for
    # information: energies and forces of one torch-sim state per chunk
    import torch_sim as ts

    from alloyscreen.torchsim_relax import make_sevenn_model

    model = make_sevenn_model(calc)
    size = max(int(b) for b in args.sp_batch_sizes.split(","))
    model(ts.initialize_state(structures[:size], model.device, model.dtype))  # warm-up
    _sync(args.device)
    t0 = time.perf_counter()
    for start in range(0, len(structures), size):
        chunk = structures[start : start + size]
        model(ts.initialize_state(chunk, model.device, model.dtype))["energy"].cpu()
    _sync(args.device)
    ts_sp = len(structures) / (time.perf_counter() - t0)
    print(f"single points, torch-sim model b={size:<4}: {ts_sp:7.1f} /s  (for information)")

    # 2. relaxations
    if not has_batched_relax(calc):
        print("no batched relaxation: pip install 'alloyscreen[batched]' (torch-sim)")
        return 1
    to_relax = cells(args.n_relax, seed=1, rattle_A=0.1)
    opts = {"fmax": args.fmax, "max_steps": args.max_steps}
    relax(cells(2, seed=9, rattle_A=0.1), calc, fmax=args.fmax, max_steps=3, batch_size=2)
    _sync(args.device)
    t0 = time.perf_counter()
    with count_calls(calc) as counter:
        batched_r = relax(to_relax, calc, batch_size=args.relax_batch_size, **opts)
    _sync(args.device)
    t_batch = time.perf_counter() - t0
    relax_h = 3600 * len(to_relax) / t_batch
    n_conv = sum(r.converged for r in batched_r)
    print(
        f"relaxations, torch-sim FIRE b={args.relax_batch_size}: {relax_h:9.0f} /h  "
        f"({len(to_relax)} cells in {t_batch:.1f} s, {n_conv} converged, "
        f"{counter.n_calls / len(to_relax):.0f} evaluations each)",
        flush=True,
    )
    subset = to_relax[: args.loop_relax]
    t0 = time.perf_counter()
    looped_r = relax(subset, calc, batched=False, optimizer="LBFGS", **opts)
    _sync(args.device)
    loop_h = 3600 * len(subset) / (time.perf_counter() - t0)
    d = max(
        abs(a.energy_eV - b.energy_eV) / len(s)
        for a, b, s in zip(looped_r, batched_r[: len(subset)], subset, strict=True)
    )
    print(
        f"relaxations, ASE LBFGS loop:        {loop_h:9.0f} /h  ({len(subset)} cells; "
        f"batched {relax_h / loop_h:.1f}x; max relaxed dE {d:.1e} eV/atom)"
    )
    print(f"total {time.perf_counter() - t_start:.0f} s")
    print(f"{verdict(best_sp, TARGET_SP_PER_S)}: single points {best_sp:.0f}/s (target >= 400/s)")
    print(
        f"{verdict(relax_h, TARGET_RELAX_PER_H)}: relaxations {relax_h:.0f}/h "
        f"(target >= 10,000/h; {n_conv}/{len(to_relax)} converged)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
