"""Li film / substrate interfaces: Li film slabs, lattice matching, registry grid, stacking.

Pure builders (structures in, structures out); the energies are computed in
:mod:`alloyscreen.properties.adhesion`.

- **Li film**: bcc Li (100) or (110) slab cut from a (relaxed) bcc Li bulk with the same machinery
  as the substrate slabs (:mod:`alloyscreen.structures.slabs`).
- **Lattice matching**: Zur–McGill superlattice search (Zur & McGill, J. Appl. Phys. 55, 378
  (1984), doi:10.1063/1.333084; the algorithm of pymatgen's ``ZSLGenerator``, re-implemented here
  in numpy with the true principal strain as criterion and no numba compilation per process)
  between the primitive surface cells, bounded by a maximum area and a maximum strain. The
  substrate keeps its lattice; **all strain goes into the Li film** (the soft side). The in-plane
  deformation gradient ``F`` that maps the Li supercell onto the substrate supercell is recorded;
  the Li strain is the right stretch ``U - 1`` of its polar decomposition ``F = R U`` (principal
  values in %). A reflection in ``F`` is allowed because bcc Li is centrosymmetric (a mirrored Li
  film is a rotated Li film).
- **Interface**: the strained Li film on top of the substrate supercell, separated by a gap, with
  vacuum above the film (the cell is periodic; the slab's periodic image sits below the
  substrate). The film is translated laterally by a *registry* shift on a grid over the substrate's
  primitive surface cell. The gap for each registry is set so that the closest Li–substrate pair is
  at a chosen contact distance, so atop and hollow registries are compared at comparable bond
  lengths; the gap search then scales that distance.

pymatgen's ``CoherentInterfaceBuilder`` is not used because the work of
adhesion needs the two reference slabs in exactly the same cell as the interface (same strain, same
atoms, same fixed layers, same k-point mesh for DFT), registry-dependent gaps and control over the
atom count.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.build import make_supercell
from ase.constraints import FixAtoms

from alloyscreen.errors import InputError
from alloyscreen.structures.slabs import (
    SubstrateSlab,
    SurfaceCell,
    build_slab,
    find_terminations,
    layer_indices,
    reduce_2d,
)

logger = logging.getLogger(__name__)

#: Li film orientations treated by default (bcc Li).
DEFAULT_LI_MILLERS: tuple[tuple[int, int, int], ...] = ((1, 1, 0), (1, 0, 0))

#: Tags that mark the two parts of an interface.
SUBSTRATE_TAG = 1
FILM_TAG = 2


@dataclass(frozen=True)
class LatticeMatch:
    """A coincidence supercell of substrate and (strained) Li film.

    Attributes
    ----------
    substrate_matrix, film_matrix : tuple of tuple of int
        2x2 integer matrices; rows give the supercell vectors in units of the primitive surface
        cell vectors of the substrate and of the Li film.
    deformation : tuple of tuple of float
        2x2 in-plane deformation gradient ``F`` (Cartesian xy) applied to the Li film.
    li_strain_principal_pct : tuple of float
        Principal strains of the Li film (right stretch ``U - 1``), in %.
    li_strain_pct : float
        Largest absolute principal strain (%).
    li_area_strain_pct : float
        Relative change of the Li area, ``det F - 1``, in %.
    area_A2 : float
        Interface (substrate supercell) area (Å^2).
    film_miller : tuple of int
        Li plane.
    """

    substrate_matrix: tuple[tuple[int, int], tuple[int, int]]
    film_matrix: tuple[tuple[int, int], tuple[int, int]]
    deformation: tuple[tuple[float, float], tuple[float, float]]
    li_strain_principal_pct: tuple[float, float]
    li_strain_pct: float
    li_area_strain_pct: float
    area_A2: float
    film_miller: tuple[int, int, int]

    @property
    def n_substrate_cells(self) -> int:
        """Number of primitive substrate surface cells in the supercell."""
        return abs(round(np.linalg.det(np.array(self.substrate_matrix, float))))

    @property
    def n_film_cells(self) -> int:
        """Number of primitive Li surface cells in the supercell."""
        return abs(round(np.linalg.det(np.array(self.film_matrix, float))))


def li_film_slab(
    li_bulk: Atoms,
    miller: Sequence[int] = (1, 1, 0),
    *,
    n_layers: int = 4,
    vacuum_A: float = 12.0,
) -> SubstrateSlab:
    """A bcc Li film slab (symmetric, stoichiometric) with ``n_layers`` atomic planes."""
    if set(li_bulk.get_chemical_symbols()) != {"Li"}:
        raise InputError("the Li film must be cut from a pure Li bulk structure")
    cell, flip, terms = find_terminations(li_bulk, miller)
    term = terms[0]
    return build_slab(flip if term.flipped else cell, term, n_layers=n_layers, vacuum_A=vacuum_A)


def _hnf_2d(n: int) -> list[np.ndarray]:
    """All sublattices of index ``n`` of a 2D lattice, as upper-triangular Hermite normal forms."""
    out = []
    for a in range(1, n + 1):
        if n % a:
            continue
        d = n // a
        for b in range(d):
            out.append(np.array([[a, b], [0, d]]))
    return out


def _reduced_sublattice(hnf: np.ndarray, prim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lagrange-reduced basis (Cartesian rows) and its integer matrix in ``prim`` units."""
    v1, v2 = reduce_2d(hnf[0] @ prim, hnf[1] @ prim)
    basis = np.array([v1, v2])
    m = np.round(np.linalg.solve(prim.T, basis.T).T).astype(int)
    return basis, m


