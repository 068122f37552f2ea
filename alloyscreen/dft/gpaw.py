"""GPAW adapter: plane-wave mode with a :class:`~alloyscreen.dft.presets.DFTPreset`.

``make_gpaw`` is the factory named in the calculator table of :mod:`alloyscreen.calculators`
(``"gpaw"``); it runs here once ``make dft`` has built GPAW (see ``docs/dft.md``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import numpy as np
from ase import Atoms

from alloyscreen.dft.base import PresetDFTCalculator
from alloyscreen.dft.presets import CODE_CUTOFF_EV, DFTPreset, split_kwargs
from alloyscreen.dft.structure_rules import StructureSettings, center_slab
from alloyscreen.errors import InputError, MissingExtraError


class GPAWCalculator(PresetDFTCalculator):
    """GPAW in plane-wave mode with a :class:`DFTPreset` (text output to ``txt`` or nowhere)."""

    code = "gpaw"

    def __init__(self, preset: DFTPreset, options: Mapping[str, Any] | None = None, **runtime: Any):
        super().__init__(preset, options, **runtime)
        self._log: Any = None

    def gpaw_parameters(self, settings: StructureSettings) -> dict[str, Any]:
        """Keyword arguments for ``gpaw.GPAW`` (without ``txt``)."""
        p = self.preset
        params: dict[str, Any] = {
            "mode": {"name": "pw", "ecut": float(p.ecut_eV or CODE_CUTOFF_EV["gpaw"])},
            "xc": p.xc,
            "kpts": {"size": list(settings.kpts), "gamma": settings.gamma},
            "occupations": {"name": p.smearing, "width": p.smearing_width_eV},
            "convergence": {"energy": p.scf_energy_eV_per_atom},
            "maxiter": p.maxiter,
            "spinpol": settings.spin_polarized,
        }
        if p.scf_forces_eV_A is not None:
            params["convergence"]["forces"] = p.scf_forces_eV_A
        if p.mixer_beta is not None:
            params["mixer"] = {"beta": p.mixer_beta}
        if settings.dipole_correction:
            params["poissonsolver"] = {"dipolelayer": "xy"}
        params.update(self.options.get("gpaw_parameters") or {})
        return params

    def _prepare(self, atoms: Atoms, settings: StructureSettings) -> Atoms:
        work = super()._prepare(atoms, settings)
        if settings.dipole_correction:
            axis = settings.surface_axis
            assert axis is not None
            cell = np.asarray(work.cell)
            tol = 1e-6 * float(np.abs(cell).max())
            if axis != 2 or np.abs(cell[2, :2]).max() > tol or np.abs(cell[:2, 2]).max() > tol:
                raise InputError(
                    "GPAW's dipole correction needs the slab normal along the third cell vector, "
                    "perpendicular to the first two (as ase.build makes slabs); reorient the slab "
                    "or pass dipole_correction='off'"
                )
            # GPAW puts the dipole layer at the non-periodic boundary: make it one, in the vacuum.
            work = center_slab(work, axis)
            pbc = list(work.pbc)
            pbc[axis] = False
            work.pbc = pbc
        return work

    def _restart_on(self, exc: Exception) -> bool:
        # GPAW moves atoms within the symmetry group of the first structure it was given; an NEB
        # image or the other end point of a hop can break it.
        return type(exc).__name__ == "SymmetryBrokenError"

    def _txt(self) -> Any:
        txt = self.runtime.get("txt")
        if txt is None:
            return None
        if txt == "-":
            raise InputError("calculator 'gpaw': txt='-' (stdout) is not allowed; give a file path")
        if self._log is None:
            self._log = open(txt, "a")  # noqa: SIM115 - kept open for the calculator's lifetime
        return self._log

    def _make_inner(self, settings: StructureSettings, atoms: Atoms) -> Any:
        from gpaw import GPAW

        return GPAW(txt=self._txt(), **self.gpaw_parameters(settings))

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._log is not None:
                self._log.close()


def require_gpaw() -> None:
    try:
        import gpaw  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(
            "gpaw",
            "dft",
            "the gpaw calculator; build it with `make dft` (scripts/install-gpaw.sh: libxc and "
            "OpenBLAS from apt, then a serial GPAW and its PAW setups into the venv)",
        ) from exc


def make_gpaw(**kwargs: Any) -> GPAWCalculator:
    """``get_calculator("gpaw", preset="auto", **overrides)``: GPAW with a DFT preset.

    Keyword arguments: ``preset`` (see :data:`PRESETS`), any :class:`DFTPreset` field as an
    override (``ecut_eV=400``), ``gpaw_parameters`` (extra ``gpaw.GPAW`` keywords, recorded in
    the identity) and ``txt`` (GPAW's text log: a file path, appended to; default: none).
    """
    require_gpaw()
    preset, options, runtime = split_kwargs("gpaw", kwargs)
    return GPAWCalculator(preset, options, **runtime)
