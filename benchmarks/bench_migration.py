"""Force calls and barriers: ASE's default NEB recipe against alloyscreen's migration workflow.

Same hops (the first distinct Li vacancy hop of bcc Li, B32 LiAl and B2 LiAg, in the same
supercells), same calculator (CHGNet by default), same ``fmax``:

* **ASE defaults**: endpoints relaxed with BFGS to ``fmax`` (fixed cell), linear interpolation,
  ``NEB(images, climb=True, method="aseneb")`` (ASE's legacy method; ``climb=True`` because a
  barrier needs a saddle), ``BFGS(neb).run(fmax)``.
* **ASE NEB, workflow endpoints**: the same ASE-default band started from the workflow's relaxed
  endpoints; total = the workflow's endpoint calls + this band. It isolates the band method.
* **workflow**: :func:`alloyscreen.properties.migration.migration_barriers` with its defaults.
* ``--reference``: the workflow at ``fmax = 0.01`` (tight), to show which barrier is closer.

Every calculator evaluation is counted (:func:`alloyscreen.properties.counting.count_calls` on
the one calculator; each NEB image evaluation is one call). Run::

    .venv/bin/python benchmarks/bench_migration.py [--fmax 0.05] [--reference] [--calculator chgnet]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator
from ase.mep import NEB
from ase.optimize import BFGS

from alloyscreen.calculators import get_calculator
from alloyscreen.properties.bulk import relax_bulk
from alloyscreen.properties.counting import count_calls
from alloyscreen.properties.migration import migration_barriers
from alloyscreen.structures.hops import find_hops, hop_endpoints, migration_supercell


def b32_lial(a: float = 6.364) -> Atoms:
    """B32 (NaTl-type, Fd-3m) LiAl: Li on 8a, Al on 8b (AFLOW prototype AB_cF16_227_a_b, Mehl et
    al., Comput. Mater. Sci. 136, S1 (2017), doi:10.1016/j.commatsci.2017.01.017), primitive cell.
    Start a = 6.364 Å: PBE (GPAW) value measured for this project (DESIGN.md §5); relaxed below."""
    cell = 0.5 * a * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    frac = np.array([[1 / 8] * 3, [7 / 8] * 3, [3 / 8] * 3, [5 / 8] * 3])
    return Atoms("Li2Al2", scaled_positions=frac, cell=cell, pbc=True)


def b2_liag(a: float = 3.2) -> Atoms:
    """B2 (CsCl-type) LiAg; a = 3.2 Å is only a starting guess, relaxed below."""
    return Atoms("LiAg", scaled_positions=[[0, 0, 0], [0.5] * 3], cell=np.eye(3) * a, pbc=True)


def structures() -> dict[str, Atoms]:
    """Unrelaxed inputs (bcc Li from a = 3.43 Å, a starting guess relaxed below)."""
    return {
        "bcc Li": bulk("Li", "bcc", a=3.43, cubic=True),
        "B32 LiAl": b32_lial(),
        "B2 LiAg": b2_liag(),
    }


def ase_default_band(ini: Atoms, fin: Atoms, calc, fmax: float, max_steps: int) -> dict:  # type: ignore[no-untyped-def]
    """ASE's default recipe between two relaxed endpoints (energies attached)."""
    images = [ini] + [ini.copy() for _ in range(5)] + [fin]
    for image in images[1:-1]:
        image.calc = calc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        neb = NEB(images, climb=True, method="aseneb", allow_shared_calculator=True)
        neb.interpolate()  # linear, ASE default (mic=False; the endpoints are not wrapped)
        with count_calls(calc) as counter:
            opt = BFGS(neb, logfile=None)
            converged = bool(opt.run(fmax=fmax, steps=max_steps))
    energies = np.array([im.get_potential_energy() for im in images])
    imax = int(np.argmax(energies[1:-1])) + 1
    return {
        "converged": converged,
        "calls": counter.n_calls,
        "steps": opt.nsteps,
        "barrier": float(energies[imax] - energies[0]),
        "reverse": float(energies[imax] - energies[-1]),
    }


