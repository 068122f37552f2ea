"""The paper's Fig. 2 as a simulation: interphases x {symmetric, asymmetric 50 um, 20 um} cells.

Su, Fu et al., EES Batteries 1, 242 (2025), doi:10.1039/d5eb00024f, Fig. 2 tests interphases grown
from Li6PS5Cl (SEI), Li10GeP2S12 and the 4:1 and 16:1 LPSC:LGPS blends in symmetric 100|100 um
cells and asymmetric 100|50 and 100|20 um cells (0.5 mA/cm2, 0.5 mAh/cm2 per half cycle, +-5 V).
:func:`simulate_grid` runs the same grid with the cell simulator, each interphase growing by the
law of its calibrated class (:func:`~alloyscreen.interphase.growth.calibrated_growth_law`), and
:func:`plot_grid` draws it. The simulator's parameters are illustrative, so the grid reproduces
the qualitative findings (which cells deplete, in which order), not the measured times.

Regenerate the figure of the docs with ``python scripts/fig2_grid.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Fig. 2 interphases (label, composition).
FIG2_COMPOSITIONS = (
    ("LPSC", "Li6PS5Cl"),
    ("LGPS", "Li10GeP2S12"),
    ("LPSC:LGPS 4:1", "Li6PS5Cl:Li10GeP2S12=4:1"),
    ("LPSC:LGPS 16:1", "Li6PS5Cl:Li10GeP2S12=16:1"),
)
#: Fig. 2 cells (label, kind, thin Li um); thick Li 100 um.
FIG2_CELLS = (
    ("symmetric 100|100 um", "symmetric", 100.0),
    ("asymmetric 100|50 um", "asymmetric", 50.0),
    ("asymmetric 100|20 um", "asymmetric", 20.0),
)
#: Default test length (h) of the grid: long enough for the 50 um MCI cells to deplete.
FIG2_MAX_HOURS = 600.0


@dataclass(frozen=True)
class GridCell:
    """One simulated cell of the grid."""

    interphase: str
    composition: str
    classification: str
    basis: str
    cell: str
    kind: str
    thin_li_um: float
    result: object  # SimulationResult


def simulate_grid(
    compositions=FIG2_COMPOSITIONS,
    cells=FIG2_CELLS,
    *,
    max_hours: float = FIG2_MAX_HOURS,
    points_per_half_cycle: int = 12,
    observations=None,
) -> tuple[GridCell, ...]:
    """Simulate every (interphase, cell) pair until depletion or ``max_hours``."""
    import math

    from alloyscreen.experiments.cells.simulator import CellConfig, simulate_cell
    from alloyscreen.interphase.growth import calibrated_growth_law

    out = []
    for label, comp in compositions:
        law, verdict = calibrated_growth_law(comp, observations=observations)
        for cell_label, kind, thin in cells:
            cfg = CellConfig(
                kind=kind,
                thin_li_um=thin,
                thick_li_um=100.0,
                n_cycles=max(1, math.ceil(max_hours / 2.0)),
                interphase=law,
                points_per_half_cycle=points_per_half_cycle,
                max_hours=max_hours,
            )
            out.append(
                GridCell(
                    label,
                    comp,
                    verdict.classification,
                    verdict.basis,
                    cell_label,
                    kind,
                    thin,
                    simulate_cell(cfg),
                )
            )
    return tuple(out)


def plot_grid(grid: tuple[GridCell, ...], path: str | Path, *, max_hours: float | None = None):
    """4 x 3 panel figure (rows: interphases, columns: cells) of voltage vs time (PNG)."""
    from matplotlib.figure import Figure

    rows = list(dict.fromkeys(g.interphase for g in grid))
    cols = list(dict.fromkeys(g.cell for g in grid))
    fig = Figure(figsize=(4.0 * len(cols), 2.3 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), len(cols), sharex=True, squeeze=False)
    t_max = max_hours or max(g.result.summary.duration_h for g in grid)
    for g in grid:
        ax = axes[rows.index(g.interphase)][cols.index(g.cell)]
        t = g.result.table["time_s"].to_numpy() / 3600.0
        v = g.result.table["voltage_V"].to_numpy()
        s = g.result.summary
        color = "tab:red" if s.depleted else "tab:blue"
        ax.plot(t, v, lw=0.4, color=color)
        if s.depleted:  # symlog: the mV cycling and the jump to the 5 V limit both visible
            ax.set_yscale("symlog", linthresh=0.1)
            ax.set_ylim(-6, 6)
            ax.axvline(s.depletion_time_h, color="black", lw=0.8, ls="--")
            note = f"depleted at {s.depletion_time_h:.0f} h"
        else:
            lim = 1.3 * max(abs(v).max(), 1e-3)
            ax.set_ylim(-lim, lim)
            note = (
                f"survived {s.duration_h:.0f} h; polarization {s.polarization_first_mV:.0f}"
                f" -> {s.polarization_last_mV:.0f} mV"
            )
        ax.set_xlim(0, t_max)
        ax.text(0.02, 0.95, note, transform=ax.transAxes, fontsize=7, va="top")
        if rows.index(g.interphase) == 0:
            ax.set_title(g.cell, fontsize=9)
        if cols.index(g.cell) == 0:
            ax.set_ylabel(f"{g.interphase}\n({g.classification})\nvoltage (V)", fontsize=8)
        if rows.index(g.interphase) == len(rows) - 1:
            ax.set_xlabel("time (h)", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "Simulated Fig. 2 of Su, Fu et al. 2025 (0.5 mA/cm2, 0.5 mAh/cm2, +-5 V): growth law from "
        "the calibrated interphase class; illustrative parameters",
        fontsize=9,
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out
