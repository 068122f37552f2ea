"""The ASE calculator shared by the DFT code adapters: applies a preset per structure."""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from alloyscreen.dft.presets import DFTPreset
from alloyscreen.dft.structure_rules import StructureSettings, resolve_structure
from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)


class PresetDFTCalculator(Calculator):
    """ASE calculator that applies a :class:`DFTPreset` per structure and delegates to a code.

    Subclasses build the code's own ASE calculator (``_make_inner``) for the settings of each
    structure. The per-structure settings are frozen while the same ``Atoms`` object is being
    calculated (a relaxation or an NEB image keeps its k-point grid while its cell or positions
    change); a new ``Atoms`` object gets settings from its own cell — deterministically, whatever
    was calculated before.
    """

    implemented_properties: ClassVar[list[str]] = ["energy", "free_energy", "forces", "stress"]
    code: ClassVar[str] = ""

    def __init__(self, preset: DFTPreset, options: Mapping[str, Any] | None = None, **runtime: Any):
        super().__init__()
        self.preset = preset
        self.options = dict(options or {})
        self.runtime = dict(runtime)
        self._owner: weakref.ReferenceType[Atoms] | None = None
        self._owner_signature: tuple | None = None
        self._structure: StructureSettings | None = None
        self._inner: Any = None
        self._inner_key: tuple | None = None

    # -- per-structure settings ---------------------------------------------------------------
    def structure_settings(self, atoms: Atoms) -> StructureSettings:
        """Settings for ``atoms`` (frozen while the same object comes back)."""
        signature = (tuple(atoms.numbers), tuple(bool(p) for p in atoms.pbc))
        owner = self._owner() if self._owner is not None else None
        if owner is atoms and self._owner_signature == signature and self._structure is not None:
            return self._structure
        settings = resolve_structure(atoms, self.preset)
        self._owner = weakref.ref(atoms)
        self._owner_signature = signature
        self._structure = settings
        logger.debug("%s settings for %s: %s", self.code, atoms.get_chemical_formula(), settings)
        return settings

    def describe(self, atoms: Atoms) -> dict[str, Any]:
        """Preset and per-structure settings that apply to ``atoms`` (for provenance)."""
        settings = resolve_structure(atoms, self.preset)
        return {"code": self.code, "settings": self.preset.as_dict(), **settings.as_dict()}

    def _prepare(self, atoms: Atoms, settings: StructureSettings) -> Atoms:
        """The structure handed to the code: no constraints, moments set, slab centred."""
        work = atoms.copy()
        work.set_constraint()
        if settings.initial_magmoms is not None:
            work.set_initial_magnetic_moments(list(settings.initial_magmoms))
        return work

    # -- ASE interface --------------------------------------------------------------------------
    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Any = ("energy",),
        system_changes: Any = tuple(all_changes),
    ) -> None:
        """Energy, free energy and forces (and stress when asked) of ``atoms``."""
        owner = atoms if atoms is not None else self.atoms
        super().calculate(atoms, properties, system_changes)
        settings = self.structure_settings(owner)
        work = self._prepare(self.atoms, settings)
        key = self._key(settings, work)
        if self._inner is None or key != self._inner_key:
            self._inner = self._make_inner(settings, work)
            self._inner_key = key
        work.calc = self._inner
        try:
            self.results = self._evaluate(work, properties)
        except Exception as exc:
            if not self._restart_on(exc):
                raise
            # The reused calculator cannot follow this structure (e.g. GPAW keeps the symmetry
            # of the first structure it saw): start a fresh one for it.
            logger.info("%s: fresh calculator for %s (%s)", self.code, work.symbols, exc)
            self._inner = self._make_inner(settings, work)
            self._inner_key = key
            work.calc = self._inner
            self.results = self._evaluate(work, properties)

    @staticmethod
    def _evaluate(work: Atoms, properties: Any) -> dict[str, Any]:
        results: dict[str, Any] = {
            "energy": float(work.get_potential_energy()),
            "forces": np.array(work.get_forces()),
        }
        try:
            results["free_energy"] = float(work.get_potential_energy(force_consistent=True))
        except Exception:  # some codes report no free energy: use the energy (ASE's convention)
            results["free_energy"] = results["energy"]
        if "stress" in properties:
            results["stress"] = np.array(work.get_stress())
        return results

    def _restart_on(self, exc: Exception) -> bool:
        """Whether ``exc`` from a reused inner calculator warrants a fresh one (and a retry)."""
        return False

    def _key(self, settings: StructureSettings, work: Atoms) -> tuple:
        """Inner calculators are reused (wave functions too) while this key stays the same."""
        return (
            settings.kpts,
            settings.gamma,
            settings.dipole_correction,
            settings.surface_axis if settings.dipole_correction else None,
            settings.spin_polarized,
        )

    def _make_inner(self, settings: StructureSettings, atoms: Atoms) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _need_binary(self, command: str, env_hint: str) -> None:
        """Raise a clear error unless ``command`` (and the program behind a launcher) exists."""
        tokens = command.split()
        programs = tokens[:1]
        if tokens and Path(tokens[0]).name in {"mpirun", "mpiexec", "srun"} and len(tokens) > 1:
            programs.append(tokens[-1])
        for program in programs:
            if shutil.which(program) is None:
                raise InputError(
                    f"calculator '{self.code}': the program '{program}' is not on PATH; install "
                    f"{self.code} and pass command=... (or set {env_hint}). Input files can be "
                    "written without it: calc.write_input(atoms, directory)"
                )

    def _run_directory(self) -> str:
        directory = self.runtime.get("directory")
        if directory is None:
            directory = tempfile.mkdtemp(prefix=f"alloyscreen-{self.code}-")
            self.runtime["directory"] = directory
        Path(directory).mkdir(parents=True, exist_ok=True)
        return str(directory)
