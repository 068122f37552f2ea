"""Precomputed V_p table for common morphologies, and a fast cached lookup.

The shipped file ``data/vp_table.csv`` is produced by this module (every value reproducible by
the engine with the stored preset and seed):

    python -m alloyscreen.percolation.table -o alloyscreen/percolation/data/vp_table.csv

:func:`lookup_critical_volume_fraction` returns a table value when the morphology is in the table,
interpolates along one tabulated parameter when the query lies between table rows of the same
family (log-interpolation in aspect ratio and size ratio, linear otherwise), and otherwise runs
:func:`~alloyscreen.percolation.continuum.critical_volume_fraction` (memoised in the
process).
"""

from __future__ import annotations

import argparse
import csv
import functools
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

TABLE_PATH = Path(__file__).with_name("data") / "vp_table.csv"
#: Wider microstructure families (issue 15: which morphology explains the observed V_p window),
#: computed with the ``fast`` preset by ``scripts/extend_vp_table.py``; read together with
#: :data:`TABLE_PATH` (a row of the main table wins over an identical extended row).
EXTENDED_TABLE_PATH = Path(__file__).with_name("data") / "vp_table_extended.csv"

#: The families in the shipped table: fixed settings and the parameter that varies.
FAMILIES: tuple[tuple[dict, str, tuple[float, ...]], ...] = (
    (dict(distribution="random", overlapping=True), "aspect_ratio",
     (0.05, 0.1, 0.2, 1 / 3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)),
    (dict(distribution="random", overlapping=False), "tunnelling_distance", (0.3, 0.5, 1.0, 2.0)),
    (dict(distribution="enveloped", overlapping=False, tunnelling_distance=1.0), "shell_thickness",
     (0.2, 0.4, 0.6, 0.8)),
    (dict(distribution="enveloped", overlapping=False, tunnelling_distance=0.5), "shell_thickness",
     (0.1, 0.2, 0.3, 0.4)),
    (dict(distribution="segregated", overlapping=True), "size_ratio", (0.1, 0.15, 0.2, 0.3, 0.5)),
    (dict(distribution="random", overlapping=True), "polydispersity", (0.2, 0.4)),
)  # fmt: skip

#: Families of the extended table: (fixed settings, varied parameter, values, samples or None).
EXTENDED_FAMILIES: tuple[tuple[dict, str, tuple[float, ...], int | None], ...] = (
    (dict(distribution="random", overlapping=True), "aspect_ratio",
     (30.0, 50.0, 100.0, 1 / 30, 1 / 50, 1 / 100), None),
    (dict(distribution="random", overlapping=False), "tunnelling_distance", (3.0, 5.0), None),
    (dict(distribution="enveloped", overlapping=False, tunnelling_distance=3.0), "shell_thickness",
     (0.5, 1.0, 2.0), None),
    (dict(distribution="segregated", overlapping=True), "size_ratio", (0.05, 0.03), None),
    (dict(distribution="segregated", overlapping=True), "size_ratio", (0.02,), 150),
    (dict(distribution="segregated", overlapping=True), "size_ratio", (0.01,), 60),
)  # fmt: skip

COLUMNS = (
    "shape", "aspect_ratio", "size_ratio", "distribution", "shell_thickness",
    "tunnelling_distance", "overlapping", "polydispersity", "phi_c", "phi_c_err", "eta_c",
    "eta_c_err", "percolates", "preset", "seed", "boxes", "samples", "note",
)  # fmt: skip

_LOG_PARAMS = ("aspect_ratio", "size_ratio")
_NUMERIC = (
    "aspect_ratio",
    "size_ratio",
    "shell_thickness",
    "tunnelling_distance",
    "polydispersity",
)


@dataclass(frozen=True)
class VpLookup:
    """V_p for a morphology from the table, an interpolation or a fresh computation.

    ``source`` is ``table``, ``interpolated`` (along ``interpolated_in``), ``computed`` or
    ``rule`` (enveloped with s >= d: never connects). ``phi_c`` is NaN when ``percolates`` is
    False; ``note`` says why (e.g. random sequential addition jams before percolation).
    """

    phi_c: float
    phi_c_err: float
    percolates: bool
    source: str
    interpolated_in: str
    shape: str
    aspect_ratio: float
    size_ratio: float
    distribution: str
    shell_thickness: float
    tunnelling_distance: float
    overlapping: bool
    polydispersity: float
    note: str = ""


