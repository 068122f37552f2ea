"""Screening descriptors re-evaluated at fixed geometries, for comparing calculators.

To compare an ML potential with DFT on the *same* descriptor without a DFT relaxation of every
interface and band (too slow on a workstation), both are evaluated at one set of geometries, e.g.
those relaxed with the ML potential:

- :func:`work_of_separation`: ideal work of separation of a tagged interface,
  ``W_sep = (E_substrate + E_film - E_interface) / A`` with the two halves cut out of the
  interface **at its geometry** (no relaxation of the halves). It bounds the relaxed W_ad from
  above by the halves' relaxation energies and ranks interfaces the same way when those are small.
- :func:`hop_barrier`: ``E(saddle) - E(initial)`` of a migration hop from two images.

Pure: ``(atoms, calc) -> frozen result``; energies in eV, areas in Å^2, W in J/m^2.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from alloyscreen.errors import InputError
from alloyscreen.properties.adhesion import EV_PER_A2_IN_J_PER_M2
from alloyscreen.structures.interfaces import FILM_TAG, SUBSTRATE_TAG

logger = logging.getLogger(__name__)

__all__ = ["HopBarrier", "Separation", "hop_barrier", "work_of_separation"]


@dataclass(frozen=True)
class Separation:
    """Ideal work of separation of one interface at a fixed geometry.

    Attributes
    ----------
    w_sep_J_m2 : float
        ``(E_substrate + E_film - E_interface) / A`` (J/m^2).
    area_A2 : float
        Interface area, ``|a x b|`` of the cell (Å^2).
    e_interface_eV, e_substrate_eV, e_film_eV : float
        Energies of the interface and of its two halves in the same cell (eV).
    n_substrate, n_film : int
        Atoms in each half.
    """

    w_sep_J_m2: float
    area_A2: float
    e_interface_eV: float
    e_substrate_eV: float
    e_film_eV: float
    n_substrate: int
    n_film: int


@dataclass(frozen=True)
class HopBarrier:
    """Barrier of one hop from its initial and saddle images (eV)."""

    barrier_eV: float
    e_initial_eV: float
    e_saddle_eV: float


def _energy(atoms: Atoms, calc: Calculator) -> float:
    a = atoms.copy()
    a.calc = calc
    return float(a.get_potential_energy())


def work_of_separation(
    interface: Atoms,
    calc: Calculator,
    *,
    substrate_tag: int = SUBSTRATE_TAG,
    film_tag: int = FILM_TAG,
) -> Separation:
    """Ideal work of separation of a tagged interface, all three energies in its cell.

    Parameters
    ----------
    interface : ase.Atoms
        Interface with the substrate atoms tagged ``substrate_tag`` and the film ``film_tag`` (as
        :func:`alloyscreen.properties.adhesion.work_of_adhesion` returns it); the interface plane
        is spanned by the first two cell vectors.
    calc : Calculator
        Any ASE calculator.

    Raises
    ------
    InputError
        Missing or other tags, or a cell without two in-plane vectors.
    """
    tags = interface.get_tags()
    sub = tags == substrate_tag
    film = tags == film_tag
    if not sub.any() or not film.any():
        raise InputError(
            f"work_of_separation needs atoms tagged {substrate_tag} (substrate) and {film_tag} "
            f"(film); found tags {sorted(set(tags.tolist()))}"
        )
    if not np.all(sub | film):
        raise InputError(
            f"work_of_separation: atoms with tags other than {substrate_tag}/{film_tag} "
            f"({sorted(set(tags.tolist()) - {substrate_tag, film_tag})}) would belong to neither half"
        )
    area = float(np.linalg.norm(np.cross(interface.cell[0], interface.cell[1])))
    if not area > 0:
        raise InputError("work_of_separation: the first two cell vectors span no area")
    e_int = _energy(interface, calc)
    e_sub = _energy(interface[sub], calc)
    e_film = _energy(interface[film], calc)
    w = (e_sub + e_film - e_int) / area * EV_PER_A2_IN_J_PER_M2
    return Separation(
        w_sep_J_m2=float(w),
        area_A2=area,
        e_interface_eV=e_int,
        e_substrate_eV=e_sub,
        e_film_eV=e_film,
        n_substrate=int(sub.sum()),
        n_film=int(film.sum()),
    )


def hop_barrier(initial: Atoms, saddle: Atoms, calc: Calculator) -> HopBarrier:
    """``E(saddle) - E(initial)`` with one calculator (eV).

    Raises
    ------
    InputError
        The two images differ in composition or cell.
    """
    if initial.get_chemical_formula() != saddle.get_chemical_formula():
        raise InputError(
            f"hop_barrier: initial ({initial.get_chemical_formula()}) and saddle "
            f"({saddle.get_chemical_formula()}) images differ in composition"
        )
    if not np.allclose(initial.cell.array, saddle.cell.array, atol=1e-6):
        raise InputError("hop_barrier: initial and saddle images have different cells")
    e0 = _energy(initial, calc)
    es = _energy(saddle, calc)
    return HopBarrier(barrier_eV=es - e0, e_initial_eV=e0, e_saddle_eV=es)
