"""Per-structure DFT rules: vacuum detection, k-point grids, dipole correction and spin.

Pure functions of the structure and the preset.

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

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from ase import Atoms

from alloyscreen.dft.presets import DEFAULT_INITIAL_MAGMOM, MAGNETIC_ELEMENTS, DFTPreset
from alloyscreen.errors import InputError


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
