"""Work of adhesion between Li metal and a substrate, with the Young–Dupré wetting descriptor.

Pure science: ``work_of_adhesion(atoms, calc, *, options) -> AdhesionResult``; no store, no CLI.

Method (all energies from the one calculator passed in)
-------------------------------------------------------
1. **Surfaces.** All symmetry-distinct terminations of the requested planes of the substrate
   (:func:`alloyscreen.structures.slabs.substrate_slabs`; symmetric slabs where they exist). Each
   is ranked by its unrelaxed surface energy ``gamma = (E_slab - sum_i N_i mu_i) / 2A`` of the
   symmetric 1x1 slab. Non-stoichiometric slabs of Li–M binaries use the **Li-rich limit**
   ``mu_Li = E(bcc Li)/atom``, ``mu_M = (E(Li_x M_y) - x mu_Li)/y`` — the relevant limit for a
   surface in contact with Li metal; for stoichiometric slabs the choice of mu does not matter.
   Asymmetric stoichiometric slabs get the cleavage energy (mean of both faces).
2. **Interfaces.** For the lowest-energy terminations (``max_terminations``; 0 = all) a Li film
   (bcc (110) or (100), whichever gives the smaller cell within ``max_strain_pct``, ``max_area_A2``
   and ``max_atoms``) is strained onto the substrate supercell
   (:mod:`alloyscreen.structures.interfaces`). The strain goes into Li and is recorded.
3. **Registry scan + gap search.** Single-point energies on a grid of lateral shifts over the
   substrate's primitive surface cell, each at several gaps (``gap_factors`` times a Li–X contact
   distance, the mean of the nearest-neighbour distances in bcc Li and around X in the substrate);
   symmetry-equivalent registries (equal cross-interface distance lists) are computed once.
4. **Relaxation.** The ``n_relax`` best distinct registries are relaxed (positions; the bottom
   ``fixed_layers`` substrate planes fixed; in-plane cell fixed by the substrate). The two
   references are relaxed the same way **in the same cell**: the substrate slab alone (same fixed
   planes) and the strained Li film alone (nothing fixed, as in the interface).
5. ``W_ad = (E_substrate_slab + E_Li_slab - E_interface) / A``; per termination the best
   (largest) W_ad over its relaxed registries. **Which termination is reported** (``selection``):
   by default the interface that forms against Li metal, i.e. the lowest interface energy
   ``gamma_int = gamma_sub + gamma_Li - W_ad`` with ``gamma_sub`` in the Li-rich limit (step 1),
   among the terminations where it is defined; a Li-poor face can bind Li strongly (large W_ad)
   and still not be what the alloy exposes to Li, because its own surface energy is high. Only
   when no computed termination has a defined ``gamma_int`` (asymmetric slabs, ternaries) the
   largest W_ad is reported, and ``selection_basis`` says so. Every termination's W_ad and
   ``gamma_int`` are kept in ``terminations``, every scan point and relaxation in ``records``. The faces not in contact (substrate bottom, Li top) appear in both the interface
   and the references and cancel, so ``W_ad = gamma_sub + gamma_Li - gamma_interface``.
6. Li surface energy of the strained film, ``gamma_Li = (E_Li_slab - N e_Li) / 2A`` with ``e_Li``
   the energy per atom of bcc Li carrying the same in-plane strain (out-of-plane length
   optimised). Interface energy ``gamma_int = gamma_sub + gamma_Li - W_ad`` when the relaxed
   substrate surface energy is defined (symmetric slab, chemical potentials known).
7. **Predicted wetting (a descriptor, not a measurement).** Young–Dupré,
   ``cos theta = W_ad / gamma_Li(liquid, T) - 1`` with the Davison (1968) liquid-Li surface
   tension at the melting point (:mod:`alloyscreen.experiments.wetting`), clipped to [-1, 1] and
   flagged when clipped. The solid-state W_ad at 0 K stands in for the liquid/solid adhesion.

Works with any ASE calculator (energies and forces; stress only when the Li lattice is relaxed
here, ``li_lattice_A = 0``). For DFT keep the k-point *density* fixed (e.g. GPAW
``kpts={"density": ...}``): the interface and both references share one cell, so W_ad is
consistent, but the bulk references (termination ranking, gamma_Li) use other cells.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.build import bulk as ase_bulk
from ase.calculators.calculator import Calculator
from ase.neighborlist import neighbor_list

from alloyscreen.errors import CalculationError, InputError
from alloyscreen.experiments.wetting import LI_MELTING_POINT_K, contact_angle_from_work_of_adhesion
from alloyscreen.properties.batched import OPTIMIZERS, energies
from alloyscreen.properties.batched import relax as relax_structures
from alloyscreen.properties.counting import count_calls
from alloyscreen.structures.interfaces import (
    DEFAULT_LI_MILLERS,
    FILM_TAG,
    SUBSTRATE_TAG,
    InterfaceTemplate,
    LatticeMatch,
    li_film_slab,
    make_template,
    match_lattices,
    strained_li_bulk,
)
from alloyscreen.structures.interfaces import registry_grid as make_registry_grid
from alloyscreen.structures.slabs import (
    SubstrateSlab,
    formal_charges,
    is_polar,
    layer_indices,
    low_index_planes,
    substrate_slabs,
)

logger = logging.getLogger(__name__)

#: 1 eV/Å^2 in J/m^2 (CODATA 2018 elementary charge, exact in SI).
EV_PER_A2_IN_J_PER_M2 = 1.602176634e-19 / 1e-20


@dataclass(frozen=True)
class SurfaceRecord:
    """One substrate termination considered.

    ``gamma_unrelaxed_J_m2`` is the unrelaxed surface energy of the symmetric 1x1 slab (Li-rich
    limit for non-stoichiometric slabs; cleavage energy for asymmetric ones; ``None`` when the
    chemical potentials are undefined). ``status``: ``computed``, ``skipped`` (beyond
    ``max_terminations``), ``no_match`` (no lattice match within the limits), ``excluded``
    (charged/polar termination of an ionic crystal, unless ``allow_polar``) or ``screened``
    (scanned rigidly but not among the ``relax_best`` best, so not relaxed; rigid values in
    ``note``). ``rigid_w_sep_J_m2`` and ``rigid_interface_energy_J_m2`` are the values the rigid
    screen ranked by (``None`` without a screen, or where undefined); with the relaxed values of
    the computed terminations they give the relaxation shift that the screen's margin must cover.
    """

    miller: tuple[int, int, int]
    termination: str
    top_species: tuple[str, ...]
    symmetric: bool
    stoichiometric: bool
    n_atoms: int
    gamma_unrelaxed_J_m2: float | None
    status: str
    note: str = ""
    rigid_w_sep_J_m2: float | None = None
    rigid_interface_energy_J_m2: float | None = None


@dataclass(frozen=True)
class AdhesionRecord:
    """One interface evaluation: a registry scan point (single point) or a relaxation.

    ``w_adh_J_m2`` of a scan point uses unrelaxed references (same cell); of a relaxation, the
    relaxed references — only the latter are works of adhesion in the proper sense.
    """

    miller: tuple[int, int, int]
    termination: str
    li_miller: tuple[int, int, int]
    stage: str
    registry_frac: tuple[float, float]
    gap_A: float
    n_atoms: int
    energy_eV: float
    w_adh_J_m2: float
    converged: bool | None = None
    n_steps: int | None = None


@dataclass(frozen=True)
class TerminationSummary:
    """Outcome of one computed termination: its best relaxed W_ad and interface energy (J/m^2).

    ``interface_energy_J_m2`` is ``gamma_sub + gamma_Li - W_ad`` (None when the relaxed
    substrate surface energy is undefined: asymmetric slab or unknown chemical potentials).
    """

    miller: tuple[int, int, int]
    termination: str
    top_species: tuple[str, ...]
    li_miller: tuple[int, int, int]
    w_adh_J_m2: float
    substrate_surface_energy_J_m2: float | None
    li_surface_energy_J_m2: float
    interface_energy_J_m2: float | None
    converged: bool


@dataclass(frozen=True)
class TerminationGeometry:
    """The relaxed structures behind one termination's W_ad and interface energy.

    Kept (``work_of_adhesion(keep_geometries=True)``) so that another calculator can re-evaluate
    the termination energetics at the same geometries
    (:func:`alloyscreen.properties.interface_energy.termination_energetics_at`), e.g. DFT single
    points at ML-relaxed structures. All share the interface's in-plane cell (area ``area_A2``).

    Attributes
    ----------
    interface : ase.Atoms
        Relaxed best interface of the termination (substrate tag 1, Li tag 2).
    substrate, substrate_unrelaxed : ase.Atoms
        Substrate slab alone, relaxed like the interface and as cut (its bottom face, unrelaxed,
        is subtracted from the relaxed top face's surface energy).
    film : ase.Atoms
        Relaxed strained Li film alone.
    li_bulk_strained : ase.Atoms
        One-atom bcc Li cell with the film's in-plane strain at the optimised out-of-plane length
        (the reference of the film's surface energy).
    """

    miller: tuple[int, int, int]
    termination: str
    top_species: tuple[str, ...]
    li_miller: tuple[int, int, int]
    symmetric: bool
    stoichiometric: bool
    area_A2: float
    interface: Atoms = field(repr=False)
    substrate: Atoms = field(repr=False)
    substrate_unrelaxed: Atoms = field(repr=False)
    film: Atoms = field(repr=False)
    li_bulk_strained: Atoms = field(repr=False)


#: Ways to choose the reported termination (see :func:`select_termination`).
SELECTIONS: tuple[str, ...] = ("interface_energy", "max_w_adh")


def select_termination(
    summaries: Sequence[TerminationSummary], selection: str = "interface_energy"
) -> tuple[int, str]:
    """Index of the reported termination and the basis of the choice.

    ``interface_energy``: the lowest ``interface_energy_J_m2`` among the terminations where it is
    defined (the interface that forms against Li metal); when none is defined, the largest W_ad.
    ``max_w_adh``: the largest W_ad (the strongest-binding face, whether or not it forms).
    """
    if selection not in SELECTIONS:
        raise InputError(f"unknown selection {selection!r}; choose one of {', '.join(SELECTIONS)}")
    if not summaries:
        raise InputError("select_termination needs at least one computed termination")
    by_w = max(range(len(summaries)), key=lambda i: summaries[i].w_adh_J_m2)
    if selection == "max_w_adh":
        return by_w, "largest W_ad over the computed terminations"
    defined = [i for i, t in enumerate(summaries) if t.interface_energy_J_m2 is not None]
    if not defined:
        return by_w, (
            "largest W_ad: no computed termination has a defined interface energy "
            "(asymmetric slabs or unknown chemical potentials)"
        )
    best = min(defined, key=lambda i: summaries[i].interface_energy_J_m2)
    left_out = len(summaries) - len(defined)
    note = (
        f"; {left_out} termination(s) without a defined interface energy left out"
        if left_out
        else ""
    )
    return best, f"lowest interface energy against Li metal (Li-rich limit){note}"


@dataclass(frozen=True)
class AdhesionResult:
    """Work of adhesion of Li on a substrate and the derived wetting descriptor.

    Attributes
    ----------
    formula, substrate_formula : str
        Reduced formula of the substrate (the two fields are the same).
    w_adh_J_m2 : float
        Relaxed work of adhesion of the reported termination (best registry), J/m^2; the
        termination is the one that forms against Li metal (``selection_basis``).
    interface_energy_J_m2 : float or None
        ``gamma_sub + gamma_Li - W_ad`` of the best interface (J/m^2); ``None`` when the relaxed
        substrate surface energy is undefined (asymmetric slab or unknown chemical potentials).
    li_surface_energy_J_m2 : float
        Surface energy of the (strained) Li film used (J/m^2).
    substrate_surface_energy_J_m2 : float or None
        Relaxed surface energy of the substrate termination in contact (J/m^2).
    li_strain_pct : float
        Largest absolute principal strain applied to Li (%); ``li_strain_principal_pct`` both.
    area_A2 : float
        Interface area (Å^2).
    n_atoms : int
        Atoms in the best interface.
    termination, miller : str, tuple of int
        Substrate termination label and plane of the best interface; ``li_miller`` the Li plane.
    registry_frac : tuple of float
        Lateral shift of the best interface (fractions of the primitive substrate surface cell)
        before relaxation; ``gap_A`` its starting gap (Å); ``interlayer_distance_A`` the relaxed
        distance between the top substrate plane and the bottom Li plane (Å).
    predicted_contact_angle_deg : float
        Young–Dupré contact angle of molten Li from ``w_adh_J_m2`` and the Davison liquid-Li
        surface tension at ``temperature_K`` — a descriptor, not a measurement.
    contact_angle_clipped : bool
        ``cos theta`` fell outside [-1, 1] and was clipped (``W_ad > 2 gamma_Li``: complete
        wetting predicted); ``wetting_regime`` names the case.
    gamma_li_liquid_J_m2 : float
        Liquid-Li surface tension used (J/m^2).
    contact_angle_self_consistent_deg : float
        Same descriptor with the calculator's own Li surface energy (``li_surface_energy_J_m2``)
        in place of the measured liquid value: ``cos theta = W_ad / gamma_Li(calc) - 1``, clipped.
        Systematic errors of the calculator in surface energies cancel (Li on Li gives 0 degrees
        exactly); compare both.
    converged : bool
        All relaxations behind the reported W_ad (interface and both references) converged.
    n_force_calls : int
        Energy/force evaluations used in total.
    n_interfaces_relaxed : int
        Relaxed interfaces over all terminations.
    selection_basis : str
        Why this termination is reported (see :func:`select_termination`).
    max_w_adh_J_m2 : float
        Largest W_ad over all computed terminations (equal to ``w_adh_J_m2`` when one was
        computed or the strongest-binding face is also the one that forms).
    terminations : tuple of TerminationSummary
        Every computed termination with its W_ad and interface energy.
    records : tuple of AdhesionRecord
        Every scan point and relaxation.
    surfaces : tuple of SurfaceRecord
        Every termination considered, with its unrelaxed surface energy and status.
    atoms : ase.Atoms
        Relaxed best interface (substrate tag 1, Li tag 2).
    geometries : tuple of TerminationGeometry
        With ``keep_geometries=True``: the relaxed structures of every computed termination, in
        the order of ``terminations``; empty otherwise (they are large).
    """

    formula: str
    substrate_formula: str
    w_adh_J_m2: float
    interface_energy_J_m2: float | None
    li_surface_energy_J_m2: float
    substrate_surface_energy_J_m2: float | None
    li_strain_pct: float
    li_strain_principal_pct: tuple[float, float]
    area_A2: float
    n_atoms: int
    termination: str
    miller: tuple[int, int, int]
    li_miller: tuple[int, int, int]
    registry_frac: tuple[float, float]
    gap_A: float
    interlayer_distance_A: float
    predicted_contact_angle_deg: float
    contact_angle_clipped: bool
    wetting_regime: str
    gamma_li_liquid_J_m2: float
    contact_angle_self_consistent_deg: float
    temperature_K: float
    converged: bool
    n_force_calls: int
    n_interfaces_relaxed: int
    li_lattice_A: float
    selection_basis: str
    max_w_adh_J_m2: float
    terminations: tuple[TerminationSummary, ...]
    records: tuple[AdhesionRecord, ...] = field(repr=False)
    surfaces: tuple[SurfaceRecord, ...] = field(repr=False)
    atoms: Atoms = field(repr=False)
    geometries: tuple[TerminationGeometry, ...] = field(default=(), repr=False)


@dataclass
class _TerminationScan:
    template: InterfaceTemplate
    area: float
    best_per_registry: dict[tuple[float, float], tuple[float, float]]
    sub0: Atoms
    film0: Atoms
    e_sub0: float
    e_film0: float
    e_li_strained: float
    li_strained: Atoms
    records: list[AdhesionRecord]


@dataclass
class _TerminationOutcome:
    w_adh: float
    gamma_li: float
    gamma_sub: float | None
    registry: tuple[float, float]
    gap: float
    interlayer: float
    converged: bool
    match: LatticeMatch
    n_relaxed: int
    records: list[AdhesionRecord]
    geometry: TerminationGeometry


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _energy(atoms: Atoms, calc: Calculator) -> float:
    work = atoms.copy()
    work.calc = calc
    return float(work.get_potential_energy())


def _detached(atoms: Atoms) -> Atoms:
    out = atoms.copy()
    out.calc = None
    return out


def _nearest_neighbour(atoms: Atoms) -> dict[str, float]:
    """Shortest distance from each species to any neighbour in a periodic crystal (Å)."""
    i, d = neighbor_list("id", atoms, 6.0)
    symbols = np.array(atoms.get_chemical_symbols())
    out: dict[str, float] = {}
    for sym in set(symbols.tolist()):
        mask = symbols[i] == sym
        if mask.any():
            out[sym] = float(d[mask].min())
    return out


def li_rich_chemical_potentials(bulk: Atoms, e_bulk: float, e_li: float) -> dict[str, float] | None:
    """Li-rich-limit chemical potentials (eV/atom) or ``None`` when undefined (ternaries).

    ``e_bulk`` is the energy of ``bulk`` (eV), ``e_li`` that of bcc Li per atom (eV/atom):
    ``mu_Li = e_li`` and ``mu_M = (E(Li_x M_y) - x mu_Li) / y`` for a Li–M binary, the element's
    energy per atom for an element.
    """
    counts = Counter(bulk.get_chemical_symbols())
    n = sum(counts.values())
    if len(counts) == 1:
        (el,) = counts
        return {el: e_bulk / n}
    if len(counts) == 2 and "Li" in counts:
        (other,) = [el for el in counts if el != "Li"]
        return {"Li": e_li, other: (e_bulk - counts["Li"] * e_li) / counts[other]}
    return None


def excess_energy(
    atoms: Atoms, energy: float, mu: dict[str, float] | None, stoich: bool, e_per_atom: float
) -> float | None:
    """Surface excess energy (eV) of a slab: ``E - N e_bulk`` (stoichiometric) or ``E - sum N_i mu_i``.

    ``None`` when the slab is not stoichiometric and ``mu`` is undefined.
    """
    if stoich:
        return energy - len(atoms) * e_per_atom
    if mu is None:
        return None
    counts = Counter(atoms.get_chemical_symbols())
    return energy - sum(n * mu[el] for el, n in counts.items())


def substrate_surface_energy(
    relaxed: Atoms,
    e_relaxed: float,
    unrelaxed: Atoms,
    e_unrelaxed: float,
    area_A2: float,
    *,
    mu: dict[str, float] | None,
    stoichiometric: bool,
    e_per_atom: float,
) -> float | None:
    """Relaxed surface energy (J/m^2) of the top face of a symmetric slab relaxed on one side.

    The slab's excess energy relaxed minus half that of the same slab as cut: the bottom face
    (fixed planes) is the unrelaxed face of the same kind. ``None`` when the chemical potentials
    are undefined.
    """
    om_rel = excess_energy(relaxed, e_relaxed, mu, stoichiometric, e_per_atom)
    om_unrel = excess_energy(unrelaxed, e_unrelaxed, mu, stoichiometric, e_per_atom)
    if om_rel is None or om_unrel is None:
        return None
    return (om_rel / area_A2 - om_unrel / (2 * area_A2)) * EV_PER_A2_IN_J_PER_M2


def _cross_descriptor(atoms: Atoms, cutoff: float = 5.0) -> np.ndarray:
    """Sorted (Z_sub, Z_film, distance) of substrate–film pairs: equal arrays = equivalent."""
    work = atoms.copy()
    work.pbc = (True, True, False)
    i, j, d = neighbor_list("ijd", work, cutoff)
    tags = work.get_tags()
    sel = (tags[i] == SUBSTRATE_TAG) & (tags[j] == FILM_TAG)
    rows = np.stack([work.numbers[i[sel]], work.numbers[j[sel]], np.round(d[sel], 2)], axis=1)
    if len(rows) == 0:
        return np.zeros((0, 3))
    order = np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))
    return rows[order]


def _same_descriptor(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, atol=0.02))


def _interlayer_distance(atoms: Atoms) -> float:
    tags = atoms.get_tags()
    sub = atoms[tags == SUBSTRATE_TAG]
    film = atoms[tags == FILM_TAG]
    _, planes_s = layer_indices(sub, 0.3)
    _, planes_f = layer_indices(film, 0.3)
    return float(planes_f[0] - planes_s[-1])


def _bcc_li_lattice(calc: Calculator, a0: float = 3.44) -> float:
    """Equilibrium bcc Li lattice parameter (Å) by two quadratic fits of E(a) (no stress needed)."""
    a = a0
    for width in (0.04, 0.01):
        grid = a * np.linspace(1 - width, 1 + width, 5)
        energies = [_energy(ase_bulk("Li", "bcc", a=float(x)), calc) for x in grid]
        coef = np.polyfit(grid, energies, 2)
        if coef[0] <= 0:
            raise CalculationError("E(a) of bcc Li has no minimum near 3.44 Å with this calculator")
        a = float(np.clip(-coef[1] / (2 * coef[0]), grid[0], grid[-1]))
    return a


def _strained_li_bulk(
    film_slab: SubstrateSlab, match: LatticeMatch, calc: Calculator
) -> tuple[float, Atoms]:
    """Strained bcc Li at its lowest energy: (energy per atom in eV, the one-atom cell).

    The reduced film cell holds one atom (bcc is a Bravais lattice), so no internal relaxation is
    needed; c_z is optimised by a quadratic fit (any calculator, no stress needed).
    """
    cell0 = strained_li_bulk(film_slab, match)

    def scaled(s: float) -> Atoms:
        at = cell0.copy()
        cell = at.cell.array.copy()
        frac = at.get_scaled_positions()
        cell[2, 2] *= s
        at.set_cell(cell)
        at.set_scaled_positions(frac)
        return at

    scales = [0.96, 0.98, 1.0, 1.02, 1.04]
    energies = [_energy(scaled(s), calc) / len(cell0) for s in scales]
    coef = np.polyfit(scales, energies, 2)
    if coef[0] > 0:
        s_opt = float(np.clip(-coef[1] / (2 * coef[0]), 0.9, 1.1))
        scales.append(s_opt)
        energies.append(_energy(scaled(s_opt), calc) / len(cell0))
    i = int(np.argmin(energies))
    return float(energies[i]), scaled(scales[i])


def _select_match(
    slab: SubstrateSlab,
    films: dict[tuple[int, int, int], SubstrateSlab],
    *,
    max_area_A2: float,
    max_strain_pct: float,
    max_atoms: int,
) -> tuple[LatticeMatch, SubstrateSlab, int] | None:
    """Smallest interface (atom count, then strain) over the Li orientations."""
    best = None
    for film in films.values():
        matches = match_lattices(
            slab.cell,
            film.cell,
            max_area_A2=max_area_A2,
            max_strain_pct=max_strain_pct,
            smallest_only=True,
        )
        for m in matches:
            n = len(slab.atoms) * m.n_substrate_cells + len(film.atoms) * m.n_film_cells
            if n > max_atoms:
                continue
            key = (n, m.li_strain_pct)
            if best is None or key < best[0]:
                best = (key, m, film, n)
    if best is None:
        return None
    return best[1], best[2], best[3]


# --------------------------------------------------------------------------------------------
# one termination
# --------------------------------------------------------------------------------------------


def _scan_termination(
    slab: SubstrateSlab,
    film: SubstrateSlab,
    match: LatticeMatch,
    calc: Calculator,
    *,
    contact: dict[str, float],
    fixed_layers: int,
    vacuum_A: float,
    registry_spacing_A: float,
    registry_grid: int,
    gap_factors: Sequence[float],
) -> _TerminationScan:
    """Registry scan + gap search of one termination: single points only (rigid interfaces),
    plus the strained bcc Li reference of its film (shared by the rigid and relaxed gamma_Li)."""
    template: InterfaceTemplate = make_template(
        slab, film, match, fixed_layers=fixed_layers, vacuum_A=vacuum_A
    )
    area = template.area_A2
    term = slab.termination.label
    miller = slab.termination.miller
    li_miller = match.film_miller
    registries = make_registry_grid(slab.cell, spacing_A=registry_spacing_A, grid=registry_grid)
    gaps = {
        r: [template.contact_gap(r, {k: v * f for k, v in contact.items()}) for f in gap_factors]
        for r in registries
    }
    g_max = max(max(g) for g in gaps.values())
    sub_h = float(np.ptp(template.substrate.positions[:, 2]))
    template.cell_height_A = sub_h + template.film_thickness_A + max(g_max, 3.0) + vacuum_A
    # symmetry-equivalent registries: same list of cross-interface distances at the middle gap
    mid = len(gap_factors) // 2
    unique: list[tuple[float, float]] = []
    descriptors: list[np.ndarray] = []
    for r in registries:
        desc = _cross_descriptor(template.build(r, gaps[r][mid]))
        if any(_same_descriptor(desc, d) for d in descriptors):
            continue
        descriptors.append(desc)
        unique.append(r)
    r0 = unique[0]
    sub0 = template.build(r0, gaps[r0][mid], part="substrate")
    film0 = template.build(r0, gaps[r0][mid], part="film")
    # every single point of the scan in one call: batched when the calculator offers it
    points = [(r, g) for r in unique for g in gaps[r]]
    e_sub0, e_film0, *e_points = energies(
        [sub0, film0, *(template.build(r, g) for r, g in points)], calc
    )
    n_int = len(template.substrate) + len(template.film)
    records: list[AdhesionRecord] = []
    best_per_registry: dict[tuple[float, float], tuple[float, float]] = {}
    for (r, g), e in zip(points, e_points, strict=True):
        w = (e_sub0 + e_film0 - e) / area * EV_PER_A2_IN_J_PER_M2
        records.append(
            AdhesionRecord(
                miller,
                term,
                li_miller,
                "scan",
                (float(r[0]), float(r[1])),
                float(g),
                n_int,
                e,
                w,
            )
        )
        if r not in best_per_registry or e < best_per_registry[r][0]:
            best_per_registry[r] = (e, g)
    e_li_strained, li_strained = _strained_li_bulk(film, match, calc)
    return _TerminationScan(
        template=template,
        area=area,
        best_per_registry=best_per_registry,
        sub0=sub0,
        film0=film0,
        e_sub0=e_sub0,
        e_film0=e_film0,
        e_li_strained=e_li_strained,
        li_strained=li_strained,
        records=records,
    )


def _rigid_summary(
    slab: SubstrateSlab,
    match: LatticeMatch,
    scan: _TerminationScan,
    gamma_sub_unrelaxed: float | None,
) -> TerminationSummary:
    """The termination's descriptors at the rigid (unrelaxed) level, for the screen.

    ``w_adh_J_m2`` is the ideal work of separation of the best scanned interface against its two
    halves cut out at the same geometry (the scan records); ``gamma_Li`` the unrelaxed strained
    film; ``gamma_sub`` the unrelaxed symmetric 1x1 slab (``None`` for asymmetric slabs, as in
    the relaxed route), so that :func:`select_termination` applies the relaxed route's rule.
    """
    w_rigid = max(r.w_adh_J_m2 for r in scan.records)
    gamma_li = (
        (scan.e_film0 - len(scan.film0) * scan.e_li_strained)
        / (2 * scan.area)
        * EV_PER_A2_IN_J_PER_M2
    )
    gamma_sub = gamma_sub_unrelaxed if slab.symmetric else None
    return TerminationSummary(
        miller=slab.termination.miller,
        termination=slab.termination.label,
        top_species=slab.termination.top_species,
        li_miller=match.film_miller,
        w_adh_J_m2=float(w_rigid),
        substrate_surface_energy_J_m2=gamma_sub,
        li_surface_energy_J_m2=float(gamma_li),
        interface_energy_J_m2=None if gamma_sub is None else gamma_sub + gamma_li - w_rigid,
        converged=True,
    )


def screen_keep(
    rigid: Sequence[TerminationSummary], k: int, selection: str, margin_J_m2: float = 0.0
) -> set[int]:
    """Indices of the terminations the rigid screen relaxes: the ``k`` best by
    :func:`select_termination` in turn, plus every termination within ``margin_J_m2`` of the
    best rigid value of the quantity the rule ranks by.

    The rule ranks by interface energy (lower is better) under ``interface_energy`` when any
    termination has one defined (terminations without one can then never be reported, so the
    margin does not add them), else by W_sep (larger is better).
    """
    keep = _best_terminations(rigid, k, selection)
    if margin_J_m2 <= 0 or not rigid:
        return keep
    gamma = {
        i: t.interface_energy_J_m2
        for i, t in enumerate(rigid)
        if t.interface_energy_J_m2 is not None
    }
    if selection == "interface_energy" and gamma:
        best = min(gamma.values())
        keep |= {i for i, g in gamma.items() if g <= best + margin_J_m2}
    else:
        best_w = max(t.w_adh_J_m2 for t in rigid)
        keep |= {i for i, t in enumerate(rigid) if t.w_adh_J_m2 >= best_w - margin_J_m2}
    return keep


def _summary(slab: SubstrateSlab, o: _TerminationOutcome) -> TerminationSummary:
    """The relaxed descriptors of one termination (interface energy where gamma_sub is defined)."""
    return TerminationSummary(
        miller=slab.termination.miller,
        termination=slab.termination.label,
        top_species=slab.termination.top_species,
        li_miller=o.match.film_miller,
        w_adh_J_m2=o.w_adh,
        substrate_surface_energy_J_m2=o.gamma_sub,
        li_surface_energy_J_m2=o.gamma_li,
        interface_energy_J_m2=None if o.gamma_sub is None else o.gamma_sub + o.gamma_li - o.w_adh,
        converged=o.converged,
    )


def margin_rescue(
    rigid: Sequence[TerminationSummary],
    relaxed: Mapping[int, TerminationSummary],
    selection: str,
    margin_J_m2: float,
) -> tuple[float, set[int]]:
    """Check the screen's margin against the relaxation shifts it produced.

    The screen (:func:`screen_keep`) assumes relaxation moves no termination's value by more
    than ``margin_J_m2``. Here the shifts are measured on the terminations that were relaxed
    (``relaxed``: index into ``rigid`` -> relaxed summary): rigid minus relaxed interface energy
    under ``interface_energy`` (when any termination has one), relaxed minus rigid W_ad
    otherwise. When the largest shift ``S`` exceeds the margin, every unrelaxed termination that
    the same shift could carry past the best relaxed value is returned for relaxation.

    Returns
    -------
    shift_J_m2 : float
        The largest measured shift (0 when none could be measured).
    rescue : set of int
        Indices into ``rigid`` to relax as well (empty when the margin held).
    """
    pairs = [(rigid[i], r) for i, r in relaxed.items()]
    by_gamma = selection == "interface_energy" and any(
        t.interface_energy_J_m2 is not None for t in rigid
    )
    if by_gamma:
        shifts = [
            a.interface_energy_J_m2 - b.interface_energy_J_m2
            for a, b in pairs
            if a.interface_energy_J_m2 is not None and b.interface_energy_J_m2 is not None
        ]
    else:
        shifts = [b.w_adh_J_m2 - a.w_adh_J_m2 for a, b in pairs]
    shift = max(shifts, default=0.0)
    if shift <= margin_J_m2 or not relaxed:
        return shift, set()
    open_ = [i for i in range(len(rigid)) if i not in relaxed]
    if by_gamma:
        best = min(
            (
                r.interface_energy_J_m2
                for r in relaxed.values()
                if r.interface_energy_J_m2 is not None
            ),
            default=math.inf,
        )
        rescue = {
            i
            for i in open_
            if rigid[i].interface_energy_J_m2 is not None
            and rigid[i].interface_energy_J_m2 - shift < best
        }
    else:
        best_w = max(r.w_adh_J_m2 for r in relaxed.values())
        rescue = {i for i in open_ if rigid[i].w_adh_J_m2 + shift > best_w}
    return shift, rescue


def _relaxation_inputs(
    scan: _TerminationScan, n_relax: int
) -> tuple[list[tuple[tuple[float, float], float]], list[Atoms]]:
    """The registries to relax (best ``n_relax`` of the scan) and the structures of one termination.

    Structures in the order substrate slab, Li film, then one interface per registry: the
    references are relaxed exactly like the interface, in the same cell.
    """
    ranked = sorted(scan.best_per_registry.items(), key=lambda kv: kv[1][0])[: max(1, n_relax)]
    registries = [(r, g) for r, (_, g) in ranked]
    structures = [scan.sub0, scan.film0] + [scan.template.build(r, g) for r, g in registries]
    return registries, structures


def _termination_outcome(
    slab: SubstrateSlab,
    match: LatticeMatch,
    scan: _TerminationScan,
    registries: Sequence[tuple[tuple[float, float], float]],
    relaxed: Sequence[tuple[float, Atoms, bool, int]],
    *,
    mu: dict[str, float] | None,
    e_sub_per_atom: float,
) -> _TerminationOutcome:
    """W_ad, gamma_Li, gamma_sub of one termination from its relaxed structures.

    ``relaxed`` holds ``(energy, atoms, converged, steps)`` of :func:`_relaxation_inputs`'
    structures, in their order.
    """
    template, area = scan.template, scan.area
    sub0, film0, e_sub0 = scan.sub0, scan.film0, scan.e_sub0
    records = list(scan.records)
    n_int = len(template.substrate) + len(template.film)
    term = slab.termination.label
    miller = slab.termination.miller
    li_miller = match.film_miller
    (e_sub, sub_rel, conv_sub, _), (e_film, film_rel, conv_film, _) = relaxed[:2]
    best: tuple[float, tuple[float, float], float, Atoms, bool] | None = None
    for (r, g), (e, atoms_rel, conv, steps) in zip(registries, relaxed[2:], strict=True):
        w = (e_sub + e_film - e) / area * EV_PER_A2_IN_J_PER_M2
        records.append(
            AdhesionRecord(
                miller,
                term,
                li_miller,
                "relaxed",
                (float(r[0]), float(r[1])),
                float(g),
                n_int,
                e,
                w,
                conv,
                steps,
            )
        )
        if best is None or w > best[0]:
            best = (w, r, g, atoms_rel, conv)
    assert best is not None
    w_best, r_best, g_best, atoms_best, conv_best = best
    # Li surface energy of the strained film
    gamma_li = (e_film - len(film0) * scan.e_li_strained) / (2 * area) * EV_PER_A2_IN_J_PER_M2
    # relaxed surface energy of the substrate face in contact (bottom face: unrelaxed, same kind)
    gamma_sub = (
        substrate_surface_energy(
            sub_rel,
            e_sub,
            sub0,
            e_sub0,
            area,
            mu=mu,
            stoichiometric=slab.stoichiometric,
            e_per_atom=e_sub_per_atom,
        )
        if slab.symmetric
        else None
    )
    geometry = TerminationGeometry(
        miller=miller,
        termination=term,
        top_species=slab.termination.top_species,
        li_miller=li_miller,
        symmetric=slab.symmetric,
        stoichiometric=slab.stoichiometric,
        area_A2=float(area),
        interface=atoms_best,
        substrate=sub_rel,
        substrate_unrelaxed=_detached(sub0),
        film=film_rel,
        li_bulk_strained=scan.li_strained,
    )
    return _TerminationOutcome(
        w_adh=float(w_best),
        gamma_li=float(gamma_li),
        gamma_sub=None if gamma_sub is None else float(gamma_sub),
        registry=(float(r_best[0]), float(r_best[1])),
        gap=float(g_best),
        interlayer=_interlayer_distance(atoms_best),
        converged=bool(conv_best and conv_sub and conv_film),
        match=match,
        n_relaxed=len(registries),
        records=records,
        geometry=geometry,
    )


# --------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------


def _millers(value: Sequence[Sequence[int]], name: str) -> tuple[tuple[int, int, int], ...]:
    try:
        out = tuple(tuple(int(x) for x in m) for m in value)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} must be a list of Miller indices like [[1, 0, 0]] (got {value!r})"
        ) from None
    if not out or any(len(m) != 3 or not any(m) for m in out):
        raise InputError(
            f"{name} must be a non-empty list of three-integer Miller indices (got {value!r})"
        )
    return out  # type: ignore[return-value]


def work_of_adhesion(
    atoms: Atoms,
    calc: Calculator,
    *,
    millers: Sequence[Sequence[int]] = (),
    li_millers: Sequence[Sequence[int]] = DEFAULT_LI_MILLERS,
    max_terminations: int = 1,
    substrate_layers: int = 4,
    li_layers: int = 4,
    fixed_layers: int = 2,
    vacuum_A: float = 12.0,
    max_area_A2: float = 100.0,
    max_strain_pct: float = 8.0,
    max_atoms: int = 120,
    registry_spacing_A: float = 1.4,
    registry_grid: int = 0,
    gap_factors: Sequence[float] = (0.9, 1.0, 1.1),
    n_relax: int = 2,
    fmax: float = 0.05,
    max_steps: int = 200,
    optimizer: str = "LBFGS",
    li_lattice_A: float = 0.0,
    stoichiometric_only: bool = True,
    allow_polar: bool = False,
    temperature_K: float = LI_MELTING_POINT_K,
    symprec: float = 0.01,
    selection: str = "interface_energy",
    relax_best: int = 0,
    relax_margin_J_m2: float = 0.0,
    keep_geometries: bool = False,
    batched_relax: bool = False,
) -> AdhesionResult:
    """Work of adhesion of a bcc Li film on the substrate ``atoms`` (J/m^2) and wetting descriptor.

    Parameters
    ----------
    atoms : ase.Atoms
        Relaxed bulk substrate (periodic); copied, never modified.
    calc : Calculator
        Any ASE calculator with energies and forces.
    millers : list of Miller indices
        Substrate planes (conventional standard cell) whose terminations are considered; empty
        (default) = the symmetry-distinct planes with indices <= 1, i.e. (100), (110), (111) for
        cubic crystals (plus (001), (101) for hexagonal ones, etc.).
    li_millers : list of Miller indices
        Li film planes tried for the lattice match (bcc (110) and (100) by default).
    max_terminations : int
        Compute interfaces for this many terminations, lowest unrelaxed surface energy first
        (terminations without a lattice match are passed over); 0 = all.
    substrate_layers, li_layers : int
        Minimum atomic planes of the substrate slab and of the Li film.
    fixed_layers : int
        Bottom substrate planes held fixed (bulk-like) in the interface and the substrate reference.
    vacuum_A : float
        Vacuum above the film (Å).
    max_area_A2, max_strain_pct, max_atoms : float, float, int
        Lattice-match limits: interface area (Å^2), largest principal Li strain (%), atoms.
    registry_spacing_A, registry_grid : float, int
        Registry grid over the primitive substrate surface cell: ``registry_grid`` points per
        direction if > 0, else spacing-based (multiples of 3 for hexagonal cells, of 2 otherwise).
    gap_factors : list of float
        Gap search: multiples of the Li–X contact distance for the closest cross-interface pair.
    n_relax : int
        Distinct registries relaxed per termination (lowest scan energies).
    fmax, max_steps, optimizer : float, int, str
        Relaxation: force threshold (eV/Å), step limit, ``LBFGS``/``BFGS``/``FIRE``. LBFGS
        (memory 100) takes the same steps as BFGS here without diagonalising a 3N x 3N Hessian
        every step, which dominated the wall time of 50-atom relaxations on busy machines.
    li_lattice_A : float
        bcc Li lattice parameter (Å); 0 relaxes bcc Li with ``calc`` (needs stress). A pure-Li
        substrate is its own Li reference.
    stoichiometric_only : bool
        Only stoichiometric slabs (symmetric where possible): terminations are then ranked by a
        surface (or, for asymmetric slabs, cleavage) energy that needs no chemical potentials.
        ``False`` also admits the non-stoichiometric symmetric slabs, ranked in the Li-rich limit
        — which for Li compounds selects Li-terminated faces, so that W_ad measures Li on a Li
        layer rather than the compound's own chemistry.
    allow_polar : bool
        Also consider charged or polar terminations of ionic substrates (formal charges from
        pymatgen's oxidation-state guess, e.g. Li2S(100)); left out by default because their
        energies diverge with slab thickness unless reconstructed.
    temperature_K : float
        Temperature of the liquid-Li surface tension for the contact angle (default: melting point).
    symprec : float
        Symmetry tolerance for the conventional cell (Å).
    selection : str
        Which computed termination is reported: ``interface_energy`` (default: the lowest
        ``gamma_sub + gamma_Li - W_ad``, the interface that forms against Li metal) or
        ``max_w_adh`` (the strongest-binding face); see :func:`select_termination`.
    relax_best : int
        0 (default): relax every computed termination. ``k > 0``: the screening funnel's rigid
        stage — every computed termination gets its registry scan (single points: the ideal work
        of separation of the unrelaxed interface), the same ``selection`` rule is applied to the
        rigid values (unrelaxed symmetric-slab surface energy, unrelaxed strained Li film, best
        scanned W_sep) and only the ``k`` best terminations are relaxed; the others are kept in
        ``surfaces`` with status ``screened`` and their rigid values in the note, and their scan
        points stay in ``records``.
    relax_margin_J_m2 : float
        With ``relax_best``: also relax every termination whose rigid value is within this margin
        of the best rigid value (J/m^2; default 0: the ``relax_best`` best only) — the rigid
        interface energy under ``selection = "interface_energy"`` (among the terminations where it
        is defined; W_sep when none is), the rigid W_sep under ``max_w_adh``. Relaxation changes
        the order: two terminations can swap only when their rigid gap is smaller than the
        difference of their relaxation shifts, so a margin covering the spread of those shifts
        keeps the termination the relaxed route reports (see :func:`screen_keep`).
    keep_geometries : bool
        Also return every computed termination's relaxed structures (``geometries``), e.g. to
        check the termination selection with another calculator at the same geometries.
    batched_relax : bool
        Relax the structures of all kept terminations together through the calculator's
        batched path where it has one (SevenNet with the ``batched`` extra: torch-sim's FIRE, on
        the model's device; :func:`alloyscreen.properties.batched.relax`), else one by one with
        ``optimizer``. Off by default: the batched path runs FIRE in float32 whatever
        ``optimizer`` says, so its W_ad agrees with the loop's within the optimizer tolerance,
        not bit for bit, and a stored result must not depend on whether the extra is installed
        (the option is part of the task's content key). Worth it on a GPU.

    Returns
    -------
    AdhesionResult

    Raises
    ------
    InputError
        Bad options.
    CalculationError
        No termination has a Li lattice match within the limits (the task is stored as failed
        with this reason).
    """
    if not all(atoms.pbc) or atoms.cell.rank != 3:
        raise InputError("work_of_adhesion needs a bulk substrate periodic in all three directions")
    hkls = _millers(millers, "millers") if len(millers) else None
    li_hkls = _millers(li_millers, "li_millers")
    if not isinstance(batched_relax, bool):
        raise InputError(f"batched_relax must be true or false (got {batched_relax!r})")
    if optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer '{optimizer}'; choose one of {', '.join(OPTIMIZERS)}")
    for name, value, lo in (
        ("substrate_layers", substrate_layers, 2),
        ("li_layers", li_layers, 2),
        ("n_relax", n_relax, 1),
        ("max_atoms", max_atoms, 2),
        ("max_steps", max_steps, 0),
        ("max_terminations", max_terminations, 0),
        ("fixed_layers", fixed_layers, 0),
        ("registry_grid", registry_grid, 0),
        ("relax_best", relax_best, 0),
    ):
        if int(value) != value or value < lo:
            raise InputError(f"{name} must be an integer >= {lo} (got {value!r})")
    if not (isinstance(relax_margin_J_m2, int | float) and 0 <= relax_margin_J_m2 < math.inf):
        raise InputError(
            f"relax_margin_J_m2 must be a finite number >= 0 (got {relax_margin_J_m2!r})"
        )
    if fixed_layers >= substrate_layers:
        raise InputError(
            f"fixed_layers ({fixed_layers}) must be smaller than substrate_layers ({substrate_layers})"
        )
    for name, value in (
        ("vacuum_A", vacuum_A),
        ("max_area_A2", max_area_A2),
        ("max_strain_pct", max_strain_pct),
        ("fmax", fmax),
    ):
        if not value > 0:
            raise InputError(f"{name} must be positive (got {value!r})")
    factors = tuple(float(f) for f in gap_factors)
    if not factors or any(not 0.5 <= f <= 2.0 for f in factors):
        raise InputError(
            f"gap_factors must be a non-empty list of numbers in [0.5, 2] (got {gap_factors!r})"
        )
    if li_lattice_A < 0:
        raise InputError(f"li_lattice_A must be >= 0 (got {li_lattice_A})")
    if selection not in SELECTIONS:
        raise InputError(f"unknown selection {selection!r}; choose one of {', '.join(SELECTIONS)}")

    from pymatgen.core import Composition

    substrate = atoms.copy()
    substrate.calc = None
    substrate.set_constraint()
    formula = Composition(substrate.get_chemical_formula()).reduced_formula

    with count_calls(calc) as counter:
        e_sub_bulk = _energy(substrate, calc)
        e_sub_per_atom = e_sub_bulk / len(substrate)
        if set(substrate.get_chemical_symbols()) == {"Li"}:
            li_bulk, e_li = substrate, e_sub_per_atom
        elif li_lattice_A > 0:
            li_bulk = ase_bulk("Li", "bcc", a=li_lattice_A, cubic=True)
            e_li = _energy(li_bulk, calc) / len(li_bulk)
        else:
            a_li = _bcc_li_lattice(calc)
            li_bulk = ase_bulk("Li", "bcc", a=a_li, cubic=True)
            e_li = _energy(li_bulk, calc) / len(li_bulk)
        li_a = float((2 * li_bulk.get_volume() / len(li_bulk)) ** (1 / 3))
        mu = li_rich_chemical_potentials(substrate, e_sub_bulk, e_li)
        nn = _nearest_neighbour(substrate)
        nn_li = _nearest_neighbour(li_bulk)["Li"]
        contact = {el: 0.5 * (nn_li + d) for el, d in nn.items()}

        if hkls is None:
            hkls = tuple(low_index_planes(substrate, 1, symprec=symprec))
        slabs = substrate_slabs(
            substrate,
            millers=hkls,
            n_layers=substrate_layers,
            vacuum_A=vacuum_A,
            stoichiometric=stoichiometric_only,
            symprec=symprec,
        )
        if not slabs:
            raise CalculationError(f"{formula}: no substrate slab could be built for {list(hkls)}")
        films = {
            m: li_film_slab(li_bulk, m, n_layers=li_layers, vacuum_A=vacuum_A) for m in li_hkls
        }
        smallest_film = min(len(f.atoms) for f in films.values())
        gammas: list[float | None] = []
        too_big: set[int] = set()
        for k, slab in enumerate(slabs):
            if len(slab.atoms) + smallest_film > max_atoms:
                too_big.add(k)  # no interface within max_atoms: not worth an energy
                gammas.append(None)
                continue
            e = _energy(slab.atoms, calc)
            om = excess_energy(slab.atoms, e, mu, slab.stoichiometric, e_sub_per_atom)
            gammas.append(None if om is None else om / (2 * slab.area_A2) * EV_PER_A2_IN_J_PER_M2)
        order = sorted(
            range(len(slabs)),
            key=lambda k: (gammas[k] is None, gammas[k] if gammas[k] is not None else 0.0, k),
        )
        outcomes: list[tuple[int, _TerminationOutcome]] = []
        scans: list[tuple[int, LatticeMatch, _TerminationScan]] = []
        screened_records: list[AdhesionRecord] = []
        status: dict[int, tuple[str, str]] = {}
        charges = formal_charges(substrate)
        for k in order:
            slab = slabs[k]
            if k in too_big:
                status[k] = (
                    "no_match",
                    f"the 1x1 slab alone ({len(slab.atoms)} atoms) leaves no room within max_atoms={max_atoms}",
                )
                continue
            if not allow_polar and is_polar(slab, charges):
                status[k] = ("excluded", "charged or polar termination of an ionic crystal")
                continue
            if max_terminations and len(scans) >= max_terminations:
                status[k] = ("skipped", "beyond max_terminations")
                continue
            if slab.n_layers <= fixed_layers:
                status[k] = (
                    "no_match",
                    f"only {slab.n_layers} planes for fixed_layers={fixed_layers}",
                )
                continue
            chosen = _select_match(
                slab,
                films,
                max_area_A2=max_area_A2,
                max_strain_pct=max_strain_pct,
                max_atoms=max_atoms,
            )
            if chosen is None:
                status[k] = (
                    "no_match",
                    f"no Li {'/'.join(_hkl(m) for m in li_hkls)} match within {max_strain_pct:g}% strain, "
                    f"{max_area_A2:g} Å2, {max_atoms} atoms",
                )
                continue
            match, film, n_atoms = chosen
            logger.info(
                "%s %s on Li%s: %d atoms, area %.1f Å2, Li strain %.2f%%",
                formula,
                slab.termination.label,
                _hkl(match.film_miller),
                n_atoms,
                match.area_A2,
                match.li_strain_pct,
            )
            scan = _scan_termination(
                slab,
                film,
                match,
                calc,
                contact=contact,
                fixed_layers=fixed_layers,
                vacuum_A=vacuum_A,
                registry_spacing_A=registry_spacing_A,
                registry_grid=registry_grid,
                gap_factors=factors,
            )
            scans.append((k, match, scan))
        rigid: list[TerminationSummary] = []
        keep = set(range(len(scans)))
        if relax_best and len(scans) > relax_best:
            rigid = [_rigid_summary(slabs[k], match, scan, gammas[k]) for k, match, scan in scans]
            keep = screen_keep(rigid, relax_best, selection, relax_margin_J_m2)
        relaxed_summaries: dict[int, TerminationSummary] = {}
        rescued: dict[int, float] = {}
        batch = sorted(keep)
        while batch:
            # every structure of every termination of the round in one call, so that a batched
            # path relaxes them together
            plans = [_relaxation_inputs(scans[i][2], n_relax) for i in batch]
            relaxed_all = [
                (r.energy_eV, r.atoms, r.converged, r.n_steps)
                for r in relax_structures(
                    [a for _registries, structures in plans for a in structures],
                    calc,
                    fmax=fmax,
                    max_steps=max_steps,
                    optimizer=optimizer,
                    batched=batched_relax,
                )
            ]
            start = 0
            for i, (registries, structures) in zip(batch, plans, strict=True):
                k, match, scan = scans[i]
                outcome = _termination_outcome(
                    slabs[k],
                    match,
                    scan,
                    registries,
                    relaxed_all[start : start + len(structures)],
                    mu=mu,
                    e_sub_per_atom=e_sub_per_atom,
                )
                start += len(structures)
                outcomes.append((k, outcome))
                relaxed_summaries[i] = _summary(slabs[k], outcome)
                note = f"W_ad = {outcome.w_adh:.3f} J/m2 on Li{_hkl(match.film_miller)}"
                if i in rescued:
                    note += (
                        f"; relaxed after the screen because relaxation shifted another "
                        f"termination by {rescued[i]:.3f} J/m2, more than the "
                        f"{relax_margin_J_m2:g} J/m2 margin"
                    )
                status[k] = ("computed", note)
            batch = []
            if rigid:
                shift, extra = margin_rescue(rigid, relaxed_summaries, selection, relax_margin_J_m2)
                if extra:
                    logger.warning(
                        "%s: relaxation moved a termination by %.3f J/m2, beyond the screen's "
                        "%g J/m2 margin: relaxing %d screened termination(s) too",
                        formula,
                        shift,
                        relax_margin_J_m2,
                        len(extra),
                    )
                    rescued.update(dict.fromkeys(extra, shift))
                    batch = sorted(extra)
        outcomes.sort(key=lambda ko: order.index(ko[0]))
        for i, (k, _match, scan) in enumerate(scans):
            if i in relaxed_summaries:
                continue
            screened_records.extend(scan.records)
            r = rigid[i]
            gi = (
                "undefined"
                if r.interface_energy_J_m2 is None
                else f"{r.interface_energy_J_m2:.3f} J/m2"
            )
            status[k] = (
                "screened",
                f"rigid W_sep = {r.w_adh_J_m2:.3f} J/m2, rigid interface energy {gi}: "
                f"not among the {relax_best} best by {selection} nor within "
                f"{relax_margin_J_m2:g} J/m2 of the best rigid value, not relaxed",
            )
        n_calls = counter.n_calls
    rigid_by_k = {scans[i][0]: r for i, r in enumerate(rigid)}

    surfaces = tuple(
        SurfaceRecord(
            miller=slabs[k].termination.miller,
            termination=slabs[k].termination.label,
            top_species=slabs[k].termination.top_species,
            symmetric=slabs[k].symmetric,
            stoichiometric=slabs[k].stoichiometric,
            n_atoms=len(slabs[k].atoms),
            gamma_unrelaxed_J_m2=gammas[k],
            status=status.get(k, ("skipped", ""))[0],
            note=status.get(k, ("skipped", ""))[1],
            rigid_w_sep_J_m2=rigid_by_k[k].w_adh_J_m2 if k in rigid_by_k else None,
            rigid_interface_energy_J_m2=(
                rigid_by_k[k].interface_energy_J_m2 if k in rigid_by_k else None
            ),
        )
        for k in order
    )
    if not outcomes:
        reasons = "; ".join(f"{s.termination}: {s.note}" for s in surfaces)
        raise CalculationError(
            f"{formula}: no Li/substrate interface within the limits ({reasons}); "
            "raise max_strain_pct, max_area_A2 or max_atoms to allow larger or more strained cells",
            partial={"formula": formula, "surfaces": surfaces, "n_force_calls": n_calls},
        )
    summaries = tuple(_summary(slabs[k], o) for k, o in outcomes)
    i_best, basis = select_termination(summaries, selection)
    k_best, best = outcomes[i_best]
    if len(outcomes) > 1:
        logger.info("%s: reporting %s (%s)", formula, slabs[k_best].termination.label, basis)
    slab = slabs[k_best]
    wet = contact_angle_from_work_of_adhesion(best.w_adh, temperature_K)
    records = tuple(r for _, o in outcomes for r in o.records) + tuple(screened_records)
    interface_energy = (
        None if best.gamma_sub is None else best.gamma_sub + best.gamma_li - best.w_adh
    )
    return AdhesionResult(
        formula=formula,
        substrate_formula=formula,
        w_adh_J_m2=best.w_adh,
        interface_energy_J_m2=interface_energy,
        li_surface_energy_J_m2=best.gamma_li,
        substrate_surface_energy_J_m2=best.gamma_sub,
        li_strain_pct=best.match.li_strain_pct,
        li_strain_principal_pct=best.match.li_strain_principal_pct,
        area_A2=best.match.area_A2,
        n_atoms=len(best.geometry.interface),
        termination=slab.termination.label,
        miller=slab.termination.miller,
        li_miller=best.match.film_miller,
        registry_frac=best.registry,
        gap_A=best.gap,
        interlayer_distance_A=best.interlayer,
        predicted_contact_angle_deg=wet.theta_deg,
        contact_angle_clipped=wet.clipped,
        wetting_regime=wet.regime,
        gamma_li_liquid_J_m2=wet.gamma_N_m,
        contact_angle_self_consistent_deg=math.degrees(
            math.acos(min(1.0, max(-1.0, best.w_adh / best.gamma_li - 1.0)))
        ),
        temperature_K=wet.temperature_K,
        converged=best.converged,
        n_force_calls=n_calls,
        n_interfaces_relaxed=sum(o.n_relaxed for _, o in outcomes),
        li_lattice_A=li_a,
        selection_basis=basis,
        max_w_adh_J_m2=max(t.w_adh_J_m2 for t in summaries),
        terminations=summaries,
        records=records,
        surfaces=surfaces,
        atoms=best.geometry.interface,
        geometries=tuple(o.geometry for _, o in outcomes) if keep_geometries else (),
    )


def _best_terminations(summaries: Sequence[TerminationSummary], k: int, selection: str) -> set[int]:
    """Indices of the ``k`` best of ``summaries`` by :func:`select_termination`, in turn."""
    left = list(range(len(summaries)))
    keep: set[int] = set()
    while left and len(keep) < k:
        i, _ = select_termination([summaries[j] for j in left], selection)
        keep.add(left.pop(i))
    return keep


def _hkl(m: Sequence[int]) -> str:
    return "(" + "".join(str(x) for x in m) + ")"