def _unimodular(max_entry: int = 2) -> np.ndarray:
    r = range(-max_entry, max_entry + 1)
    mats = [
        np.array([[a, b], [c, d]])
        for a in r
        for b in r
        for c in r
        for d in r
        if abs(a * d - b * c) == 1
    ]
    return np.array(mats)


_UNIMODULAR = _unimodular()


def match_lattices(
    substrate: SurfaceCell,
    film: SurfaceCell,
    *,
    max_area_A2: float = 80.0,
    max_strain_pct: float = 5.0,
    smallest_only: bool = False,
) -> list[LatticeMatch]:
    """Coincidence supercells of ``substrate`` and ``film`` within the limits, best first.

    A Zur–McGill search (J. Appl. Phys. 55, 378 (1984), doi:10.1063/1.333084): every sublattice
    of the substrate's primitive surface lattice up to ``max_area_A2`` (Hermite normal forms,
    Lagrange-reduced) is compared with every film sublattice of nearly equal area; for each pair the
    film basis is taken among the unimodular transforms (entries -2..2) of its reduced basis and
    the Li strain is the right stretch of the in-plane deformation gradient (polar decomposition),
    so the criterion is the true principal strain, not length/angle proxies. Same results as
    pymatgen's ``ZSLGenerator`` with matching tolerances (checked in the tests), without its
    numba compilation cost.

    Parameters
    ----------
    substrate, film : SurfaceCell
        Oriented unit cells (primitive in-plane).
    max_area_A2 : float
        Largest interface area (Å^2).
    max_strain_pct : float
        Largest absolute principal strain of the Li film (%).
    smallest_only : bool
        Stop after the smallest substrate supercell that has a match (the fewest atoms).

    Returns
    -------
    list of LatticeMatch
        Ordered by area, then by strain; one entry per distinct (cells, strain) combination.
    """
    if max_area_A2 <= 0 or max_strain_pct <= 0:
        raise InputError("max_area_A2 and max_strain_pct must be positive")
    eps = max_strain_pct / 100.0
    s_prim = substrate.inplane_vectors
    f_prim = film.inplane_vectors
    a_s = float(abs(np.linalg.det(s_prim)))
    a_f = float(abs(np.linalg.det(f_prim)))
    out: list[LatticeMatch] = []
    seen: set[tuple[int, int, float]] = set()
    film_cache: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for n_s in range(1, int(max_area_A2 / a_s + 1e-9) + 1):
        area = n_s * a_s
        lo = area / (a_f * (1 + eps) ** 2)
        hi = area / (a_f * (1 - eps) ** 2)
        n_f_values = [n for n in range(max(1, math.ceil(lo - 1e-9)), math.floor(hi + 1e-9) + 1)]
        if not n_f_values:
            continue
        subs = [_reduced_sublattice(h, s_prim) for h in _hnf_2d(n_s)]
        for n_f in n_f_values:
            if n_f not in film_cache:
                film_cache[n_f] = [_reduced_sublattice(h, f_prim) for h in _hnf_2d(n_f)]
            for f_basis, f_mat in film_cache[n_f]:
                fb = _UNIMODULAR @ f_basis  # (k, 2, 2): candidate film bases (rows)
                inv = np.linalg.inv(fb)
                s_all = np.array([sb for sb, _ in subs])  # (n, 2, 2)
                # F @ f_i = s_i for every (substrate basis, film basis) pair: (n, k, 2, 2)
                Fs = np.transpose(inv[None, :, :, :] @ s_all[:, None, :, :], (0, 1, 3, 2))
                C = np.transpose(Fs, (0, 1, 3, 2)) @ Fs
                a, b, d = C[..., 0, 0], C[..., 0, 1], C[..., 1, 1]
                root = np.sqrt(np.maximum(((a - d) / 2) ** 2 + b * b, 0.0))
                lam = np.stack([(a + d) / 2 - root, (a + d) / 2 + root], axis=-1)
                principal = np.sqrt(np.clip(lam, 0, None)) - 1.0  # (n, k, 2)
                worst = np.max(np.abs(principal), axis=-1)  # (n, k)
                for i_sub in np.where(worst.min(axis=1) * 100.0 <= max_strain_pct + 1e-9)[0]:
                    k = int(np.argmin(worst[i_sub]))
                    strain = float(worst[i_sub, k]) * 100.0
                    key = (n_s, n_f, round(strain, 3))
                    if key in seen:
                        continue
                    seen.add(key)
                    F = Fs[i_sub, k]
                    fm = _UNIMODULAR[k] @ f_mat
                    sm = subs[i_sub][1].copy()
                    if np.linalg.det(sm) < 0:  # keep the substrate supercell right-handed
                        sm[1] *= -1
                        fm[1] *= -1
                    out.append(
                        LatticeMatch(
                            substrate_matrix=tuple(tuple(int(x) for x in r) for r in sm),  # type: ignore[arg-type]
                            film_matrix=tuple(tuple(int(x) for x in r) for r in fm),  # type: ignore[arg-type]
                            deformation=tuple(tuple(float(x) for x in r) for r in F),  # type: ignore[arg-type]
                            li_strain_principal_pct=tuple(
                                float(x) * 100 for x in np.sort(principal[i_sub, k])
                            ),  # type: ignore[arg-type]
                            li_strain_pct=strain,
                            li_area_strain_pct=(abs(float(np.linalg.det(F))) - 1.0) * 100.0,
                            area_A2=area,
                            film_miller=film.miller,
                        )
                    )
        if smallest_only and out:
            break
    out.sort(key=lambda m: (round(m.area_A2, 3), m.li_strain_pct))
    return out


