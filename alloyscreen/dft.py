"""DFT codes behind the calculator registry, with the DFT presets of every task in one place.

Importing this module (``alloyscreen.calculators`` does it automatically) registers:

- ``gpaw``: GPAW in plane-wave mode, run here (``make dft`` builds it; see ``docs/dft.md``);
- ``vasp``: VASP through ASE's calculator (needs the user's binary and POTCARs to run);
- ``espresso``: Quantum ESPRESSO ``pw.x`` through ASE's calculator (needs the binary and
  pseudopotentials to run).

and the validation task kinds ``surface_energy`` and ``vacancy_hop``
(:mod:`alloyscreen.properties.validation`), so that worker processes resolve them.

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

import contextlib
import importlib.metadata
import logging
import math
import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from alloyscreen.calculators import register_calculator
from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.tasks import TaskKind, register_task_kind

logger = logging.getLogger(__name__)

#: Bump when a preset value or a per-structure rule changes (it is part of every DFT identity).
PRESETS_VERSION = 1

#: Plane-wave cutoff per code (eV) when a preset does not override it.
#: GPAW: 350 eV, the setting of the bcc Li / B32 LiAl reference values in docs/dft.md (DESIGN §5).
#: VASP: 520 eV, the Materials Project standard for PAW POTCARs (A. Jain et al., Comput. Mater.
#: Sci. 50, 2295 (2011), doi:10.1016/j.commatsci.2011.02.023).
#: Quantum ESPRESSO: 50 Ry (680.3 eV) wavefunction cutoff with 8x for the density, a conservative
#: choice for ultrasoft/PAW pseudopotentials; check it for the pseudopotentials you use.
CODE_CUTOFF_EV: dict[str, float] = {"gpaw": 350.0, "vasp": 520.0, "espresso": 50 * 13.605693122994}

#: Elements that get a starting magnetic moment with ``spin="auto"``.
MAGNETIC_ELEMENTS = frozenset({"Cr", "Mn", "Fe", "Co", "Ni"})
#: Starting moment (μB) for those elements: an initial guess the SCF relaxes, not a datum.
DEFAULT_INITIAL_MAGMOM = 2.0

_CHOICES = {
    "spin": ("auto", "on", "off"),
    "dipole_correction": ("auto", "on", "off"),
    "gamma": ("auto", "on", "off"),
    "smearing": ("fermi-dirac", "gaussian", "marzari-vanderbilt", "methfessel-paxton"),
}


@dataclass(frozen=True)
class DFTPreset:
    """Settings of a DFT calculation, shared by all codes (units in the field names).

    Attributes
    ----------
    name : str
        Preset name (``auto``, ``bulk``, ``slab``, ``interface``, ``neb``).
    xc : str
        Exchange-correlation functional.
    ecut_eV : float or None
        Plane-wave cutoff (eV); ``None`` takes the code's value from :data:`CODE_CUTOFF_EV`.
    kpt_density_A : float
        k-points per Å⁻¹ along each periodic, non-vacuum direction (ASE's ``kpts={'density'}``
        convention): 4.0 gives 8x8x8 for the 2-atom cubic cell of bcc Li.
    gamma : {"auto", "on", "off"}
        Γ-centred grid (``auto``: for hexagonal lattices only).
    smearing, smearing_width_eV : str, float
        Occupation smearing and its width (eV).
    spin : {"auto", "on", "off"}
        Spin polarisation (see the module docstring for ``auto``).
    dipole_correction : {"auto", "on", "off"}
        Dipole-layer correction along the slab normal (``auto``: asymmetric slabs only).
    vacuum_min_A : float
        An atom-free gap at least this wide (Å) along a periodic direction makes it a vacuum
        direction (1 k-point, candidate for the dipole correction).
    scf_energy_eV_per_atom : float
        SCF energy convergence (GPAW applies it per valence electron, which is at least as
        strict; VASP ``EDIFF`` and QE ``conv_thr`` get it times the number of atoms).
    scf_forces_eV_A : float or None
        SCF convergence of the forces (GPAW only; for NEB images).
    mixer_beta : float or None
        Density-mixing parameter (``None``: the code's default).
    maxiter : int
        SCF iteration limit.
    """

    name: str
    xc: str = "PBE"
    ecut_eV: float | None = None
    kpt_density_A: float = 4.0
    gamma: str = "auto"
    smearing: str = "fermi-dirac"
    smearing_width_eV: float = 0.1
    spin: str = "auto"
    dipole_correction: str = "auto"
    vacuum_min_A: float = 5.0
    scf_energy_eV_per_atom: float = 5e-5
    scf_forces_eV_A: float | None = None
    mixer_beta: float | None = None
    maxiter: int = 333

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (field order)."""
        return asdict(self)


#: The presets. They share functional, cutoff, k-point density and smearing so that energies of
#: different structures (bulk, slab, interface, NEB image) can be subtracted.
PRESETS: dict[str, DFTPreset] = {
    # Default: bulk settings for periodic cells, slab settings when vacuum is detected.
    "auto": DFTPreset("auto"),
    "bulk": DFTPreset("bulk", dipole_correction="off"),
    "slab": DFTPreset("slab"),
    # Metal/metal interfaces with vacuum slosh charge: gentler mixing, more iterations.
    "interface": DFTPreset("interface", mixer_beta=0.05, maxiter=500),
    # NEB images: converged forces drive the band.
    "neb": DFTPreset("neb", scf_forces_eV_A=0.01),
}

_PRESET_FIELDS = tuple(f.name for f in fields(DFTPreset) if f.name != "name")


def make_preset(preset: str = "auto", **overrides: Any) -> DFTPreset:
    """The preset ``preset`` with ``overrides`` applied (validated).

    Raises
    ------
    InputError
        Unknown preset, unknown setting or a value outside its choices.
    """
    if preset not in PRESETS:
        raise InputError(f"unknown DFT preset '{preset}'; choose one of {', '.join(PRESETS)}")
    unknown = sorted(set(overrides) - set(_PRESET_FIELDS))
    if unknown:
        raise InputError(
            f"unknown DFT setting(s) {', '.join(unknown)}; known: {', '.join(_PRESET_FIELDS)}"
        )
    for key, choices in _CHOICES.items():
        if key in overrides and overrides[key] not in choices:
            raise InputError(f"DFT setting {key}={overrides[key]!r}: choose one of {choices}")
    for key in ("kpt_density_A", "smearing_width_eV", "vacuum_min_A", "scf_energy_eV_per_atom"):
        if key in overrides and not float(overrides[key]) > 0:
            raise InputError(f"DFT setting {key} must be > 0 (got {overrides[key]!r})")
    if overrides.get("ecut_eV") is not None and not float(overrides["ecut_eV"]) > 0:
        raise InputError(f"DFT setting ecut_eV must be > 0 (got {overrides['ecut_eV']!r})")
    return replace(PRESETS[preset], **overrides)


# --------------------------------------------------------------------------------------------
# Per-structure rules (pure functions of the structure and the preset)
# --------------------------------------------------------------------------------------------


def vacuum_gaps(atoms: Atoms) -> tuple[float, float, float]:
    """Largest atom-free gap (Å) along each cell direction, across the periodic boundary.

    Measured perpendicular to the plane of the other two cell vectors. A non-periodic direction
    gets ``inf``.
    """
    cell = atoms.cell
    if cell.rank < 3:
        raise InputError("the structure needs three cell vectors for a DFT calculation")
    recip = np.asarray(cell.reciprocal())  # rows b_i with a_i . b_j = delta_ij (no 2π)
    frac = atoms.get_scaled_positions(wrap=True)
    gaps = []
    for i in range(3):
        if not atoms.pbc[i]:
            gaps.append(math.inf)
            continue
        spacing = 1.0 / float(np.linalg.norm(recip[i]))
        s = np.sort(frac[:, i] % 1.0)
        if len(s) == 0:
            gaps.append(spacing)
            continue
        steps = np.diff(np.concatenate([s, [s[0] + 1.0]]))
        gaps.append(float(steps.max()) * spacing)
    return gaps[0], gaps[1], gaps[2]


def vacuum_axes(atoms: Atoms, vacuum_min_A: float) -> tuple[bool, bool, bool]:
    """Directions that are non-periodic or hold a gap of at least ``vacuum_min_A`` (Å)."""
    return tuple(bool(g >= vacuum_min_A) for g in vacuum_gaps(atoms))  # type: ignore[return-value]


def _is_hexagonal(atoms: Atoms, tol_deg: float = 1.0, tol_len: float = 1e-3) -> bool:
    a, b, c, alpha, beta, gamma = atoms.cell.cellpar()
    pairs = ((a, b, gamma), (b, c, alpha), (a, c, beta))
    return any(
        abs(x - y) <= tol_len * max(x, y) and min(abs(ang - 120), abs(ang - 60)) <= tol_deg
        for x, y, ang in pairs
    )


def kpoint_grid(
    atoms: Atoms, density_A: float, vacuum: tuple[bool, bool, bool] | None = None
) -> tuple[int, int, int]:
    """Monkhorst–Pack sizes: ``ceil(2π · density · |b_i|)``, 1 along vacuum directions.

    Parameters
    ----------
    atoms : ase.Atoms
    density_A : float
        k-points per Å⁻¹.
    vacuum : tuple of bool, optional
        Directions that get a single k-point (default: none beyond the non-periodic ones).
    """
    recip = np.asarray(atoms.cell.reciprocal())
    sizes = []
    for i in range(3):
        if not atoms.pbc[i] or (vacuum is not None and vacuum[i]):
            sizes.append(1)
            continue
        # The small offset keeps an exact integer from rounding up through float noise.
        n = math.ceil(2 * math.pi * density_A * float(np.linalg.norm(recip[i])) - 1e-9)
        sizes.append(max(1, n))
    return sizes[0], sizes[1], sizes[2]


def is_symmetric_slab(atoms: Atoms, axis: int, symprec: float = 1e-2) -> bool:
    """True when a space-group operation of the slab flips its normal (both faces equivalent).

    The slab is treated as a 3D crystal with its vacuum; an operation that maps the slab onto
    itself with the normal reversed (mirror, inversion, 2-fold axis in the plane, glide...)
    makes the two surfaces equivalent and the dipole across the slab zero by symmetry.
    """
    import spglib

    cell = (np.asarray(atoms.cell), atoms.get_scaled_positions(wrap=True), atoms.numbers)
    sym = spglib.get_symmetry(cell, symprec=symprec)
    if sym is None:  # spglib failed: treat as asymmetric, the correction is then harmless
        return False
    return any(round(float(rot[axis, axis])) == -1 for rot in sym["rotations"])


@dataclass(frozen=True)
class StructureSettings:
    """What a preset becomes for one structure (decided at calculation time).

    Attributes
    ----------
    preset : str
        Effective preset (``auto`` resolves to ``bulk`` or ``slab``).
    kpts : tuple of int
        k-point grid sizes.
    gamma : bool
        Γ-centred grid.
    vacuum_axes : tuple of bool
        Directions with vacuum (or non-periodic).
    surface_axis : int or None
        The single vacuum direction of a slab, else ``None``.
    symmetric_slab : bool or None
        Whether the slab's faces are equivalent (``None`` for bulk).
    dipole_correction : bool
        Dipole-layer correction along ``surface_axis``.
    spin_polarized : bool
    initial_magmoms : tuple of float or None
        Starting moments (μB) when spin-polarised.
    """

    preset: str
    kpts: tuple[int, int, int]
    gamma: bool
    vacuum_axes: tuple[bool, bool, bool]
    surface_axis: int | None
    symmetric_slab: bool | None
    dipole_correction: bool
    spin_polarized: bool
    initial_magmoms: tuple[float, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for logs and results."""
        return asdict(self)


def resolve_structure(atoms: Atoms, preset: DFTPreset) -> StructureSettings:
    """Apply the per-structure rules of ``preset`` to ``atoms`` (see the module docstring)."""
    vac = vacuum_axes(atoms, preset.vacuum_min_A)
    n_vac = sum(vac)
    if n_vac == 3:
        raise InputError(
            "DFT presets: the structure has vacuum (or no periodicity) in all three directions; "
            "molecules and clusters are not supported by the plane-wave presets"
        )
    surface_axis = vac.index(True) if n_vac == 1 else None
    effective = preset.name
    if effective == "auto":
        effective = "slab" if n_vac else "bulk"
    symmetric = None
    dipole = False
    if surface_axis is not None:
        symmetric = is_symmetric_slab(atoms, surface_axis)
        dipole = preset.dipole_correction == "on" or (
            preset.dipole_correction == "auto" and not symmetric
        )
    elif preset.dipole_correction == "on":
        raise InputError(
            "dipole_correction='on' needs a slab: exactly one direction with vacuum "
            f"(found {n_vac}; vacuum_min_A={preset.vacuum_min_A})"
        )
    gamma = preset.gamma == "on" or (preset.gamma == "auto" and _is_hexagonal(atoms))
    magmoms = np.asarray(atoms.get_initial_magnetic_moments(), dtype=float)
    if magmoms.ndim != 1:
        raise InputError("DFT presets support collinear magnetic moments only")
    symbols = atoms.get_chemical_symbols()
    has_moments = bool(np.any(np.abs(magmoms) > 1e-8))
    has_magnetic = any(s in MAGNETIC_ELEMENTS for s in symbols)
    spin = preset.spin == "on" or (preset.spin == "auto" and (has_moments or has_magnetic))
    initial: tuple[float, ...] | None = None
    if spin:
        if has_moments:
            initial = tuple(float(m) for m in magmoms)
        else:
            initial = tuple(
                DEFAULT_INITIAL_MAGMOM if s in MAGNETIC_ELEMENTS else 0.0 for s in symbols
            )
    return StructureSettings(
        preset=effective,
        kpts=kpoint_grid(atoms, preset.kpt_density_A, vac),
        gamma=gamma,
        vacuum_axes=vac,
        surface_axis=surface_axis,
        symmetric_slab=symmetric,
        dipole_correction=dipole,
        spin_polarized=spin,
        initial_magmoms=initial,
    )


def vacuum_center(atoms: Atoms, axis: int) -> float:
    """Fractional coordinate (along ``axis``) of the middle of the largest atom-free gap."""
    s = np.sort(atoms.get_scaled_positions(wrap=True)[:, axis] % 1.0)
    ext = np.concatenate([s, [s[0] + 1.0]])
    i = int(np.argmax(np.diff(ext)))
    return float(((ext[i] + ext[i + 1]) / 2) % 1.0)


def center_slab(atoms: Atoms, axis: int) -> Atoms:
    """Copy of ``atoms`` translated along ``axis`` so that the vacuum straddles the cell boundary.

    A rigid translation: energies and forces are unchanged; a non-periodic boundary or a dipole
    layer placed there then lies in the vacuum.
    """
    out = atoms.copy()
    shift = np.zeros(3)
    shift[axis] = -vacuum_center(atoms, axis)
    frac = out.get_scaled_positions(wrap=True) + shift
    out.set_scaled_positions(frac % 1.0)
    return out


# --------------------------------------------------------------------------------------------
# Calculators
# --------------------------------------------------------------------------------------------

_CODE_OPTIONS: dict[str, tuple[str, ...]] = {
    # code -> its own physics keyword arguments (recorded in the identity)
    "gpaw": ("gpaw_parameters",),
    "vasp": ("setups", "incar"),
    "espresso": ("pseudopotentials", "pseudo_pattern", "input_data"),
}
#: Location/runtime keyword arguments: never part of the identity.
_CODE_RUNTIME: dict[str, tuple[str, ...]] = {
    "gpaw": ("txt",),
    "vasp": ("command", "directory", "txt"),
    "espresso": ("command", "directory", "pseudo_dir"),
}


def split_kwargs(code: str, kwargs: Mapping[str, Any]) -> tuple[DFTPreset, dict, dict]:
    """Split factory keyword arguments into (preset, code options, runtime options).

    Raises
    ------
    InputError
        A keyword belongs to none of them.
    """
    kwargs = dict(kwargs)
    preset_name = kwargs.pop("preset", "auto")
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in _PRESET_FIELDS}
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in _CODE_OPTIONS[code]}
    runtime = {k: kwargs.pop(k) for k in list(kwargs) if k in _CODE_RUNTIME[code]}
    if kwargs:
        known = ("preset", *_PRESET_FIELDS, *_CODE_OPTIONS[code], *_CODE_RUNTIME[code])
        raise InputError(
            f"calculator '{code}': unknown option(s) {', '.join(sorted(kwargs))}; "
            f"known: {', '.join(known)}"
        )
    preset = make_preset(preset_name, **overrides)
    if preset.ecut_eV is None:
        preset = replace(preset, ecut_eV=CODE_CUTOFF_EV[code])
    return preset, options, runtime


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def identity_parameters(code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Physics parameters recorded in the identity of DFT calculator ``code``.

    The complete preset (with overrides and the code's cutoff), the code's own physics options,
    the PAW-dataset version for GPAW and :data:`PRESETS_VERSION`: whatever changes a DFT number.
    """
    preset, options, _runtime = split_kwargs(code, params)
    out: dict[str, Any] = {**preset.as_dict(), "presets_version": PRESETS_VERSION}
    out["preset"] = out.pop("name")
    out.update(options)
    if code == "gpaw":
        out["setups"] = f"paw (gpaw-data {_dist_version('gpaw-data')})"
    if code == "vasp":
        out.setdefault("setups", "recommended")
    if code == "espresso":
        out.setdefault("pseudo_pattern", "{symbol}.UPF")
    return out


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


# --------------------------------------------------------------------------------------------
# Factories and registration
# --------------------------------------------------------------------------------------------


def _require_gpaw() -> None:
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
    _require_gpaw()
    preset, options, runtime = split_kwargs("gpaw", kwargs)
    return GPAWCalculator(preset, options, **runtime)


def make_vasp(**kwargs: Any) -> VaspCalculator:
    """``get_calculator("vasp", ...)``: VASP with a DFT preset (``command``, ``directory``,
    ``setups``, ``incar`` for extra INCAR tags)."""
    preset, options, runtime = split_kwargs("vasp", kwargs)
    return VaspCalculator(preset, options, **runtime)


def make_espresso(**kwargs: Any) -> EspressoCalculator:
    """``get_calculator("espresso", ...)``: pw.x with a DFT preset (``command``, ``directory``,
    ``pseudo_dir``, ``pseudopotentials`` or ``pseudo_pattern``, ``input_data``)."""
    preset, options, runtime = split_kwargs("espresso", kwargs)
    return EspressoCalculator(preset, options, **runtime)


def _register() -> None:
    register_calculator(
        "gpaw",
        make_gpaw,
        package="gpaw",
        extra="dft",
        description="GPAW plane-wave DFT (PBE, presets; build with `make dft`)",
        identity_parameters=lambda params: identity_parameters("gpaw", params),
    )
    register_calculator(
        "vasp",
        make_vasp,
        package="ase",
        description="VASP via ASE (needs the user's VASP binary and POTCARs)",
        identity_parameters=lambda params: identity_parameters("vasp", params),
    )
    register_calculator(
        "espresso",
        make_espresso,
        package="ase",
        description="Quantum ESPRESSO pw.x via ASE (needs pw.x and pseudopotentials)",
        identity_parameters=lambda params: identity_parameters("espresso", params),
    )
    register_task_kind(
        "surface_energy",
        TaskKind(
            "alloyscreen.properties.validation:surface_energy",
            1,
            "surface energy of a relaxed slab cut from a bulk structure",
        ),
    )
    register_task_kind(
        "vacancy_hop",
        TaskKind(
            "alloyscreen.properties.validation:vacancy_hop",
            1,
            "nearest-neighbour vacancy hop barrier (NEB) in a bulk supercell",
        ),
    )


_register()

__all__ = [
    "CODE_CUTOFF_EV",
    "PRESETS",
    "PRESETS_VERSION",
    "DFTPreset",
    "EspressoCalculator",
    "GPAWCalculator",
    "PresetDFTCalculator",
    "StructureSettings",
    "VaspCalculator",
    "identity_parameters",
    "kpoint_grid",
    "make_preset",
    "resolve_structure",
    "vacuum_axes",
]
