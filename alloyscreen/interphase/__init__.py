"""Interphase of solid electrolytes against Li: reduction products, V_FM, percolation, design.

Modules (imported lazily; the percolation engine they use is :mod:`alloyscreen.percolation`):

* :mod:`~alloyscreen.interphase.composition` - formula / blend / doped-formula input;
* :mod:`~alloyscreen.interphase.reactions` - curated reduction reactions (balanced);
* :mod:`~alloyscreen.interphase.thermo` - grand-potential (open-Li) reduction products;
* :mod:`~alloyscreen.interphase.products`, :mod:`~alloyscreen.interphase.volumes` - molar
  volumes, electronic class, volume fractions and V_FM;
* :mod:`~alloyscreen.interphase.coupling` - morphology -> V_p and GEM conductivity (engine);
* :mod:`~alloyscreen.interphase.classification` - SEI / MI-SEI / borderline / MCI;
* :mod:`~alloyscreen.interphase.growth` - growth law for the cell simulator;
* :mod:`~alloyscreen.interphase.calibration` - V_p window from observations (shipped and user),
  per metal, and the calibrated verdicts;
* :mod:`~alloyscreen.interphase.cell_calibration` - the window from cycler files (experiments TOML);
* :mod:`~alloyscreen.interphase.families` - which microstructure families explain a window;
* :mod:`~alloyscreen.interphase.protocol_grid` - the paper's Fig. 2 as a simulated grid;
* :mod:`~alloyscreen.interphase.design` - largest blend/doping fraction, plots, margins.

The names below are re-exported on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "parse_composition": "composition",
    "reduce_curated": "reactions",
    "load_reaction_table": "reactions",
    "reduce_thermo": "thermo",
    "load_product_table": "products",
    "interphase_volumes": "volumes",
    "Morphology": "coupling",
    "FixedThreshold": "coupling",
    "EnginePercolation": "coupling",
    "assess_interphase": "classification",
    "classify": "classification",
    "growth_law": "growth",
    "calibrate_file": "calibration",
    "shipped_observations": "calibration",
    "calibrate_by_metal": "calibration",
    "calibrated_verdict": "calibration",
    "calibrate_cells": "cell_calibration",
    "search_families": "families",
    "calibrated_growth_law": "growth",
    "calibrate_design": "design",
    "design_mixture": "design",
    "plot_design": "design",
    "design_document": "design",
    "alloy_margins": "design",
    "interphase_step": "design",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'alloyscreen.interphase' has no attribute {name!r}")
    return getattr(importlib.import_module(f"alloyscreen.interphase.{module}"), name)
