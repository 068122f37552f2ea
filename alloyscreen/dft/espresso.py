"""Quantum ESPRESSO adapter (``pw.x`` through ``ase.calculators.espresso``).

``make_espresso`` is the factory named in the calculator table (``"espresso"``); ``write_input``
writes ``espresso.pwi`` without ``pw.x``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from alloyscreen.dft.base import PresetDFTCalculator
from alloyscreen.dft.presets import CODE_CUTOFF_EV, split_kwargs
from alloyscreen.dft.structure_rules import StructureSettings, resolve_structure, vacuum_center


class EspressoCalculator(PresetDFTCalculator):
    """Quantum ESPRESSO ``pw.x`` through :class:`ase.calculators.espresso.Espresso`."""

    code = "espresso"
    _RY_EV = 13.605693122994  # CODATA 2018 Rydberg energy in eV

    def espresso_parameters(self, atoms: Atoms, settings: StructureSettings) -> dict[str, Any]:
        """Keyword arguments for ``Espresso`` (``input_data``, pseudopotentials, k-points)."""
        p = self.preset
        names = {
            "fermi-dirac": "fd",
            "gaussian": "gaussian",
            "marzari-vanderbilt": "mv",
            "methfessel-paxton": "mp",
        }
        ecut_ry = float(p.ecut_eV or CODE_CUTOFF_EV["espresso"]) / self._RY_EV
        system: dict[str, Any] = {
            "ecutwfc": round(ecut_ry, 6),
            "ecutrho": round(8 * ecut_ry, 6),
            "input_dft": p.xc,
            "occupations": "smearing",
            "smearing": names[p.smearing],
            "degauss": round(p.smearing_width_eV / self._RY_EV, 8),
            "nspin": 2 if settings.spin_polarized else 1,
        }
        control: dict[str, Any] = {
            "calculation": "scf",
            "tprnfor": True,
            "tstress": True,
            "disk_io": "none",
        }
        electrons: dict[str, Any] = {
            "conv_thr": p.scf_energy_eV_per_atom * len(atoms) / self._RY_EV,
            "electron_maxstep": p.maxiter,
        }
        if p.mixer_beta is not None:
            electrons["mixing_beta"] = p.mixer_beta
        species = list(dict.fromkeys(atoms.get_chemical_symbols()))
        if settings.spin_polarized and settings.initial_magmoms is not None:
            # starting_magnetization(i) is per species, a fraction of its valence charge
            for i, symbol in enumerate(species, start=1):
                moms = [
                    m
                    for s, m in zip(
                        atoms.get_chemical_symbols(), settings.initial_magmoms, strict=True
                    )
                    if s == symbol
                ]
                if any(moms):
                    system[f"starting_magnetization({i})"] = 0.5 if np.mean(moms) > 0 else -0.5
        if settings.dipole_correction:
            axis = settings.surface_axis
            assert axis is not None
            control.update({"tefield": True, "dipfield": True})
            system.update(
                {
                    "edir": axis + 1,
                    "emaxpos": round(vacuum_center(atoms, axis), 6),
                    "eopreg": 0.05,
                    "eamp": 0.0,
                }
            )
        input_data = {"control": control, "system": system, "electrons": electrons}
        for section, values in (self.options.get("input_data") or {}).items():
            input_data.setdefault(section, {}).update(values)
        pattern = self.options.get("pseudo_pattern", "{symbol}.UPF")
        pseudos = {s: pattern.format(symbol=s) for s in species}
        pseudos.update(self.options.get("pseudopotentials") or {})
        kpts_offset = tuple(0 if (settings.gamma or n % 2 == 1) else 1 for n in settings.kpts)
        return {
            "input_data": input_data,
            "pseudopotentials": pseudos,
            "kpts": settings.kpts,
            "koffset": kpts_offset,
        }

    def _inner_for(self, atoms: Atoms, settings: StructureSettings, directory: str) -> Any:
        from ase.calculators.espresso import Espresso, EspressoProfile

        command = self.runtime.get("command", "pw.x")
        pseudo_dir = self.runtime.get("pseudo_dir") or os.environ.get("ESPRESSO_PSEUDO") or "."
        profile = EspressoProfile(command=command, pseudo_dir=pseudo_dir)
        return Espresso(
            profile=profile, directory=directory, **self.espresso_parameters(atoms, settings)
        )

    def _make_inner(self, settings: StructureSettings, atoms: Atoms) -> Any:
        command = self.runtime.get("command", "pw.x")
        self._need_binary(command, "command=")
        return self._inner_for(atoms, settings, self._run_directory())

    def _key(self, settings: StructureSettings, work: Atoms) -> tuple:
        # The input depends on the structure (EDIFF ∝ atoms, dipole position): one per structure.
        return (settings, len(work), tuple(work.numbers))

    def write_input(self, atoms: Atoms, directory: str | Path) -> list[Path]:
        """Write ``espresso.pwi`` for ``atoms`` into ``directory`` (no ``pw.x`` needed)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        settings = resolve_structure(atoms, self.preset)
        work = PresetDFTCalculator._prepare(self, atoms, settings)
        inner = self._inner_for(work, settings, str(directory))
        inner.write_inputfiles(work, ["energy", "forces"])
        return [directory / "espresso.pwi"]


def make_espresso(**kwargs: Any) -> EspressoCalculator:
    """``get_calculator("espresso", ...)``: pw.x with a DFT preset (``command``, ``directory``,
    ``pseudo_dir``, ``pseudopotentials`` or ``pseudo_pattern``, ``input_data``)."""
    preset, options, runtime = split_kwargs("espresso", kwargs)
    return EspressoCalculator(preset, options, **runtime)