def with_energy(atoms: Atoms, energy: float) -> Atoms:
    out = atoms.copy()
    out.calc = SinglePointCalculator(out, energy=energy, forces=np.zeros((len(out), 3)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calculator", default="chgnet")
    parser.add_argument("--fmax", type=float, default=0.05)
    parser.add_argument("--max-steps", type=int, default=1000)
    parser.add_argument("--reference", action="store_true", help="also run fmax=0.01")
    args = parser.parse_args()
    calc, identity = get_calculator(args.calculator)
    fmax = args.fmax
    rows = []
    t_start = time.perf_counter()
    for name, atoms in structures().items():
        relaxed = relax_bulk(atoms, calc).atoms
        # --- the workflow (its own call count cross-checked from outside)
        t0 = time.perf_counter()
        with count_calls(calc) as outer:
            res = migration_barriers(relaxed, calc, fmax=fmax, max_hops=1)
        t_wf = time.perf_counter() - t0
        hop = res.hops[0]
        assert outer.n_calls == res.n_force_calls, (outer.n_calls, res.n_force_calls)
        # --- ASE defaults, own endpoints (same hop, same supercell)
        t0 = time.perf_counter()
        hopset = find_hops(relaxed)
        supercell, _ = migration_supercell(hopset.primitive, 8.0)
        ends = hop_endpoints(supercell, hopset, hopset.hops[0])
        with count_calls(calc) as c_end:
            ini = relax_bulk(ends.initial, calc, fmax=fmax, relax_cell=False, keep_symmetry=False)
            fin = relax_bulk(ends.final, calc, fmax=fmax, relax_cell=False, keep_symmetry=False)
        base = ase_default_band(
            with_energy(ini.atoms, ini.energy_eV),
            with_energy(fin.atoms, fin.energy_eV),
            calc,
            fmax,
            args.max_steps,
        )
        base["calls"] += c_end.n_calls
        t_base = time.perf_counter() - t0
        # --- ASE default band from the workflow's endpoints
        same = ase_default_band(
            with_energy(hop.images[0], hop.initial_energy_eV),
            with_energy(hop.images[-1], hop.final_energy_eV),
            calc,
            fmax,
            args.max_steps,
        )
        same["calls"] += hop.n_force_calls_endpoints
        ref = None
        if args.reference:
            ref = migration_barriers(relaxed, calc, fmax=0.01, max_steps=800, max_hops=1).hops[0]
        rows.append((name, hop, base, same, ref, t_wf, t_base, len(ends.initial)))

    print(f"\ncalculator: {identity.label}; fmax = {fmax} eV/Å; 5 intermediate images")
    head = (
        f"{'hop':<10} {'atoms':>5} | {'ASE dflt':>8} {'ASE+wf ends':>11} {'workflow':>8} | "
        f"{'Eb ASE':>7} {'Eb ASE+wf':>9} {'Eb wf':>7} {'Eb ref':>7} (eV) | conv A/B/wf"
    )
    print(head)
    print("-" * len(head))
    tot = np.zeros(3, dtype=int)
    agree = []
    for name, hop, base, same, ref, t_wf, t_base, n_at in rows:
        tot += (base["calls"], same["calls"], hop.n_force_calls)
        wf_b = hop.barrier_eV
        ref_b = f"{ref.barrier_eV:7.4f}" if ref is not None and ref.converged else f"{'-':>7}"
        print(
            f"{name:<10} {n_at:>5} | {base['calls']:>8} {same['calls']:>11} {hop.n_force_calls:>8} | "
            f"{base['barrier']:7.4f} {same['barrier']:9.4f} "
            f"{wf_b if wf_b is None else format(wf_b, '7.4f'):>7} {ref_b} | "
            f"{'y' if base['converged'] else 'n'}/{'y' if same['converged'] else 'n'}/"
            f"{'y' if hop.converged else 'n'}   ({t_base:.0f} s vs {t_wf:.0f} s)"
        )
        if hop.converged:
            if base["converged"]:
                agree.append((name, "ASE defaults", abs(base["barrier"] - wf_b)))
            if same["converged"]:
                agree.append((name, "ASE NEB on workflow ends", abs(same["barrier"] - wf_b)))
    print("-" * len(head))
    print(
        f"{'total':<10} {'':>5} | {tot[0]:>8} {tot[1]:>11} {tot[2]:>8} | "
        f"workflow needs {tot[2] / tot[0]:.2f}x the calls of ASE defaults, "
        f"{tot[2] / tot[1]:.2f}x of ASE NEB on the same endpoints"
    )
    print("\nbarrier differences |workflow - ASE| (meV):")
    for name, which, diff in agree:
        print(
            f"  {name:<10} vs {which:<25} {1000 * diff:6.1f}  {'ok' if diff <= 0.010 else '> 10 meV'}"
        )
    if any(row[4] is not None for row in rows):
        print("\ndistance to the tight reference (workflow at fmax = 0.01) (meV):")
        for name, hop, base, same, ref, *_ in rows:
            if ref is None or not ref.converged:
                continue
            d = [
                1000 * abs(x - ref.barrier_eV)
                for x in (base["barrier"], same["barrier"], hop.barrier_eV or np.nan)
            ]
            print(
                f"  {name:<10} ASE defaults {d[0]:5.1f}   ASE NEB on workflow ends {d[1]:5.1f}"
                f"   workflow {d[2]:5.1f}"
            )
    verdict = tot[2] < tot[0] and tot[2] < tot[1]
    print(f"\nfewer force calls in total: {'yes' if verdict else 'NO'}")
    print(f"wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
