"""Benchmark of Li–M phase discovery, and the GPAW check of discovered formation energies.

Timing (default)::

    OMP_NUM_THREADS=1 python benchmarks/bench_discovery.py --system Li-Ge --workers 2

runs ``alloyscreen candidates discover`` for one system with the default limits into a fresh
temporary store, then reruns it on the same store, and prints both wall times and their ratio
(the rerun takes every relaxation from the store).

GPAW check::

    python benchmarks/bench_discovery.py --gpaw --ml-db results/alloyscreen.db

relaxes three discovered phases (LiAl B32, LiAg B2, Li3Sb D0_3, starting from the structures
relaxed by the discovery calculator, read from its store) and their elemental references with GPAW (the project's DFT presets, through a
store so that reruns are cached), and prints the formation energies next to those of the
discovery calculator(s). Slow: run it in the background.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

GPAW_IDS = ("LiAl-B32", "LiAg-B2", "Li3Sb-D03")


def _discover(system: str, db: str, outdir: str, calculator: str, workers: int) -> dict:
    from alloyscreen.cli import build_app

    args = [
        *("candidates", "discover", "--system", system, "-c", calculator),
        *("--db", db, "--outdir", outdir, "--workers", str(workers), "--json"),
    ]
    res = CliRunner().invoke(build_app(), args)
    if res.exit_code != 0:
        raise SystemExit(f"discover failed ({res.exit_code}): {res.output[-2000:]}")
    return json.loads(res.stdout)


def timing(system: str, calculator: str, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        first = _discover(system, db, tmp, calculator, workers)
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = _discover(system, db, tmp, calculator, workers)
        t_rerun = time.perf_counter() - t0
    info, again = first["systems"][system], second["systems"][system]
    print(f"system {system}, calculator {calculator}, {workers} worker(s)")
    print(
        f"structures enumerated: {info['n_enumerated']} (+{info['n_duplicates']} duplicates "
        f"removed); relaxations computed {info['n_computed']}, failed {len(info['failed'])}"
    )
    print(f"stable: {', '.join(info['stable'])}")
    print(f"first discovery: {t_first:8.1f} s  (target <= 600 s on 2 cores)")
    print(f"rerun (store):   {t_rerun:8.1f} s  computed {again['n_computed']}, "
          f"cached {again['n_cached']}")  # fmt: skip
    print(f"rerun / first:   {t_rerun / t_first:8.3f}")


def _ml_rows(ml_db: str, ids: tuple[str, ...], calculator: str) -> dict:
    """Relaxed structures and energies of ``ids`` and element references from a discovery store."""
    from alloyscreen.store import ResultStore

    out = {}
    for r in ResultStore(ml_db).rows(kind="relax", status="done", calculator=calculator):
        if r.candidate_id in ids or r.candidate_id.startswith("element:"):
            out[r.candidate_id] = r
    missing = [i for i in ids if i not in out]
    if missing:
        raise SystemExit(f"{ml_db} has no relaxed {', '.join(missing)} ({calculator})")
    return out


def gpaw_check(ml_db: str, db: str, ids: tuple[str, ...], calculator: str) -> None:
    from alloyscreen.campaign import ELEMENT_PREFIX, formation_energies, relax_tasks, run_step
    from alloyscreen.engines import LocalEngine
    from alloyscreen.store import ResultStore
    from alloyscreen.structures.candidates import Candidate
    from alloyscreen.tasks import STANDARD_RELAX_OPTIONS, CalculatorSpec

    ml = _ml_rows(ml_db, ids, calculator)
    ef_ml = formation_energies(list(ml.values()))
    chosen = [
        Candidate.from_atoms(ml[i].atoms, i, prototype=i.split("-", 1)[1], category="alloy")
        for i in ids
    ]
    spec = CalculatorSpec.make("gpaw")
    tasks, _ = relax_tasks(
        chosen, spec, {**STANDARD_RELAX_OPTIONS, "formation_energy": True, "categories": ["alloy"]}
    )
    # references first, small cells first
    tasks.sort(key=lambda t: (not t.candidate_id.startswith(ELEMENT_PREFIX), len(t.atoms)))
    store = ResultStore(db)
    t0 = time.perf_counter()

    def progress(description, total):
        from contextlib import nullcontext

        def tick(*a, **k):
            print(f"  task done at {time.perf_counter() - t0:7.0f} s", flush=True)

        return nullcontext(tick)

    summary = run_step("gpaw", tasks, store, LocalEngine(1), progress)
    ef = formation_energies(summary.results)
    print(f"GPAW relaxations: computed {summary.n_computed}, cached {summary.n_cached}, "
          f"failed {summary.n_failed}")  # fmt: skip
    print(f"{'phase':12s} {'E_f GPAW':>10s} {'E_f ' + calculator:>12s} {'diff':>8s}  (eV/atom)")
    rows = []
    for i in ids:
        dft, e_ml = ef.get(i), ef_ml.get(i)
        diff = None if dft is None or e_ml is None else e_ml - dft
        rows.append({"id": i, "ef_gpaw": dft, f"ef_{calculator}": e_ml, "ml_minus_gpaw": diff})
        nan = float("nan")
        print(f"{i:12s} {nan if dft is None else dft:10.4f} {nan if e_ml is None else e_ml:12.4f} "
              f"{nan if diff is None else diff:+8.4f}")  # fmt: skip
    print(json.dumps(rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="Li-Ge")
    parser.add_argument("--calculator", default="sevenn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gpaw", action="store_true", help="GPAW formation-energy check")
    parser.add_argument("--ml-db", default="results/alloyscreen.db", help="discovery store")
    parser.add_argument("--db", default="results/discovery_gpaw.db", help="GPAW store")
    parser.add_argument("--ids", default=",".join(GPAW_IDS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.gpaw:
        gpaw_check(args.ml_db, args.db, tuple(args.ids.split(",")), args.calculator)
    else:
        timing(args.system, args.calculator, args.workers)


if __name__ == "__main__":
    main()
