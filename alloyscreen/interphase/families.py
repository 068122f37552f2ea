"""Which microstructure explains an observed V_p window: a search over the tabulated families.

The percolation engine's table (``vp_table.csv`` and the wider ``vp_table_extended.csv``, see
:mod:`alloyscreen.percolation.table`) holds V_p along one-parameter families of
microstructures. For a window ``lo < V_p <= hi`` (from observations,
:mod:`alloyscreen.interphase.calibration`) this module reports, per family, the tabulated rows
whose ``V_p +- 2 sigma`` overlaps the window and the parameter range in which the family's V_p
lies inside the window, found by interpolating ``1/V_p`` between tabulated rows (log in aspect
ratio and size ratio, linear in lengths; ``1/V_p`` is linear in AR in both limits, Garboczi et al.
1995). The range is bracketed by tabulated rows only: no extrapolation beyond the table. Only
table lookups, no simulation: interactive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

#: (name, selector of table rows, varied parameter, log-interpolated, label of the parameter)
FAMILIES: tuple[tuple[str, dict, str, bool, str], ...] = (
    ("random needles (prolate spheroids)", {"distribution": "random", "overlapping": True,
     "ar": ">=1"}, "aspect_ratio", True, "aspect ratio a/b"),
    ("random plates (oblate spheroids)", {"distribution": "random", "overlapping": True,
     "ar": "<=1"}, "aspect_ratio", True, "aspect ratio a/b"),
    ("segregated spheres (metal on insulating grain boundaries)", {"distribution": "segregated"},
     "size_ratio", True, "metal / grain size ratio"),
    ("hard spheres connected by tunnelling", {"distribution": "random", "overlapping": False},
     "tunnelling_distance", False, "tunnelling distance d (metal radii)"),
    ("enveloped spheres, d = 0.5", {"distribution": "enveloped", "d": 0.5}, "shell_thickness",
     False, "shell thickness s (metal radii)"),
    ("enveloped spheres, d = 1", {"distribution": "enveloped", "d": 1.0}, "shell_thickness",
     False, "shell thickness s (metal radii)"),
    ("enveloped spheres, d = 3", {"distribution": "enveloped", "d": 3.0}, "shell_thickness",
     False, "shell thickness s (metal radii)"),
)  # fmt: skip


@dataclass(frozen=True)
class FamilyRow:
    """A tabulated member of a family."""

    value: float
    v_p: float
    v_p_err: float
    consistent: bool
    preset: str


@dataclass(frozen=True)
class FamilyMatch:
    """One family against the window.

    Attributes
    ----------
    name, parameter, parameter_label : str
    rows : tuple of FamilyRow
        Tabulated members (sorted by the parameter); non-percolating ones left out.
    ranges : tuple of (float, float)
        Parameter intervals in which the interpolated V_p lies inside the window.
    text : str
        Sentence, e.g. ``"random needles (prolate spheroids): aspect ratio a/b 15.6-43.5"``.
    """

    name: str
    parameter: str
    parameter_label: str
    rows: tuple[FamilyRow, ...]
    ranges: tuple[tuple[float, float], ...]
    text: str

    @property
    def consistent(self) -> bool:
        """Some member of the family explains the window."""
        return bool(self.ranges) or any(r.consistent for r in self.rows)

    def record(self) -> dict[str, object]:
        """JSON-ready record."""
        return {
            "family": self.name,
            "parameter": self.parameter,
            "consistent": self.consistent,
            "ranges": [list(r) for r in self.ranges],
            "text": self.text,
            "rows": [
                {
                    "value": r.value,
                    "v_p": r.v_p,
                    "v_p_err": r.v_p_err,
                    "consistent": r.consistent,
                    "preset": r.preset,
                }
                for r in self.rows
            ],
        }


def _select(row: dict, sel: dict) -> bool:
    if row["distribution"] != sel["distribution"]:
        return False
    if "overlapping" in sel and row["overlapping"] != sel["overlapping"]:
        return False
    ar = row["aspect_ratio"]
    if sel.get("ar") == ">=1" and ar < 1.0:
        return False
    if sel.get("ar") == "<=1" and ar > 1.0:
        return False
    if "ar" not in sel and ar != 1.0:
        return False
    if sel["distribution"] == "random" and not sel.get("overlapping", True):
        return row["tunnelling_distance"] > 0
    if "d" in sel and not math.isclose(row["tunnelling_distance"], sel["d"]):
        return False
    return row["polydispersity"] == 0.0


def _crossings(xs, inv, target_inv, log):
    """Parameter values where the piecewise interpolated 1/V_p equals ``target_inv``."""
    out = []
    for i in range(len(xs) - 1):
        a, b = inv[i] - target_inv, inv[i + 1] - target_inv
        if a == 0:
            out.append(xs[i])
        if a * b < 0:
            w = a / (a - b)
            if log:
                out.append(math.exp(math.log(xs[i]) + w * (math.log(xs[i + 1]) - math.log(xs[i]))))
            else:
                out.append(xs[i] + w * (xs[i + 1] - xs[i]))
    if inv and inv[-1] == target_inv:
        out.append(xs[-1])
    return out


def _ranges(xs, vps, lo, hi, log) -> tuple[tuple[float, float], ...]:
    """Intervals of the parameter (within the table) with lo < V_p <= hi."""
    if len(xs) < 2:
        return tuple((x, x) for x, v in zip(xs, vps, strict=True) if lo < v <= (hi or math.inf))
    inv = [1.0 / v for v in vps]
    cuts = sorted(
        {xs[0], xs[-1]}
        | set(_crossings(xs, inv, 1.0 / lo, log) if lo > 0 else [])
        | set(_crossings(xs, inv, 1.0 / hi, log) if hi else [])
    )
    out: list[tuple[float, float]] = []
    for a, b in pairwise(cuts):
        mid = math.sqrt(a * b) if log else 0.5 * (a + b)
        j = max(k for k in range(len(xs) - 1) if xs[k] <= mid) if mid < xs[-1] else len(xs) - 2
        w = (
            (math.log(mid) - math.log(xs[j])) / (math.log(xs[j + 1]) - math.log(xs[j]))
            if log
            else (mid - xs[j]) / (xs[j + 1] - xs[j])
        )
        v = 1.0 / ((1 - w) * inv[j] + w * inv[j + 1])
        if lo < v <= (hi if hi is not None else math.inf):
            if out and math.isclose(out[-1][1], a):
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return tuple(out)


def search_families(window: tuple[float, float | None]) -> tuple[FamilyMatch, ...]:
    """Every tabulated family against ``window = (lo, hi)`` (``hi`` None: unbounded)."""
    from alloyscreen.percolation.table import table_rows

    lo, hi = window
    rows = table_rows()
    out = []
    for name, sel, param, log, label in FAMILIES:
        members = sorted(
            (r for r in rows if _select(r, sel) and r["percolates"] and math.isfinite(r["phi_c"])),
            key=lambda r: r[param],
        )
        if not members:
            continue
        fam_rows = tuple(
            FamilyRow(
                r[param], r["phi_c"], r["phi_c_err"],
                r["phi_c"] + 2 * r["phi_c_err"] > lo
                and (hi is None or r["phi_c"] - 2 * r["phi_c_err"] <= hi),
                r.get("preset", ""),
            )
            for r in members
        )  # fmt: skip
        xs = [r.value for r in fam_rows]
        vps = [r.v_p for r in fam_rows]
        ranges = _ranges(xs, vps, lo, hi, log)
        if ranges:
            parts = ", ".join(f"{a:.3g}-{b:.3g}" if b != a else f"{a:.3g}" for a, b in ranges)
            text = f"{name}: {label} {parts}"
            edge = [r for r in ranges if r[0] == xs[0] or r[1] == xs[-1]]
            if edge:
                text += " (reaches the end of the table: the range may extend beyond it)"
        else:
            span = f"{min(vps):.3g}-{max(vps):.3g}"
            text = f"{name}: no tabulated member in the window (V_p {span} for {label} {xs[0]:.3g}-{xs[-1]:.3g})"
        out.append(FamilyMatch(name, param, label, fam_rows, ranges, text))
    return tuple(out)


def plot_families(
    matches: tuple[FamilyMatch, ...], window: tuple[float, float | None], path: str | Path
) -> Path:
    """Map: V_p of every family vs its parameter, the window as a band, consistent ranges
    shaded (PNG; ``matplotlib.figure.Figure``)."""
    from matplotlib.figure import Figure

    lo, hi = window
    n = len(matches)
    cols = 3
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.2 * cols, 3.3 * rows), layout="constrained")
    for k, m in enumerate(matches):
        ax = fig.add_subplot(rows, cols, k + 1)
        xs = [r.value for r in m.rows]
        ax.errorbar(xs, [r.v_p for r in m.rows], yerr=[2 * r.v_p_err for r in m.rows],
                    marker="o", ms=4, lw=1, color="black", capsize=2)  # fmt: skip
        for r in m.rows:
            if r.consistent:
                ax.plot([r.value], [r.v_p], "o", ms=7, color="tab:green")
        top = max(hi or lo, max(r.v_p for r in m.rows))
        ax.axhspan(lo, hi if hi is not None else top, color="tab:orange", alpha=0.3, lw=0)
        for a, b in m.ranges:
            ax.axvspan(a, b if b > a else a * 1.02, color="tab:green", alpha=0.15, lw=0)
        if m.parameter in ("aspect_ratio", "size_ratio"):
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(m.parameter_label, fontsize=8)
        ax.set_ylabel("V_p", fontsize=8)
        ax.set_title(m.name, fontsize=8)
        ax.tick_params(labelsize=7)
    hi_text = "inf" if hi is None else f"{hi:.4f}"
    fig.suptitle(
        f"Which microstructure explains {lo:.4f} < V_p <= {hi_text} (orange band); "
        "green: consistent",
        fontsize=10,
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out
