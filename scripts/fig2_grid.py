"""Regenerate the simulated Fig. 2 grid of the docs (4 interphases x 3 cells).

    python scripts/fig2_grid.py                      # -> docs/images/fig2_simulated.png

Rows: Li6PS5Cl (SEI), Li10GeP2S12, LPSC:LGPS 4:1 and 16:1; columns: symmetric 100|100 um,
asymmetric 100|50 and 100|20 um; 0.5 mA/cm2, 0.5 mAh/cm2 per half cycle, +-5 V (Su, Fu et al.,
EES Batteries 1, 242 (2025), doi:10.1039/d5eb00024f). Each interphase grows by the law of its
calibrated class (shipped observations). Prints one line per cell. About 10 s.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alloyscreen.interphase.protocol_grid import FIG2_MAX_HOURS, plot_grid, simulate_grid

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "fig2_simulated.png"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT))
    ap.add_argument("--max-hours", type=float, default=FIG2_MAX_HOURS)
    args = ap.parse_args(argv)
    grid = simulate_grid(max_hours=args.max_hours)
    for g in grid:
        s = g.result.summary
        state = f"depleted at {s.depletion_time_h:.0f} h" if s.depleted else "survived"
        print(
            f"{g.interphase:16s} {g.classification:7s} {g.cell:22s} {state:22s} "
            f"polarization {s.polarization_first_mV:.0f} -> {s.polarization_last_mV:.0f} mV"
        )
    print(plot_grid(grid, args.output, max_hours=args.max_hours))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
