"""Benchmark: work of adhesion with CHGNet on the demo substrates (Li, LiAl, LiAg, Cu, Li2S).

Prints, per substrate: the interface size, force calls and wall time of one W_ad with the default
settings (lowest-energy termination: registry scan + gap search + relaxations of the interface and
both references), the same figures summed over *all* terminations of (100), (110), (111), and the
change of W_ad when both slabs grow by two atomic planes. Times are also given in units of one
CHGNet energy+forces call on 54-atom bcc Li measured in the same process (the baseline), so runs
on loaded machines stay comparable.

Usage::

    .venv/bin/python benchmarks/bench_adhesion.py [--threads 2] [--quick] [--repeat 1]

``--quick`` skips the all-terminations and thickness parts. Starting lattice constants (relaxed
with CHGNet first): Li bcc 3.44, Cu fcc 3.615 (Kittel, Introduction to Solid State Physics, 8th
ed., Table 1.3), Li2S 5.71 (Wyckoff, Crystal Structures, 1963), LiAg B2 3.17, LiAl B32 6.37
(Villars & Calvert, Pearson's Handbook, ASM 1991).
"""

from __future__ import annotations

import argparse
import statistics
import time

from ase.build import bulk
from ase.spacegroup import crystal


def demo_substrates() -> dict:
    return {
        "Li": bulk("Li", "bcc", a=3.44, cubic=True),
        "LiAl": crystal(
            ["Li", "Al"],
            [(0, 0, 0), (0.5, 0.5, 0.5)],
            spacegroup=227,
            cellpar=[6.37] * 3 + [90] * 3,
        ),
        "LiAg": crystal(
            ["Li", "Ag"],
            [(0, 0, 0), (0.5, 0.5, 0.5)],
            spacegroup=221,
            cellpar=[3.17] * 3 + [90] * 3,
        ),
        "Cu": bulk("Cu", "fcc", a=3.615, cubic=True),
        "Li2S": crystal(
            ["S", "Li"],
            [(0, 0, 0), (0.25, 0.25, 0.25)],
            spacegroup=225,
            cellpar=[5.71] * 3 + [90] * 3,
        ),
    }


def baseline_call_s(calc) -> float:
    """Median wall time of one energy+forces call on 54-atom bcc Li."""
    atoms = bulk("Li", "bcc", a=3.44, cubic=True).repeat(3)
    atoms.calc = calc
    atoms.get_forces()
    times = []
    for k in range(5):
        atoms.rattle(0.01, seed=k)
        t = time.perf_counter()
        atoms.get_forces()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (cores)")
    parser.add_argument("--quick", action="store_true", help="default settings only")
    parser.add_argument("--repeat", type=int, default=1, help="repeats of the default W_ad")
    parser.add_argument("--only", default="", help="comma-separated subset, e.g. Cu,Li2S")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)  # a benchmark script may set its own process state
    from alloyscreen.calculators import get_calculator
    from alloyscreen.properties.adhesion import work_of_adhesion
    from alloyscreen.properties.bulk import relax_bulk

    t0 = time.perf_counter()
    calc, ident = get_calculator("chgnet", device="cpu")
    print(
        f"calculator: {ident.label}; model load {time.perf_counter() - t0:.1f} s; torch threads {args.threads}"
    )
    base = baseline_call_s(calc)
    print(f"baseline: one energy+forces call, 54-atom bcc Li: {base:.3f} s\n")

    subs = demo_substrates()
    if args.only:
        subs = {k: v for k, v in subs.items() if k in args.only.split(",")}
    relaxed = {k: relax_bulk(v, calc).atoms for k, v in subs.items()}

    print("one W_ad, default settings (lowest-energy termination):")
    header = f"{'substrate':9} {'W_ad J/m2':>9} {'theta':>6} {'termination':>16} {'Li':>6} {'strain%':>7} {'atoms':>5} {'calls':>5} {'wall s':>7} {'x base':>7}"
    print(header)
    walls = []
    for name, atoms in relaxed.items():
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = work_of_adhesion(atoms, calc)
            wall = time.perf_counter() - t
            walls.append(wall)
        li = "(" + "".join(map(str, r.li_miller)) + ")"
        theta = f"{r.predicted_contact_angle_deg:.0f}" + ("*" if r.contact_angle_clipped else "")
        print(
            f"{name:9} {r.w_adh_J_m2:9.3f} {theta:>6} {r.termination:>16} {li:>6} "
            f"{r.li_strain_pct:7.2f} {r.n_atoms:5d} {r.n_force_calls:5d} {wall:7.1f} {wall / base:7.0f}"
        )
    print(
        f"median wall time of one W_ad: {statistics.median(walls):.1f} s (target <= 90 s); "
        f"total {sum(walls):.1f} s for {len(walls)}\n"
    )
    if args.quick:
        return

    print("all terminations of (100), (110), (111) per substrate:")
    for name, atoms in relaxed.items():
        t = time.perf_counter()
        r = work_of_adhesion(atoms, calc, max_terminations=0)
        wall = time.perf_counter() - t
        n_done = sum(s.status == "computed" for s in r.surfaces)
        per = ", ".join(
            f"{s.termination}: {s.note.split(' on ')[0].replace('W_ad = ', '')}"
            for s in r.surfaces
            if s.status == "computed"
        )
        print(f"{name:5} {n_done} interfaces, {r.n_force_calls} calls, {wall:.1f} s; {per}")
    print()

    print("thickness convergence (both slabs + 2 atomic planes, default termination):")
    for name in ("LiAg", "Li2S", "Cu"):
        if name not in relaxed:
            continue
        thin = work_of_adhesion(relaxed[name], calc)
        thick = work_of_adhesion(relaxed[name], calc, substrate_layers=6, li_layers=6)
        print(
            f"{name:5} 4+4 planes: {thin.w_adh_J_m2:.3f} ({thin.n_atoms} atoms)  "
            f"6+6 planes: {thick.w_adh_J_m2:.3f} ({thick.n_atoms} atoms)  "
            f"change {thick.w_adh_J_m2 - thin.w_adh_J_m2:+.3f} J/m2"
        )


if __name__ == "__main__":
    main()
