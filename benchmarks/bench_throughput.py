"""Candidates per hour: full treatment vs the screening funnel vs a naive per-structure loop.

Run from the repository root (background it; minutes per candidate on a loaded 2-core box)::

    .venv/bin/python benchmarks/bench_throughput.py --n 20 --calculator sevenn > results/bench.txt

A fixed subset of ``workflows/li_alloys.toml`` (:data:`SUBSET`, 20 candidates; ``--n`` takes the
first n) goes through the workflow's own steps (relax, adhesion over every termination,
migration, interphase, rank; the report step is left out) in one process, each mode into its own
fresh store:

- ``full``: today's steps (every termination relaxed, CI-NEB for every alloy).
- ``funnel``: the same plus ``[steps.funnel]`` with its defaults (stability filter, rigid
  termination screen relaxing the best 2 and every termination within 1.05 J/m2 of the best rigid
  interface energy, NEB only for candidates that can reach the top 10),
  then the same campaign again on its store (the cached rerun, and its store hit rate).
- ``naive``: one candidate at a time, a fresh store and a freshly loaded model for each (as
  force-field jobs of matcalc/atomate2 run: no reuse of references or of anything else).

Printed: wall time and candidates per hour of each mode, the ratios to ``full``, the store
counts (requested / computed / cached tasks), whether the top 5 of ``funnel`` and ``full`` agree,
and the largest W_ad and barrier differences over the candidates the funnel let through every
stage. With ``--n`` <= 5 the top-5 comparison is trivial and says so.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alloyscreen.campaign import CampaignResult, run_campaign  # noqa: E402
from alloyscreen.engines.local import LocalEngine  # noqa: E402
from alloyscreen.store import ResultStore  # noqa: E402
from alloyscreen.workflow import workflow_from_dict  # noqa: E402

#: The fixed subset, most informative first (``--n`` takes a prefix): Li metal, the Li-Al, Li-Mg,
#: Li-Zn, Li-Ag families in several prototypes, a metal and an SEI reference, Sb/Si/Bi/Sn alloys.
SUBSET = (
    "Li-bcc",
    "LiAl-B32",
    "LiAl-B2",
    "Cu-fcc",
    "LiMg-B2",
    "Li3Al-D03",
    "LiAg-B2",
    "LiZn-B32",
    "LiF-B1",
    "LiAl3-L12",
    "LiMg-B32",
    "Li3Mg-D03",
    "LiMg3-L12",
    "LiZn-B2",
    "LiAg-B32",
    "Li3Sb-D03",
    "LiSi-B32",
    "Li3Bi-D03",
    "LiSn-B32",
    "Li2S-C1",
)


def workflow_dict(n: int, calculator: str | None, db: Path, out: Path) -> dict[str, Any]:
    data = tomllib.loads((ROOT / "workflows" / "li_alloys.toml").read_text())
    data["campaign"]["candidates"] = [str(ROOT / c) for c in data["campaign"]["candidates"]]
    data["campaign"]["ids"] = list(SUBSET[:n])
    data["campaign"]["db"] = str(db)
    data["campaign"]["output"] = str(out)
    if calculator:
        data["calculator"] = {"name": calculator}
    data["engine"] = {"kind": "local", "workers": 1}
    data["steps"].pop("report", None)
    return data


def run(data: dict[str, Any], where: str) -> tuple[CampaignResult, float]:
    wf = workflow_from_dict(data, where)
    store = ResultStore(wf.campaign.db)
    t0 = time.perf_counter()
    result = run_campaign(wf, store, LocalEngine(1))
    return result, time.perf_counter() - t0


def counts(result: CampaignResult) -> str:
    rate = result.store_hit_rate
    return (
        f"{result.n_requested} requested, {result.n_computed} computed, "
        f"{result.n_cached} store hits, hit rate {'-' if rate is None else f'{rate:.2f}'}"
    )


def values(result: CampaignResult, name: str) -> dict[str, float]:
    return {
        r.id: float(r.values[name])
        for r in result.ranking
        if r.values.get(name) is not None and r.status.get(name) == "ok"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="first n candidates of SUBSET (<= 20)")
    parser.add_argument("--calculator", default=None, help="override the workflow's (sevenn)")
    parser.add_argument(
        "--modes", default="full,funnel,naive", help="comma-separated: full,funnel,naive"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = max(1, min(args.n, len(SUBSET)))
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="bench_throughput_"))
    print(f"subset ({n}): {', '.join(SUBSET[:n])}")
    print(f"calculator: {args.calculator or 'workflow default'}; stores under {tmp}", flush=True)
    times: dict[str, float] = {}
    results: dict[str, CampaignResult] = {}

    if "full" in modes:
        data = workflow_dict(n, args.calculator, tmp / "full.db", tmp / "full")
        results["full"], times["full"] = run(data, "li_alloys.toml[full]")
        print(f"full:   {times['full']:.1f} s  ({counts(results['full'])})", flush=True)

    if "funnel" in modes:
        data = workflow_dict(n, args.calculator, tmp / "funnel.db", tmp / "funnel")
        data["steps"]["funnel"] = {}
        results["funnel"], times["funnel"] = run(data, "li_alloys.toml[funnel]")
        print(f"funnel: {times['funnel']:.1f} s  ({counts(results['funnel'])})", flush=True)
        for cid, stop in results["funnel"].funnel.items():
            print(f"  stopped {cid} at {stop['stage']}: {stop['reason']}")
        again, t_again = run(data, "li_alloys.toml[funnel rerun]")
        times["funnel rerun (cached)"] = t_again
        print(f"funnel rerun: {t_again:.2f} s  ({counts(again)})", flush=True)

    if "naive" in modes:
        from alloyscreen.engines import worker

        t0 = time.perf_counter()
        n_computed = 0
        for i, cid in enumerate(SUBSET[:n]):
            worker._CALCULATORS.clear()  # a fresh model per job, as separate jobs load it
            data = workflow_dict(n, args.calculator, tmp / f"naive{i}.db", tmp / f"naive{i}")
            data["campaign"]["ids"] = [cid]
            for step in ("interphase", "rank"):
                data["steps"].pop(step, None)
            res, _ = run(data, f"li_alloys.toml[naive {cid}]")
            n_computed += res.n_computed
        times["naive"] = time.perf_counter() - t0
        print(f"naive:  {times['naive']:.1f} s  ({n_computed} tasks computed)", flush=True)

    print()
    print(f"{'mode':<24}{'wall (s)':>10}{'cand/h':>10}{'vs full':>10}")
    for mode, t in times.items():
        ratio = f"{times['full'] / t:.2f}x" if "full" in times and t > 0 else "-"
        print(f"{mode:<24}{t:>10.1f}{n / t * 3600 if t > 0 else 0:>10.1f}{ratio:>10}")
    if "naive" in times:
        for mode in ("full", "funnel"):
            if mode in times:
                print(f"{mode} vs naive: {times['naive'] / times[mode]:.2f}x candidates per hour")

    if "full" in results and "funnel" in results:
        full, fun = results["full"], results["funnel"]
        top_full = [r.id for r in full.ranking[:5]]
        top_fun = [r.id for r in fun.ranking[:5]]
        note = " (trivial: n <= 5)" if n <= 5 else ""
        print(f"top 5 full:   {top_full}")
        print(f"top 5 funnel: {top_fun}")
        print(
            f"same top-5 set: {set(top_full) == set(top_fun)}; same order: {top_full == top_fun}"
            f"{note}"
        )
        passed = [r.id for r in fun.ranking if r.id not in fun.funnel]
        for name, unit in (("w_adh_J_m2", "J/m2"), ("network_barrier_eV", "eV")):
            a, b = values(full, name), values(fun, name)
            diffs = {c: abs(a[c] - b[c]) for c in passed if c in a and c in b}
            if diffs:
                worst = max(diffs, key=diffs.get)
                print(
                    f"largest |{name}| difference over {len(diffs)} candidates passing every "
                    f"stage: {diffs[worst]:.4f} {unit} ({worst})"
                )
            else:
                print(f"{name}: no candidate with values in both modes")


if __name__ == "__main__":
    main()
