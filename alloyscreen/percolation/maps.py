"""Design maps: critical metal volume fraction V_p versus one morphology parameter.

``design_map`` sweeps aspect ratio (randomly oriented overlapping spheroids), metal/insulator-grain
size ratio (segregated distribution), shell thickness (enveloped hard-core spheres with a fixed
tunnelling distance; s = 0 is the random hard-core reference) or tunnelling distance (random
hard-core spheres), and returns the table; ``plot_design_map`` writes a PNG.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alloyscreen.errors import InputError
from alloyscreen.percolation.continuum import ParticleThreshold, critical_volume_fraction

logger = logging.getLogger(__name__)

VARIABLES = ("aspect-ratio", "size-ratio", "shell-thickness", "tunnelling-distance")

DEFAULT_VALUES = {
    "aspect-ratio": (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    "size-ratio": (0.1, 0.15, 0.2, 0.3, 0.5),
    "shell-thickness": (0.0, 0.2, 0.4, 0.6, 0.8),
    "tunnelling-distance": (0.3, 0.5, 1.0, 2.0),
}

LABELS = {
    "aspect-ratio": "aspect ratio a/b (prolate > 1, oblate < 1)",
    "size-ratio": "metal / insulating-grain size ratio",
    "shell-thickness": "insulating shell thickness s / r",
    "tunnelling-distance": "tunnelling distance d / r",
}


@dataclass(frozen=True)
class DesignMap:
    """V_p (``phi_c``) along one morphology parameter, with the full per-point results."""

    vary: str
    x: np.ndarray
    phi_c: np.ndarray
    phi_c_err: np.ndarray
    percolates: np.ndarray
    points: tuple[ParticleThreshold, ...]
    base: dict
    preset: str
    seed: int


def _point_kwargs(vary: str, value: float, base: dict) -> dict:
    kw = dict(base)
    if vary == "aspect-ratio":
        kw.update(shape="sphere" if value == 1.0 else "spheroid", aspect_ratio=value)
    elif vary == "size-ratio":
        kw.update(distribution="segregated", size_ratio=value)
    elif vary == "shell-thickness":
        kw.setdefault("tunnelling_distance", 1.0)
        if value == 0.0:
            kw.update(distribution="random", shell_thickness=0.0, overlapping=False)
        else:
            kw.update(distribution="enveloped", shell_thickness=value, overlapping=False)
    elif vary == "tunnelling-distance":
        kw.update(tunnelling_distance=value, overlapping=kw.get("overlapping", False))
    return kw


def design_map(
    vary: str = "aspect-ratio",
    values: Sequence[float] | None = None,
    *,
    base: dict | None = None,
    preset: str = "fast",
    seed: int = 0,
    threads: int | None = None,
    progress=None,
) -> DesignMap:
    """Compute V_p along ``vary`` (one of :data:`VARIABLES`).

    ``base`` holds fixed keyword arguments of
    :func:`~alloyscreen.percolation.continuum.critical_volume_fraction`
    (e.g. ``{"tunnelling_distance": 0.5}`` for the shell-thickness map).
    """
    if vary not in VARIABLES:
        raise InputError(f"unknown map variable '{vary}'; use one of {', '.join(VARIABLES)}")
    vals = tuple(float(v) for v in (values if values is not None else DEFAULT_VALUES[vary]))
    if len(vals) < 2:
        raise InputError("a design map needs at least two values")
    base = dict(base or {})
    points = []
    for v in vals:
        kw = _point_kwargs(vary, v, base)
        res = critical_volume_fraction(preset=preset, seed=seed, threads=threads, **kw)
        points.append(res)
        if progress is not None:
            progress(1, f"{vary}={v:g}")
    return DesignMap(
        vary=vary,
        x=np.array(vals),
        phi_c=np.array([p.phi_c for p in points]),
        phi_c_err=np.array([p.phi_c_err for p in points]),
        percolates=np.array([p.percolates for p in points]),
        points=tuple(points),
        base=base,
        preset=preset,
        seed=int(seed),
    )


def map_table(dmap: DesignMap):
    """The map as a pandas DataFrame (one row per point, settings included)."""
    import pandas as pd

    rows = []
    for x, p in zip(dmap.x, dmap.points, strict=True):
        rows.append(
            {
                dmap.vary: float(x),
                "phi_c": p.phi_c,
                "phi_c_err": p.phi_c_err,
                "eta_c": p.eta_c,
                "percolates": p.percolates,
                "shape": p.shape,
                "aspect_ratio": p.aspect_ratio,
                "size_ratio": p.size_ratio,
                "distribution": p.distribution,
                "shell_thickness": p.shell_thickness,
                "tunnelling_distance": p.tunnelling_distance,
                "overlapping": p.overlapping,
                "polydispersity": p.polydispersity,
                "boxes": " ".join(f"{b:g}" for b in p.boxes),
                "samples": " ".join(str(s) for s in p.samples),
                "seed": p.seed,
                "note": p.note,
            }
        )
    return pd.DataFrame(rows)


def plot_design_map(dmap: DesignMap, path: str | Path, *, title: str | None = None) -> Path:
    """Write the map as a PNG (matplotlib ``Figure``; no global backend change)."""
    from matplotlib.figure import Figure

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(5.5, 4.0), dpi=150)
    ax = fig.add_subplot(1, 1, 1)
    ok = dmap.percolates & np.isfinite(dmap.phi_c)
    ax.errorbar(
        dmap.x[ok], dmap.phi_c[ok], yerr=dmap.phi_c_err[ok], fmt="o-", capsize=3, color="C0",
        label="simulated V_p",
    )  # fmt: skip
    if (~ok).any():
        ax.plot(dmap.x[~ok], np.full((~ok).sum(), np.nan), "x", color="C3", label="no percolation")
        for x in dmap.x[~ok]:
            ax.axvline(x, color="C3", alpha=0.3, lw=1)
    if dmap.vary in ("aspect-ratio", "size-ratio"):
        ax.set_xscale("log")
    ax.set_xlabel(LABELS[dmap.vary])
    ax.set_ylabel("critical metal volume fraction V_p")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.set_title(
        title or f"V_p vs {dmap.vary} ({dmap.preset} preset, seed {dmap.seed})", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(out)
    return out