def _supercell(slab: Atoms, matrix: Sequence[Sequence[int]]) -> Atoms:
    P = np.array([[matrix[0][0], matrix[0][1], 0], [matrix[1][0], matrix[1][1], 0], [0, 0, 1]])
    if np.linalg.det(P) < 0:
        P[1] *= -1
    return make_supercell(slab, P, wrap=True)


def registry_grid(
    substrate: SurfaceCell, *, spacing_A: float = 1.4, grid: int = 0
) -> list[tuple[float, float]]:
    """Fractional registry shifts over the substrate's primitive surface cell.

    ``grid > 0`` gives ``grid x grid`` points; otherwise the number of points along each vector is
    ``length / spacing_A`` rounded to the nearest multiple of 3 for hexagonal cells (whose
    high-symmetry sites sit at thirds) or of 2 for the others (halves), at least 3 or 2. The grid
    is a starting set: the relaxations that follow move the film to the nearest minimum.
    """
    if grid > 0:
        n1 = n2 = int(grid)
    else:
        if spacing_A <= 0:
            raise InputError(f"registry spacing must be positive (got {spacing_A} Å)")
        v = substrate.inplane_vectors
        l1, l2 = np.linalg.norm(v, axis=1)
        cosang = float(np.dot(v[0], v[1]) / (l1 * l2))
        hexagonal = math.isclose(l1, l2, rel_tol=1e-3) and math.isclose(
            abs(cosang), 0.5, abs_tol=1e-3
        )
        step = 3 if hexagonal else 2

        def count(length: float) -> int:
            return step * max(1, round(length / spacing_A / step))

        n1, n2 = count(l1), count(l2)
    return [(i / n1, j / n2) for i in range(n1) for j in range(n2)]


