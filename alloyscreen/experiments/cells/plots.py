"""Plots of Li cell cycling: voltage profiles side by side and polarization vs cycle.

Matplotlib ``Figure`` objects are built without pyplot (no backend switch, no global state) and
saved with :func:`save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alloyscreen.experiments.cells.analysis import CellAnalysis

_MAX_POINTS = 20000


def _thin(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    t = table["time_s"].to_numpy(dtype=float) / 3600.0
    v = table["voltage_V"].to_numpy(dtype=float)
    if len(t) > _MAX_POINTS:
        step = int(np.ceil(len(t) / _MAX_POINTS))
        keep = np.zeros(len(t), dtype=bool)
        keep[::step] = True
        keep[-1] = True
        # keep the extremes so that depletion spikes survive thinning
        keep[np.argmax(v)] = keep[np.argmin(v)] = True
        t, v = t[keep], v[keep]
    return t - t[0], v


def _profile(ax, table: pd.DataFrame, analysis: CellAnalysis | None, title: str) -> None:
    t, v = _thin(table)
    ax.plot(t, v, lw=0.6, color="tab:blue")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("voltage (V)")
    ax.set_title(title, fontsize=10)
    if analysis is not None:
        cutoff = analysis.protocol.cutoff_V
        if np.nanmax(np.abs(v)) > 0.5 * cutoff:
            for y in (cutoff, -cutoff):
                ax.axhline(y, color="0.6", ls=":", lw=0.8)
        if analysis.depleted and analysis.depletion_time_h is not None:
            td = analysis.depletion_time_h
            ax.axvline(td, color="tab:red", ls="--", lw=0.8, alpha=0.6)
            k = int(np.argmin(np.abs(t - td)))
            ax.plot([t[k]], [v[k]], marker="o", ms=5, color="tab:red")
            ax.annotate(
                f"depletion\n{td:.0f} h, cycle {analysis.depletion_cycle}",
                xy=(td, 0.0),
                xytext=(4, 8),
                textcoords="offset points",
                color="tab:red",
                fontsize=8,
            )
        if analysis.soft_short and analysis.soft_short_time_h is not None:
            ax.axvline(analysis.soft_short_time_h, color="tab:purple", ls="--", lw=1.0)
            ax.annotate(
                "soft short",
                xy=(analysis.soft_short_time_h, 0.0),
                xytext=(4, -14),
                textcoords="offset points",
                color="tab:purple",
                fontsize=8,
            )


def plot_voltage_profiles(
    profiles: Mapping[str, tuple[pd.DataFrame, CellAnalysis | None]],
    *,
    width_in: float = 5.0,
    height_in: float = 3.6,
):
    """Voltage vs time of several cells side by side (e.g. symmetric | asymmetric).

    Parameters
    ----------
    profiles
        Title -> (normalised table, its analysis or None). Depletion and soft shorts found by
        the analysis are marked.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    n = max(1, len(profiles))
    fig = Figure(figsize=(width_in * n, height_in), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (title, (table, analysis)) in zip(axes, profiles.items(), strict=False):
        _profile(ax, table, analysis, title)
    return fig


def plot_polarization(
    analyses: Mapping[str, CellAnalysis], *, width_in: float = 5.5, height_in: float = 3.6
):
    """Polarization (mV) vs cycle for several cells, depletion cycles marked.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    ax = fig.subplots()
    for label, a in analyses.items():
        _polarization(ax, a, label)
    ax.set_xlabel("cycle")
    ax.set_ylabel("polarization (mV)")
    if analyses:
        ax.legend(fontsize=8)
    return fig


def _polarization(ax, a: CellAnalysis, label: str) -> None:
    pol = np.array([np.nan if x is None else x for x in a.polarization_mV], dtype=float)
    cycles = np.arange(1, len(pol) + 1)
    (line,) = ax.plot(cycles, pol, marker=".", ms=3, lw=1.0, label=label)
    if a.depleted and a.depletion_cycle is not None and a.depletion_cycle <= len(pol):
        c = a.depletion_cycle
        y = pol[c - 1] if np.isfinite(pol[c - 1]) else np.nanmax(pol)
        ax.plot([c], [y], marker="x", ms=8, color=line.get_color())
        ax.annotate("depleted", xy=(c, y), xytext=(3, 5), textcoords="offset points", fontsize=8)


def plot_analysis(table: pd.DataFrame, analysis: CellAnalysis, *, title: str | None = None):
    """One cell: voltage profile (depletion marked) and polarization vs cycle side by side."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.0, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _profile(ax1, table, analysis, title or Path(analysis.source).name)
    _polarization(ax2, analysis, "polarization")
    ax2.set_xlabel("cycle")
    ax2.set_ylabel("polarization (mV)")
    ax2.set_title(f"polarization trend: {analysis.polarization_trend.label}", fontsize=10)
    return fig


def save_figure(fig, path: str | Path, *, dpi: int = 120) -> Path:
    """Save ``fig`` (PNG, or any format matplotlib knows from the suffix); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def plot_symmetric_vs_asymmetric(
    symmetric: tuple[pd.DataFrame, CellAnalysis],
    asymmetric: tuple[pd.DataFrame, CellAnalysis]
    | Sequence[tuple[str, pd.DataFrame, CellAnalysis]],
):
    """Convenience: profiles of a symmetric and one or more asymmetric cells, then polarization.

    ``asymmetric`` is one (table, analysis) pair or a sequence of (label, table, analysis).
    Returns a figure with the profiles in the top row and polarization vs cycle below.
    """
    from matplotlib.figure import Figure

    if isinstance(asymmetric[0], pd.DataFrame):
        asym_items = [("asymmetric", asymmetric[0], asymmetric[1])]
    else:
        asym_items = list(asymmetric)
    items = [("symmetric", symmetric[0], symmetric[1]), *asym_items]
    n = len(items)
    fig = Figure(figsize=(4.6 * n, 6.8), layout="constrained")
    grid = fig.add_gridspec(2, n)
    for k, (label, table, analysis) in enumerate(items):
        _profile(fig.add_subplot(grid[0, k]), table, analysis, label)
    ax = fig.add_subplot(grid[1, :])
    for label, _table, analysis in items:
        _polarization(ax, analysis, label)
    ax.set_xlabel("cycle")
    ax.set_ylabel("polarization (mV)")
    ax.legend(fontsize=8)
    return fig
