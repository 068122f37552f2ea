"""Li|ISE|Li cell cycling: readers, analysis, symmetric-vs-asymmetric verdict, simulator, plots.

Typical use::

    from alloyscreen.experiments import cells

    table = cells.read_cycler_file("cell.ndax")           # normalised table
    result = cells.analyze_cell(table, cells.CellProtocol(thin_li_um=20))
    sim = cells.simulate_cell(
        cells.CellConfig(kind="asymmetric", interphase=cells.InterphaseGrowth.from_sigma_e(1e-2))
    )

Readers need optional extras: ``cells`` (NewareNDA) for .nda/.ndax, ``biologic`` (galvani, GPL)
for .mpr; CSV needs nothing extra. Plotting functions live in
:mod:`alloyscreen.experiments.cells.plots` (matplotlib imported there only).
"""

from __future__ import annotations

from alloyscreen.experiments.cells.analysis import (
    ADAMS_2018,
    LI_MAH_CM2_PER_UM,
    CellAnalysis,
    CellProtocol,
    HalfCycleStats,
    PolarizationTrend,
    analyze_cell,
    summary_dict,
)
from alloyscreen.experiments.cells.readers import (
    NORMALISED_COLUMNS,
    normalise,
    read_biologic,
    read_csv,
    read_cycler_file,
    read_neware,
    write_csv,
)
from alloyscreen.experiments.cells.simulator import (
    CellConfig,
    InterphaseGrowth,
    InterphaseLaw,
    SimulationResult,
    SimulationSummary,
    simulate_cell,
)
from alloyscreen.experiments.cells.verdict import (
    CellVerdict,
    ProtocolVerdict,
    compare_cells,
    compare_protocol,
)

__all__ = [
    "ADAMS_2018",
    "LI_MAH_CM2_PER_UM",
    "NORMALISED_COLUMNS",
    "CellAnalysis",
    "CellConfig",
    "CellProtocol",
    "CellVerdict",
    "HalfCycleStats",
    "InterphaseGrowth",
    "InterphaseLaw",
    "PolarizationTrend",
    "ProtocolVerdict",
    "SimulationResult",
    "SimulationSummary",
    "analyze_cell",
    "compare_cells",
    "compare_protocol",
    "normalise",
    "read_biologic",
    "read_csv",
    "read_cycler_file",
    "read_neware",
    "simulate_cell",
    "summary_dict",
    "write_csv",
]