def _normalise(shape, aspect_ratio, size_ratio, distribution, shell_thickness,
               tunnelling_distance, overlapping, polydispersity) -> dict:  # fmt: skip
    ar = float(aspect_ratio)
    if shape == "sphere" and ar != 1.0:
        raise InputError(f"a sphere has aspect ratio 1, not {aspect_ratio}")
    if overlapping is None:
        overlapping = float(tunnelling_distance) == 0.0 and distribution != "enveloped"
    s = float(shell_thickness)
    dist = distribution
    if dist == "enveloped" and s == 0.0:
        dist = "random"
    return dict(
        aspect_ratio=ar,
        size_ratio=float(size_ratio) if dist == "segregated" else 1.0,
        distribution=dist,
        shell_thickness=s,
        tunnelling_distance=float(tunnelling_distance),
        overlapping=bool(overlapping),
        polydispersity=float(polydispersity),
    )


@functools.lru_cache(maxsize=1)
def _load_table() -> tuple[dict, ...]:
    if not TABLE_PATH.is_file():
        logger.warning("V_p table %s is missing; every lookup will compute", TABLE_PATH)
        return ()
    rows = _read_rows(TABLE_PATH)
    if EXTENDED_TABLE_PATH.is_file():
        rows += [r for r in _read_rows(EXTENDED_TABLE_PATH) if not any(_same(r, m) for m in rows)]
    return tuple(rows)


def _read_rows(path: Path) -> list[dict]:
    rows = []
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            if r["shape"].startswith("#"):
                continue
            rows.append(
                dict(
                    aspect_ratio=float(r["aspect_ratio"]),
                    size_ratio=float(r["size_ratio"]) if r["distribution"] == "segregated" else 1.0,
                    distribution=r["distribution"],
                    shell_thickness=float(r["shell_thickness"]),
                    tunnelling_distance=float(r["tunnelling_distance"]),
                    overlapping=r["overlapping"].strip().lower() == "true",
                    polydispersity=float(r["polydispersity"]),
                    phi_c=float(r["phi_c"]) if r["phi_c"] not in ("", "nan") else math.nan,
                    phi_c_err=float(r["phi_c_err"])
                    if r["phi_c_err"] not in ("", "nan")
                    else math.nan,
                    percolates=r["percolates"].strip().lower() == "true",
                    note=r.get("note", "") or "",
                    preset=r.get("preset", "") or "",
                )
            )
    return rows


def table_rows() -> tuple[dict, ...]:
    """Every tabulated row (main and extended table): morphology parameters, ``phi_c``,
    ``phi_c_err``, ``percolates``, ``note`` and ``preset``."""
    return _load_table()


def _same(a: dict, b: dict, skip: str | None = None) -> bool:
    for k in ("distribution", "overlapping"):
        if a[k] != b[k]:
            return False
    for k in _NUMERIC:
        if k != skip and not math.isclose(a[k], b[k], rel_tol=1e-6, abs_tol=1e-9):
            return False
    return True


def _from_table(q: dict) -> tuple[float, float, bool, str, str, str] | None:
    rows = _load_table()
    for r in rows:
        if _same(q, r):
            return r["phi_c"], r["phi_c_err"], r["percolates"], "table", "", r["note"]
    for k in _NUMERIC:
        fam = sorted((r for r in rows if _same(q, r, skip=k)), key=lambda r: r[k])
        fam = [r for r in fam if r["percolates"] and math.isfinite(r["phi_c"])]
        if len(fam) < 2:
            continue
        xs = [r[k] for r in fam]
        x = q[k]
        if not xs[0] <= x <= xs[-1]:
            continue
        i = max(j for j in range(len(xs) - 1) if xs[j] <= x)
        lo, hi = fam[i], fam[i + 1]
        if k in _LOG_PARAMS:
            w = (math.log(x) - math.log(lo[k])) / (math.log(hi[k]) - math.log(lo[k]))
        else:
            w = (x - lo[k]) / (hi[k] - lo[k])
        # interpolate 1/phi_c (linear in AR in both limits, Garboczi et al. 1995)
        inv = (1 - w) / lo["phi_c"] + w / hi["phi_c"]
        phi = 1.0 / inv
        err = max(lo["phi_c_err"], hi["phi_c_err"])
        return phi, err, True, "interpolated", k, ""
    return None


@functools.lru_cache(maxsize=256)
def _computed(key: tuple, preset: str, seed: int) -> tuple[float, float, bool, str]:
    from alloyscreen.percolation.continuum import critical_volume_fraction

    q = dict(key)
    shape = "sphere" if q["aspect_ratio"] == 1.0 else "spheroid"
    r = critical_volume_fraction(shape=shape, preset=preset, seed=seed, **q)
    return r.phi_c, r.phi_c_err, r.percolates, r.note


