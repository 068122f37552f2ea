"""VASP adapter (``ase.calculators.vasp``): needs the user's binary and POTCARs to run.

``make_vasp`` is the factory named in the calculator table (``"vasp"``); ``write_input`` writes
the input files without a binary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ase import Atoms

from alloyscreen.dft.base import PresetDFTCalculator
from alloyscreen.dft.presets import CODE_CUTOFF_EV, split_kwargs
from alloyscreen.dft.structure_rules import StructureSettings, resolve_structure, vacuum_center
from alloyscreen.errors import InputError


class VaspCalculator(PresetDFTCalculator):
    """VASP through :class:`ase.calculators.vasp.Vasp` with a :class:`DFTPreset`."""

    code = "vasp"

    def vasp_parameters(self, atoms: Atoms, settings: StructureSettings) -> dict[str, Any]:
        """Keyword arguments for ``ase.calculators.vasp.Vasp`` (INCAR tags and k-points)."""
        p = self.preset
        ismear = {"fermi-dirac": -1, "gaussian": 0, "methfessel-paxton": 1}
        if p.smearing not in ismear:
            raise InputError(f"calculator 'vasp': smearing '{p.smearing}' has no ISMEAR mapping")
        params: dict[str, Any] = {
            "xc": p.xc,
            "setups": self.options.get("setups", "recommended"),
            "encut": float(p.ecut_eV or CODE_CUTOFF_EV["vasp"]),
            "ismear": ismear[p.smearing],
            "sigma": p.smearing_width_eV,
            "ediff": p.scf_energy_eV_per_atom * len(atoms),
            "nelm": p.maxiter,
            "prec": "Accurate",
            "lreal": False,
            "ibrion": -1,  # single points: ASE drives relaxations and NEBs
            "nsw": 0,
            "lwave": False,
            "lcharg": False,
            "ispin": 2 if settings.spin_polarized else 1,
            "kpts": settings.kpts,
            "gamma": settings.gamma,
        }
        if settings.spin_polarized and settings.initial_magmoms is not None:
            params["magmom"] = list(settings.initial_magmoms)
        if p.mixer_beta is not None:
            params["amix"] = p.mixer_beta
        if settings.dipole_correction:
            axis = settings.surface_axis
            assert axis is not None
            center = [0.5, 0.5, 0.5]
            center[axis] = (vacuum_center(atoms, axis) + 0.5) % 1.0  # middle of the slab
            params.update({"ldipol": True, "idipol": axis + 1, "dipol": center})
        params.update(self.options.get("incar") or {})
        return params

    def _inner_for(self, atoms: Atoms, settings: StructureSettings, directory: str) -> Any:
        from ase.calculators.vasp import Vasp

        kw = self.vasp_parameters(atoms, settings)
        if "magmom" in kw:  # ASE writes MAGMOM from the atoms' initial moments
            kw.pop("magmom")
        return Vasp(directory=directory, command=self.runtime.get("command"), **kw)

    def _make_inner(self, settings: StructureSettings, atoms: Atoms) -> Any:
        command = self.runtime.get("command") or next(
            (os.environ[v] for v in ("ASE_VASP_COMMAND", "VASP_COMMAND") if os.environ.get(v)),
            None,
        )
        if command is None:
            raise InputError(
                "calculator 'vasp': no VASP command; pass command='mpirun -n 4 vasp_std' or set "
                "ASE_VASP_COMMAND (and VASP_PP_PATH for the POTCARs)"
            )
        self._need_binary(command, "ASE_VASP_COMMAND")
        self.runtime["command"] = command
        return self._inner_for(atoms, settings, self._run_directory())

    def _key(self, settings: StructureSettings, work: Atoms) -> tuple:
        # The input depends on the structure (EDIFF ∝ atoms, dipole position): one per structure.
        return (settings, len(work), tuple(work.numbers))

    def write_input(self, atoms: Atoms, directory: str | Path) -> list[Path]:
        """Write INCAR, KPOINTS, POSCAR (and POTCAR when ``VASP_PP_PATH`` is set) for ``atoms``.

        Returns the written paths. No VASP binary is needed.
        """
        from ase.calculators.vasp.create_input import count_symbols
        from ase.io.vasp import write_vasp

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        settings = resolve_structure(atoms, self.preset)
        work = PresetDFTCalculator._prepare(self, atoms, settings)
        inner = self._inner_for(work, settings, str(directory))
        if os.environ.get("VASP_PP_PATH"):
            inner.write_input(work)
            names = ["INCAR", "KPOINTS", "POSCAR", "POTCAR"]
        else:
            # Same files minus POTCAR (concatenate the POTCARs in the POSCAR's species order).
            inner._set_spinpol(work)
            inner.sort, inner.resort = inner._make_sort(work)
            symbols, counts = count_symbols(work, exclude=())
            inner.symbol_count = [(s, counts[s]) for s in symbols]
            inner.write_incar(work, directory=str(directory))
            inner.write_kpoints(atoms=work, directory=str(directory))
            write_vasp(
                directory / "POSCAR",
                work[inner.sort],
                symbol_count=inner.symbol_count,
                direct=True,
            )
            names = ["INCAR", "KPOINTS", "POSCAR"]
        return [directory / n for n in names]


def make_vasp(**kwargs: Any) -> VaspCalculator:
    """``get_calculator("vasp", ...)``: VASP with a DFT preset (``command``, ``directory``,
    ``setups``, ``incar`` for extra INCAR tags)."""
    preset, options, runtime = split_kwargs("vasp", kwargs)
    return VaspCalculator(preset, options, **runtime)
