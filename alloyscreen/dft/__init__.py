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

Presets (:mod:`~alloyscreen.dft.presets`) hold the settings per task and enter the calculator
identity, hence every content key; the per-structure rules (k-points, dipole correction, spin) are
in :mod:`~alloyscreen.dft.structure_rules`.
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
