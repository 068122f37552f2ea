"""ML -> DFT refinement of CI-NEB barriers: DFT force calls against a DFT NEB from scratch.

Run from the repository root after ``make dft`` (GPAW) and ``make dev`` (SevenNet)::

    .venv/bin/python benchmarks/bench_refinement.py [--systems Li-bcc,LiAl-B32] [--ecut 300]
        [--kpt-density 2.5] [--min-length 6]

For each system, one Li vacancy hop (the shortest) is computed twice with GPAW, both with the
same endpoints' starting sites and force threshold (0.05 eV/Å):

- **scratch**, the way ASE's NEB tutorial runs a DFT band: endpoints relaxed with DFT from the
  ideal sites, a linear interpolation, the climbing image on from the start, BFGS, every image
  evaluated every step (no dynamic relaxation);
- **refined**: SevenNet-0 converges the hop first (endpoints and band, IDPP, two stages); GPAW
  then relaxes the endpoints from SevenNet's and runs CI-NEB from SevenNet's converged band.

Prints the DFT force calls of each route (endpoints + band), their ratio, both DFT barriers and
their difference, and the SevenNet calls spent (target: refined <= 1/3 of scratch, barriers within
10 meV). Seed lattice constants: Li bcc 3.49 Å (C. Kittel, Introduction to Solid State Physics,
8th ed., Table 1.3); LiAl B32 6.37 Å (P. Villars & L. D. Calvert, Pearson's Handbook, ASM 1991);
both are relaxed with GPAW before the hops.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _systems():
    from ase.build import bulk
    from ase.spacegroup import crystal

    return {
        "Li-bcc": lambda: bulk("Li", "bcc", a=3.49, cubic=True),
        "LiAl-B32": lambda: crystal(
            ["Li", "Al"],
            [(0, 0, 0), (0.5, 0.5, 0.5)],
            spacegroup=227,
            cellpar=[6.37] * 3 + [90] * 3,
            setting=1,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="Li-bcc,LiAl-B32")
    parser.add_argument("--ecut", type=float, default=300.0, help="GPAW plane-wave cutoff (eV)")
    parser.add_argument("--kpt-density", type=float, default=2.5, help="k-points per Å^-1")
    parser.add_argument("--min-length", type=float, default=6.0, help="supercell vectors (Å)")
    parser.add_argument("--ml", default="sevenn")
    args = parser.parse_args(argv)

    from alloyscreen.calculators import get_calculator
    from alloyscreen.properties.bulk import relax_bulk
    from alloyscreen.properties.migration import HopSearch, NEBSettings
    from alloyscreen.properties.migration.driver import compute_migration

    dft, dft_id = get_calculator(
        "gpaw", preset="neb", ecut_eV=args.ecut, kpt_density_A=args.kpt_density
    )
    ml, _ = get_calculator(args.ml, device="cpu")
    search = HopSearch(max_hops=1, min_length_A=args.min_length)
    scratch_settings = NEBSettings(
        interpolation="linear", optimizer="BFGS", dynamic=False, pre_fmax=0.05, max_steps=500
    )
    print(f"GPAW {dft_id.label}; ML preconverger {args.ml}")
    rows = []
    for name in args.systems.split(","):
        bulk_dft = relax_bulk(_systems()[name](), dft).atoms
        t0 = time.perf_counter()
        scratch = compute_migration(bulk_dft, dft, search, scratch_settings).hops[0]
        t1 = time.perf_counter()
        refined = compute_migration(bulk_dft, dft, search, NEBSettings(), preconverge=ml).hops[0]
        t2 = time.perf_counter()
        rows.append((name, scratch, refined, t1 - t0, t2 - t1))
        print(
            f"{name}: scratch {scratch.n_force_calls} DFT calls ({scratch.status}, "
            f"barrier {scratch.barrier_eV}), refined {refined.n_force_calls} DFT calls "
            f"({refined.status}, barrier {refined.barrier_eV}) + {refined.n_force_calls_preconverge} "
            f"{args.ml} calls; wall {t1 - t0:.0f} s vs {t2 - t1:.0f} s",
            flush=True,
        )
    print("\nsystem    DFT calls scratch  refined  ratio   barrier scratch  refined  diff (meV)")
    for name, s, r, _, _ in rows:
        diff = (
            f"{1000 * (r.barrier_eV - s.barrier_eV):+.1f}"
            if s.barrier_eV is not None and r.barrier_eV is not None
            else "n/a"
        )
        print(
            f"{name:<9} {s.n_force_calls:>17d}  {r.n_force_calls:>7d}  "
            f"{r.n_force_calls / s.n_force_calls:5.2f}   {s.barrier_eV or float('nan'):15.4f}  "
            f"{r.barrier_eV or float('nan'):7.4f}  {diff:>9}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
