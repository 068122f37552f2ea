"""DFT presets: the settings of every DFT task in one place, and what enters the identity.

:data:`PRESETS` holds the settings per task (``bulk``, ``slab``, ``interface``, ``neb``, and
``auto``, the default). Every preset shares the physics that must agree for energy differences
between structures to be meaningful — functional, plane-wave cutoff (per code), k-point density,
smearing — and differs only in what is specific to a task (dipole correction, SCF mixing,
force convergence). The full preset, with any user override, is the calculator identity's
``parameters`` (see :func:`identity_parameters`): it goes into provenance and into the content key
of every stored result, so changing a default never reuses old results.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from alloyscreen.errors import InputError

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
