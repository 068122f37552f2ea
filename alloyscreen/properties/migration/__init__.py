"""Li migration barriers (CI-NEB), the network barrier of long-range diffusion and a D(T) estimate.

Pure science: ``migration_barriers(atoms, calc, *, options) -> MigrationResult``; no store, no CLI.
The options are grouped in two frozen settings, :class:`HopSearch` (which hops) and
:class:`NEBSettings` (how each is computed); :func:`compute_migration` takes them directly and
:func:`migration_task_params` turns them into the ``migration`` task's parameters.

Modules: :mod:`.results` (result types), :mod:`.network` (hop graph, network barrier, D(T)),
:mod:`.neb` (settings and band machinery), :mod:`.driver` (the task), :mod:`.plots` (MEP plots).

The workflow, for a relaxed bulk structure:

1. **Hops** (:mod:`alloyscreen.structures.hops`): the symmetry-distinct nearest-neighbour hops of
   the species (vacancy mechanism by default, interstitial on request), in the smallest supercell
   whose lattice vectors are all at least ``min_length_A`` long. Endpoints share one atom list:
   the same atom moves, nothing is re-sorted.
2. **Endpoints** are relaxed at fixed cell (positions only) and checked: an endpoint whose atoms
   leave their sites, or two endpoints that relax into each other, fail the hop ("endpoint
   changed") instead of giving a barrier for a different process.
3. **Path**: linear interpolation with the minimum-image convention, refined with IDPP (Smidstrup
   et al., J. Chem. Phys. 140, 214106 (2014), doi:10.1063/1.4878664); NEB with the improved tangent
   (Henkelman & Jónsson, J. Chem. Phys. 113, 9978 (2000), doi:10.1063/1.1323224) relaxed loosely
   (``pre_fmax``) before the climbing image (Henkelman, Uberuaga & Jónsson, J. Chem. Phys. 113,
   9901 (2000), doi:10.1063/1.1329672) is switched on and the band converged to ``fmax``. Images
   already converged are not recomputed (dynamic NEB: Lindgren, Kastlunger & Peterson, J. Chem.
   Theory Comput. 15, 5787 (2019), doi:10.1021/acs.jctc.9b00633); every image has its own cached
   view of the one calculator, so an unchanged image never costs a force call.
4. **Checks**: the band's forces are recomputed at the end from the cached results (no force
   calls) *including the climbing image*, and convergence is only accepted below ``fmax``. Zero
   force calls, a flat path, a path without an interior maximum and a discontinuous path are
   false convergence; running out of steps is non-convergence. Either way the hop is stored with
   its status and reason and **no barrier**.
5. **Network barrier** E*: the lowest saddle energy (relative to the lowest endpoint energy of the
   sites involved) at which the hops at or below it connect into a network that percolates through
   the crystal in 1, 2 or 3 dimensions (periodic-graph dimensionality).
"""

from __future__ import annotations

from alloyscreen.properties.migration.driver import (
    HopSearch,
    compute_migration,
    migration_barriers,
    migration_task_params,
)
from alloyscreen.properties.migration.neb import (
    INTERPOLATIONS,
    NEB_OPTIMIZERS,
    BandRun,
    NEBSettings,
    classify_band,
    run_band,
)
from alloyscreen.properties.migration.network import (
    diffusion_coefficient,
    network_barrier,
    periodic_dimensionality,
)
from alloyscreen.properties.migration.plots import mep_figure, plot_mep
from alloyscreen.properties.migration.results import (
    ARRHENIUS_T_K,
    DIFFUSION_NOTE,
    HopResult,
    MigrationResult,
    NetworkBarrier,
)

__all__ = [
    "ARRHENIUS_T_K",
    "DIFFUSION_NOTE",
    "INTERPOLATIONS",
    "NEB_OPTIMIZERS",
    "BandRun",
    "HopResult",
    "HopSearch",
    "MigrationResult",
    "NEBSettings",
    "NetworkBarrier",
    "classify_band",
    "compute_migration",
    "diffusion_coefficient",
    "mep_figure",
    "migration_barriers",
    "migration_task_params",
    "network_barrier",
    "periodic_dimensionality",
    "plot_mep",
    "run_band",
]
