"""DFT codes behind the calculator registry, with the DFT presets of every task in one place.

The codes are rows of the static calculator table in :mod:`alloyscreen.calculators` (lazy
``module:function`` paths; importing this package registers nothing):

- ``gpaw``: GPAW in plane-wave mode, run here (``make dft`` builds it; see ``docs/dft.md``);
- ``vasp``: VASP through ASE's calculator (needs the user's binary and POTCARs to run);
- ``espresso``: Quantum ESPRESSO ``pw.x`` through ASE's calculator (needs the binary and
  pseudopotentials to run).

Modules: :mod:`~alloyscreen.dft.presets` (presets, identity parameters),
:mod:`~alloyscreen.dft.structure_rules` (k-point/vacuum/dipole/spin rules),
:mod:`~alloyscreen.dft.base` (the preset-applying ASE calculator) and one adapter per code
(:mod:`~alloyscreen.dft.gpaw`, :mod:`~alloyscreen.dft.vasp`, :mod:`~alloyscreen.dft.espresso`).

Presets
-------
:data:`PRESETS` holds the settings per task (``bulk``, ``slab``, ``interface``, ``neb``, and
``auto``, the default). Every preset shares the physics that must agree for energy differences
between structures to be meaningful — functional, plane-wave cutoff (per code), k-point density,
smearing — and differs only in what is specific to a task (dipole correction, SCF mixing,
force convergence). The full preset, with any user override, is the calculator identity's
``parameters`` (see :func:`identity_parameters`): it goes into provenance and into the content key
of every stored result, so changing a default never reuses old results.

Per structure
-------------
The worker builds one calculator per spec and reuses it for every structure, so what depends on
the structure is decided at calculation time by :func:`resolve_structure` (and frozen for as long
as the calculator is handed the same ``Atoms`` object, so that a relaxation keeps one k-point
grid while its cell changes):

- k-points: ``ceil(2π · density · |b_i|)`` along each periodic direction (``b_i`` the reciprocal
  vectors without 2π), **1 along a vacuum direction** (a periodic direction whose largest
  atom-free gap exceeds ``vacuum_min_A``) or a non-periodic one; Γ-centred for hexagonal
  lattices, Monkhorst–Pack otherwise. A slab and a bulk cell with the same in-plane vectors get
  the same in-plane grid, so slab/bulk energy differences (surface energies, W_ad) are consistent;
- dipole correction: on for slabs without a symmetry operation that flips the surface normal
  (asymmetric slabs, e.g. Li on Al), unless the preset says ``off``;
- spin: polarised when the structure carries initial magnetic moments or contains Cr, Mn, Fe,
  Co or Ni (starting moment 2 μB, a guess the SCF relaxes), unless ``spin`` is ``on``/``off``.
"""

from __future__ import annotations

from alloyscreen.dft.base import PresetDFTCalculator
from alloyscreen.dft.espresso import EspressoCalculator, make_espresso
from alloyscreen.dft.gpaw import GPAWCalculator, make_gpaw, require_gpaw
from alloyscreen.dft.presets import (
    CODE_CUTOFF_EV,
    DEFAULT_INITIAL_MAGMOM,
    MAGNETIC_ELEMENTS,
    PRESETS,
    PRESETS_VERSION,
    DFTPreset,
    identity_parameters,
    make_preset,
    split_kwargs,
)
from alloyscreen.dft.structure_rules import (
    StructureSettings,
    center_slab,
    is_symmetric_slab,
    kpoint_grid,
    resolve_structure,
    vacuum_axes,
    vacuum_center,
    vacuum_gaps,
)
from alloyscreen.dft.vasp import VaspCalculator, make_vasp

__all__ = [
    "CODE_CUTOFF_EV",
    "DEFAULT_INITIAL_MAGMOM",
    "MAGNETIC_ELEMENTS",
    "PRESETS",
    "PRESETS_VERSION",
    "DFTPreset",
    "EspressoCalculator",
    "GPAWCalculator",
    "PresetDFTCalculator",
    "StructureSettings",
    "VaspCalculator",
    "center_slab",
    "identity_parameters",
    "is_symmetric_slab",
    "kpoint_grid",
    "make_espresso",
    "make_gpaw",
    "make_preset",
    "make_vasp",
    "require_gpaw",
    "resolve_structure",
    "split_kwargs",
    "vacuum_axes",
    "vacuum_center",
    "vacuum_gaps",
]