def lookup_critical_volume_fraction(
    shape: str = "sphere",
    aspect_ratio: float = 1.0,
    size_ratio: float = 1.0,
    distribution: str = "random",
    shell_thickness: float = 0.0,
    tunnelling_distance: float = 0.0,
    *,
    overlapping: bool | None = None,
    polydispersity: float = 0.0,
    compute_missing: bool = True,
    preset: str = "fast",
    seed: int = 0,
) -> VpLookup:
    """V_p of a morphology: table value, interpolation, or (memoised) computation.

    Arguments as in :func:`~alloyscreen.percolation.continuum.critical_volume_fraction`
    (lengths in units of the metal equivalent-sphere radius). ``compute_missing=False`` raises
    :class:`~alloyscreen.errors.InputError` instead of computing.
    """
    q = _normalise(shape, aspect_ratio, size_ratio, distribution, shell_thickness,
                   tunnelling_distance, overlapping, polydispersity)  # fmt: skip
    if q["distribution"] == "enveloped" and q["tunnelling_distance"] <= q["shell_thickness"]:
        phi, err, perc, src, k = math.nan, math.nan, False, "rule", ""
        note = "shell thickness >= tunnelling distance: enveloped particles never connect"
    else:
        hit = _from_table(q)
        if hit is not None:
            phi, err, perc, src, k, note = hit
        elif not compute_missing:
            raise InputError(
                "this morphology is not in the V_p table and compute_missing is False; "
                "call critical_volume_fraction() or allow computing"
            )
        else:
            key = tuple(sorted(q.items()))
            phi, err, perc, note = _computed(key, preset, int(seed))
            src, k = "computed", ""
    return VpLookup(
        phi_c=float(phi),
        phi_c_err=float(err),
        percolates=bool(perc),
        source=src,
        interpolated_in=k,
        shape="sphere" if q["aspect_ratio"] == 1.0 else "spheroid",
        note=note,
        **q,
    )


def build_table(
    preset: str = "standard",
    seed: int = 0,
    threads: int | None = None,
    progress=None,
    families=None,
):
    """Compute every row of ``families`` (default :data:`FAMILIES`); returns a list of dicts
    (columns :data:`COLUMNS`). A family may carry a fourth entry: samples per box (None: the
    preset's)."""
    from alloyscreen.percolation.continuum import critical_volume_fraction

    rows = []
    for family in FAMILIES if families is None else families:
        fixed, vary, values = family[:3]
        samples = family[3] if len(family) > 3 else None
        for v in values:
            kw = dict(fixed)
            kw[vary] = v
            ar = kw.get("aspect_ratio", 1.0)
            kw["shape"] = "sphere" if ar == 1.0 else "spheroid"
            r = critical_volume_fraction(
                preset=preset, seed=seed, threads=threads, samples=samples, **kw
            )
            rows.append(
                dict(
                    shape=r.shape, aspect_ratio=r.aspect_ratio, size_ratio=r.size_ratio,
                    distribution=r.distribution, shell_thickness=r.shell_thickness,
                    tunnelling_distance=r.tunnelling_distance, overlapping=r.overlapping,
                    polydispersity=r.polydispersity, phi_c=f"{r.phi_c:.5f}",
                    phi_c_err=f"{r.phi_c_err:.5f}", eta_c=f"{r.eta_c:.5f}",
                    eta_c_err=f"{r.eta_c_err:.5f}", percolates=r.percolates, preset=preset,
                    seed=seed, boxes=" ".join(f"{b:g}" for b in r.boxes),
                    samples=" ".join(str(s) for s in r.samples), note=r.note,
                )
            )  # fmt: skip
            logger.info(
                "%s=%s: phi_c=%.4f +- %.4f (%.0f s)", vary, v, r.phi_c, r.phi_c_err, r.elapsed_s
            )
            if progress is not None:
                progress(
                    f"{fixed} {vary}={v:g}: phi_c={r.phi_c:.4f} +- {r.phi_c_err:.4f} ({r.elapsed_s:.0f} s)"
                )
    return rows


def write_table(rows, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        w.writeheader()
        for r in rows:
            w.writerow(r)
    _load_table.cache_clear()
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: regenerate the V_p table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=str(TABLE_PATH))
    ap.add_argument("--preset", default="standard")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    rows = build_table(
        args.preset, args.seed, args.threads, progress=lambda s: sys.stderr.write(s + "\n")
    )
    write_table(rows, args.output)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