@dataclass
class InterfaceTemplate:
    """Substrate supercell and strained Li film in one cell; builds interfaces for given shifts.

    Attributes
    ----------
    substrate : ase.Atoms
        Substrate supercell slab in the interface cell (bottom plane at ``z = vacuum/2``).
    film : ase.Atoms
        Strained Li film supercell, bottom plane at ``z = 0``, unshifted.
    match : LatticeMatch
    substrate_slab, film_slab : SubstrateSlab
        The 1x1 slabs the supercells were made from.
    fixed_layers : int
        Bottom substrate planes held fixed.
    vacuum_A : float
        Minimum vacuum above the film (Å).
    """

    substrate: Atoms
    film: Atoms
    match: LatticeMatch
    substrate_slab: SubstrateSlab
    film_slab: SubstrateSlab
    fixed_layers: int
    vacuum_A: float
    cell_height_A: float = 0.0

    @property
    def area_A2(self) -> float:
        """Interface area (Å^2)."""
        return float(abs(np.linalg.det(self.substrate.cell.array[:2, :2])))

    @property
    def substrate_top_z(self) -> float:
        """Height of the top substrate plane (Å)."""
        _, planes = layer_indices(self.substrate)
        return float(planes[-1])

    @property
    def film_thickness_A(self) -> float:
        """Height of the film's top plane above its bottom plane (Å)."""
        return float(np.ptp(self.film.positions[:, 2]))

    def fixed_indices(self) -> list[int]:
        """Indices (in the substrate part) of the fixed bottom planes."""
        if self.fixed_layers <= 0:
            return []
        li, _ = layer_indices(self.substrate)
        return [int(i) for i in np.where(li < self.fixed_layers)[0]]

    def shift_vector(self, shift_frac: Sequence[float]) -> np.ndarray:
        """Cartesian in-plane shift (Å) of the film for a fractional registry shift."""
        v = self.substrate_slab.cell.inplane_vectors
        return float(shift_frac[0]) * v[0] + float(shift_frac[1]) * v[1]

    def contact_gap(
        self, shift_frac: Sequence[float], contact_A: dict[str, float], *, min_gap_A: float = 0.8
    ) -> float:
        """Gap (Å) at which the closest Li–substrate pair is at its contact distance.

        ``contact_A`` maps substrate species to the Li–species target distance (Å).
        """
        shift = self.shift_vector(shift_frac)
        sub = self.substrate
        film = self.film
        top = self.substrate_top_z
        cell2 = sub.cell.array[:2, :2]
        dmax = max(contact_A.values())
        sub_sel = np.where(sub.positions[:, 2] > top - dmax)[0]
        film_sel = np.where(film.positions[:, 2] < dmax)[0]
        images = np.array([(i, j) for i in range(-2, 3) for j in range(-2, 3)], float) @ cell2
        gap = min_gap_A
        for j in sub_sel:
            d = contact_A[sub[j].symbol]
            dz_sub = top - sub.positions[j, 2]
            for i in film_sel:
                lat = film.positions[i, :2] + shift - sub.positions[j, :2]
                frac = np.linalg.solve(cell2.T, lat)
                lat = lat - np.round(frac) @ cell2
                dxy = np.min(np.linalg.norm(lat[None, :] + images, axis=1))
                if dxy < d:
                    need = math.sqrt(d * d - dxy * dxy) - dz_sub - film.positions[i, 2]
                    gap = max(gap, need)
        return float(gap)

    def build(self, shift_frac: Sequence[float], gap_A: float, *, part: str = "interface") -> Atoms:
        """Interface (or one of its parts: ``"substrate"``, ``"film"``) in the common cell.

        The cell height is :attr:`cell_height_A` (set by the caller to cover the largest gap) or
        the minimum for this gap plus the vacuum. Fixed bottom substrate planes carry a
        :class:`~ase.constraints.FixAtoms` constraint; tags mark substrate (1) and film (2) atoms.
        """
        if part not in ("interface", "substrate", "film"):
            raise InputError(f"unknown interface part '{part}'")
        sub = self.substrate.copy()
        film = self.film.copy()
        shift = self.shift_vector(shift_frac)
        film.positions[:, :2] += shift
        film.positions[:, 2] += self.substrate_top_z + gap_A
        height = max(
            self.cell_height_A, float(film.positions[:, 2].max()) + self.vacuum_A / 2 + 1e-6
        )
        cell = np.array(sub.cell.array)
        cell[2] = [0.0, 0.0, height]
        sub.set_tags(SUBSTRATE_TAG)
        film.set_tags(FILM_TAG)
        fixed = self.fixed_indices()
        if part == "substrate":
            out = sub
        elif part == "film":
            out = film
            fixed = []
        else:
            out = sub + film
        out.set_cell(cell)
        out.pbc = True
        out.wrap(eps=1e-9)
        if fixed:
            out.set_constraint(FixAtoms(indices=fixed))
        return out


