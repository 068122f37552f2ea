"""Percolation engine for metal-in-insulator interphases (MI-SEI design).

Public API (lengths of particle models in units of the metal particle's equivalent-sphere radius):

* analytic models: :func:`mixing_rule` (eq. 1), :func:`power_law` (eq. 2),
  :func:`percolation_conductivity`, :func:`gem_conductivity` (McLachlan GEM) and
  :func:`fit_power_law` (sigma_0, V_p, n with uncertainties);
* lattice percolation: :func:`lattice_threshold` (Newman–Ziff, sc/bcc/fcc, site/bond, FSS),
  :func:`percolation_curves`;
* continuum percolation: :func:`critical_volume_fraction` (spheres/spheroids, random, enveloped,
  segregated) and the fast cached :func:`lookup_critical_volume_fraction`;
* conductivity: :func:`effective_conductivity` (voxel resistor network, pyamg),
  :func:`conductivity_curve`, :func:`label_periodic`;
* design maps: :func:`design_map`, :func:`plot_design_map`, :func:`map_table`.

numba kernels are compiled (and cached on disk) on first use, not at import.
"""

from __future__ import annotations

from alloyscreen.percolation.analytic import (
    PowerLawFit,
    fit_power_law,
    gem_conductivity,
    mixing_rule,
    percolation_conductivity,
    power_law,
    read_conductivity_csv,
)
from alloyscreen.percolation.conductivity import (
    ConductivityCurve,
    ConductivityResult,
    conductivity_curve,
    effective_conductivity,
    label_periodic,
    particle_voxels,
    random_voxels,
)
from alloyscreen.percolation.continuum import (
    GARBOCZI_1995,
    PHI_C_SPHERES,
    ParticleThreshold,
    critical_volume_fraction,
)
from alloyscreen.percolation.lattice import (
    REFERENCE_THRESHOLDS,
    LatticeThreshold,
    PercolationCurves,
    lattice_threshold,
    percolation_curves,
    sample_events,
)
from alloyscreen.percolation.maps import (
    DesignMap,
    design_map,
    map_table,
    plot_design_map,
)
from alloyscreen.percolation.table import VpLookup, lookup_critical_volume_fraction

__all__ = [
    "GARBOCZI_1995",
    "PHI_C_SPHERES",
    "REFERENCE_THRESHOLDS",
    "ConductivityCurve",
    "ConductivityResult",
    "DesignMap",
    "LatticeThreshold",
    "ParticleThreshold",
    "PercolationCurves",
    "PowerLawFit",
    "VpLookup",
    "conductivity_curve",
    "critical_volume_fraction",
    "design_map",
    "effective_conductivity",
    "fit_power_law",
    "gem_conductivity",
    "label_periodic",
    "lattice_threshold",
    "lookup_critical_volume_fraction",
    "map_table",
    "mixing_rule",
    "particle_voxels",
    "percolation_conductivity",
    "percolation_curves",
    "plot_design_map",
    "power_law",
    "random_voxels",
    "read_conductivity_csv",
    "sample_events",
]