def make_template(
    substrate_slab: SubstrateSlab,
    film_slab: SubstrateSlab,
    match: LatticeMatch,
    *,
    fixed_layers: int = 2,
    vacuum_A: float = 12.0,
) -> InterfaceTemplate:
    """Supercells of both slabs for ``match``, the Li film strained onto the substrate cell."""
    if fixed_layers >= substrate_slab.n_layers:
        raise InputError(
            f"fixed_layers={fixed_layers} must be smaller than the number of substrate planes "
            f"({substrate_slab.n_layers})"
        )
    sub = _supercell(substrate_slab.atoms, match.substrate_matrix)
    sub.positions[:, 2] -= sub.positions[:, 2].min() - vacuum_A / 2
    film = _supercell(film_slab.atoms, match.film_matrix)
    F = np.array(match.deformation)
    pos = film.positions.copy()
    pos[:, :2] = pos[:, :2] @ F.T
    pos[:, 2] -= pos[:, 2].min()
    strained = Atoms(numbers=film.numbers, positions=pos, cell=sub.cell.array, pbc=True)
    strained.wrap(eps=1e-9)
    template = InterfaceTemplate(
        substrate=sub,
        film=strained,
        match=match,
        substrate_slab=substrate_slab,
        film_slab=film_slab,
        fixed_layers=fixed_layers,
        vacuum_A=vacuum_A,
    )
    sub_height = float(sub.positions[:, 2].max() - sub.positions[:, 2].min())
    template.cell_height_A = sub_height + template.film_thickness_A + vacuum_A + 3.5
    return template


def strained_li_bulk(film_slab: SubstrateSlab, match: LatticeMatch) -> Atoms:
    """Periodic bcc Li cell of the film orientation carrying the film's in-plane strain.

    The symmetric right stretch ``U`` of ``F = R U`` is applied (the energy does not depend on
    the rotation or reflection ``R``, and ``U`` keeps the cell right-handed). The out-of-plane
    length is left to the caller to optimise (Poisson contraction).
    """
    ouc = film_slab.cell.atoms
    F = np.array(match.deformation)
    w, v = np.linalg.eigh(F.T @ F)
    U = v @ np.diag(np.sqrt(w)) @ v.T
    cell = np.array(ouc.cell.array)
    cell[:, :2] = cell[:, :2] @ U.T
    pos = ouc.positions.copy()
    pos[:, :2] = pos[:, :2] @ U.T
    out = Atoms(numbers=ouc.numbers, positions=pos, cell=cell, pbc=True)
    out.wrap(eps=1e-9)
    return out
