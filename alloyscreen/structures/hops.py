"""Migration hops of a mobile species (Li by default) and the NEB endpoints that go with them.

Pure geometry: a bulk structure in, hops and endpoint structures out; no calculator.

* :func:`find_hops` works in the primitive cell found by spglib (through pymatgen). It returns every
  nearest-neighbour hop of the species as an edge of a periodic graph (site ``u`` -> site ``v`` in
  the cell translated by ``image``), grouped into symmetry-distinct hops with the space-group
  operations of the crystal. A hop and its reverse are the same hop (one NEB gives both barriers).
* :func:`interstitial_sites` finds candidate interstitial sites (Voronoi vertices far enough from
  every atom, symmetry-reduced); :func:`find_hops` with ``mechanism="interstitial"`` connects them.
* :func:`migration_supercell` builds the smallest supercell of the primitive cell whose shortest
  lattice vector (the distance between a defect and its periodic image) is at least
  ``min_length_A``; the returned cell is Minkowski-reduced, so all its lattice vectors are at least
  that long.
* :func:`hop_endpoints` builds initial and final states in that supercell with one atom list: the
  same atom (index ``moving_index``) moves, nothing is re-sorted and positions are not wrapped, so
  image ``k`` of any interpolation is the same physical atom everywhere.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.geometry import minkowski_reduce

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

MECHANISMS = ("vacancy", "interstitial")


@dataclass(frozen=True)
class SiteOrbit:
    """A symmetry orbit of sites of the migration network in the primitive cell.

    Attributes
    ----------
    orbit : int
        Orbit index (0, 1, ...).
    wyckoff : str
        Wyckoff label from spglib (``8a``...), or ``?`` for interstitial sites.
    sites : tuple of int
        Indices of the network sites (into :attr:`HopSet.site_frac`) in this orbit.
    """

    orbit: int
    wyckoff: str
    sites: tuple[int, ...]


@dataclass(frozen=True)
class Hop:
    """One symmetry-distinct hop.

    Attributes
    ----------
    hop_id : int
        Index of the hop in :attr:`HopSet.hops` (shortest first).
    mechanism : {"vacancy", "interstitial"}
    species : str
        Migrating element.
    length_A : float
        Straight-line distance between the two sites (Å).
    site_from, site_to : int
        Network sites (indices into :attr:`HopSet.site_frac`) of the representative hop: the atom
        moves from ``site_from`` (in the home cell) to ``site_to`` in the cell translated by
        ``image``. For a vacancy hop ``site_to`` is the vacant site of the initial state.
    image : tuple of int
        Lattice translation (primitive-cell units) of ``site_to``.
    orbit_from, orbit_to : int
        Site orbits of the two ends.
    multiplicity : int
        Number of hops of this kind per primitive cell (a hop and its reverse counted once).
    """

    hop_id: int
    mechanism: str
    species: str
    length_A: float
    site_from: int
    site_to: int
    image: tuple[int, int, int]
    orbit_from: int
    orbit_to: int
    multiplicity: int


@dataclass(frozen=True)
class HopSet:
    """Hops of one mechanism in the primitive cell, as a periodic graph.

    Attributes
    ----------
    primitive : ase.Atoms
        The primitive cell all indices refer to.
    mechanism, species : str
    site_frac : ndarray, shape (n_sites, 3)
        Fractional coordinates of the network sites (the species' atoms for vacancy hops, the
        interstitial sites otherwise).
    site_atom_index : tuple of int
        For vacancy hops: index of the primitive-cell atom on each site (-1 for interstitials).
    site_orbit : tuple of int
        Orbit of each site.
    orbits : tuple of SiteOrbit
    hops : tuple of Hop
        Distinct hops, shortest first.
    edges : tuple of (u, v, image, hop_id)
        Every hop of the crystal with its start in the home cell (each undirected hop once).
    space_group : str
        International symbol and number, e.g. ``Fd-3m (227)``.
    """

    primitive: Atoms
    mechanism: str
    species: str
    site_frac: np.ndarray
    site_atom_index: tuple[int, ...]
    site_orbit: tuple[int, ...]
    orbits: tuple[SiteOrbit, ...]
    hops: tuple[Hop, ...]
    edges: tuple[tuple[int, int, tuple[int, int, int], int], ...]
    space_group: str

    def network(self) -> dict:
        """JSON-ready description of the graph (sites, orbits, edges) for storage."""
        return {
            "mechanism": self.mechanism,
            "n_sites": len(self.site_frac),
            "site_orbit": list(self.site_orbit),
            "edges": [[u, v, list(t), h] for u, v, t, h in self.edges],
            "cell_A": self.primitive.cell.array.tolist(),
            "site_frac": np.asarray(self.site_frac).tolist(),
        }


@dataclass(frozen=True)
class Endpoints:
    """Initial and final states of one hop in a supercell.

    Attributes
    ----------
    initial, final : ase.Atoms
        Same atoms in the same order; only ``moving_index`` differs (unwrapped positions).
    moving_index : int
        Index of the migrating atom in both structures.
    start_A, end_A : ndarray
        Ideal (unrelaxed) positions of the migrating atom in the initial and final state (Å).
    """

    initial: Atoms
    final: Atoms
    moving_index: int
    start_A: np.ndarray
    end_A: np.ndarray


# ----- symmetry -------------------------------------------------------------------------------


def _pmg(atoms: Atoms):  # type: ignore[no-untyped-def]
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_structure(atoms)


def primitive_cell(atoms: Atoms, symprec: float = 1e-2) -> Atoms:
    """Primitive standard cell of ``atoms`` (spglib through pymatgen), as ``ase.Atoms``.

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic bulk structure (any cell, e.g. conventional or a supercell).
    symprec : float
        Symmetry tolerance (Å).
    """
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    if not all(atoms.pbc) or atoms.cell.rank != 3:
        raise InputError("migration hops need a bulk structure periodic in all three directions")
    try:
        prim = SpacegroupAnalyzer(_pmg(atoms), symprec=symprec).get_primitive_standard_structure()
    except Exception as exc:  # spglib fails on badly distorted input: use the cell as it is
        logger.warning("symmetry analysis failed (%s); using the input cell as primitive", exc)
        return atoms.copy()
    out = AseAtomsAdaptor.get_atoms(prim)
    out.info = {}
    out.wrap()
    return out


def _symmetry(
    prim: Atoms, symprec: float
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str, list[str]]:
    """Space-group operations (fractional rotation, translation), symbol and Wyckoff labels."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        sga = SpacegroupAnalyzer(_pmg(prim), symprec=symprec)
        ops = [
            (np.asarray(op.rotation_matrix, dtype=float), np.asarray(op.translation_vector))
            for op in sga.get_symmetry_operations(cartesian=False)
        ]
        symbol = f"{sga.get_space_group_symbol()} ({sga.get_space_group_number()})"
        sym = sga.get_symmetrized_structure()
        # multiplicities in the conventional cell, as tables list them (8a, not 2a)
        centring = max(1, round(len(sga.get_conventional_standard_structure()) / len(prim)))
        wyckoff = ["?"] * len(prim)
        for symbol_, group in zip(sym.wyckoff_symbols, sym.equivalent_indices, strict=True):
            label = f"{len(group) * centring}{symbol_.lstrip('0123456789')}"
            for i in group:
                wyckoff[i] = label
    except Exception as exc:  # spglib gives up on badly distorted cells
        logger.warning("symmetry analysis failed (%s); treating the cell as P1", exc)
        ops = [(np.eye(3), np.zeros(3))]
        symbol = "P1 (1)"
        wyckoff = ["1a"] * len(prim)
    return ops, symbol, wyckoff


class _SiteLocator:
    """Find which network site a fractional position is on, and in which cell."""

    def __init__(self, frac: np.ndarray, cell: np.ndarray, tol_A: float) -> None:
        self.frac = np.asarray(frac, dtype=float)
        self.cell = np.asarray(cell, dtype=float)
        self.tol = tol_A

    def locate(self, f: np.ndarray) -> tuple[int, np.ndarray] | None:
        diff = f[None, :] - self.frac
        shift = np.round(diff)
        dist = np.linalg.norm((diff - shift) @ self.cell, axis=1)
        k = int(np.argmin(dist))
        if dist[k] > self.tol:
            return None
        return k, shift[k].astype(int)


def _canonical(u: int, v: int, t: np.ndarray) -> tuple[int, int, tuple[int, int, int]]:
    tt = tuple(int(x) for x in t)
    if u < v or (u == v and tt > tuple(-x for x in tt)):
        return u, v, tt  # type: ignore[return-value]
    return v, u, tuple(-x for x in tt)  # type: ignore[return-value]


def _orbits(
    frac: np.ndarray, ops: Sequence[tuple[np.ndarray, np.ndarray]], locator: _SiteLocator
) -> list[int]:
    """Orbit label of each site under ``ops``."""
    n = len(frac)
    label = [-1] * n
    current = 0
    for i in range(n):
        if label[i] >= 0:
            continue
        for rot, trans in ops:
            hit = locator.locate(rot @ frac[i] + trans)
            if hit is not None and label[hit[0]] < 0:
                label[hit[0]] = current
        label[i] = current
        current += 1
    return label


# ----- hops -------------------------------------------------------------------------------------


def find_hops(
    atoms: Atoms,
    *,
    species: str = "Li",
    mechanism: str = "vacancy",
    symprec: float = 1e-2,
    shell_tol: float = 0.1,
    max_length_A: float | None = None,
    min_interstitial_distance_A: float = 1.6,
    primitive: bool = True,
) -> HopSet:
    """Symmetry-distinct nearest-neighbour hops of ``species``.

    Parameters
    ----------
    atoms : ase.Atoms
        Relaxed bulk structure.
    species : str
        Migrating element (``Li``).
    mechanism : {"vacancy", "interstitial"}
        Vacancy hops join sites of ``species``; interstitial hops join the interstitial sites of
        :func:`interstitial_sites`.
    symprec : float
        Symmetry tolerance (Å) for spglib and for matching sites.
    shell_tol : float
        A site's hops go to every other site within ``(1 + shell_tol)`` times its nearest-neighbour
        distance (the nearest-neighbour shell).
    max_length_A : float, optional
        Use every hop up to this length (Å) instead of the nearest-neighbour shells.
    min_interstitial_distance_A : float
        Interstitial sites closer than this to any atom are dropped (Å).
    primitive : bool
        Reduce to the primitive standard cell first (default); False keeps the cell as given.

    Returns
    -------
    HopSet
    """
    if mechanism not in MECHANISMS:
        raise InputError(f"unknown migration mechanism '{mechanism}'; use one of {MECHANISMS}")
    if species not in atoms.get_chemical_symbols():
        raise InputError(
            f"{atoms.get_chemical_formula()} contains no {species}: no {species} hops to compute"
        )
    prim = primitive_cell(atoms, symprec) if primitive else atoms.copy()
    ops, symbol, wyckoffs = _symmetry(prim, symprec)
    cell = prim.cell.array
    tol = max(5 * symprec, 0.05)
    if mechanism == "vacancy":
        atom_index = [i for i, s in enumerate(prim.get_chemical_symbols()) if s == species]
        frac = prim.get_scaled_positions(wrap=True)[atom_index]
        site_wyckoff = [wyckoffs[i] for i in atom_index]
    else:
        frac = interstitial_sites(
            prim, min_distance_A=min_interstitial_distance_A, symprec=symprec, _ops=ops
        )
        if len(frac) == 0:
            raise InputError(
                f"no interstitial sites at least {min_interstitial_distance_A} Å from every atom "
                f"in {prim.get_chemical_formula()}; lower min_interstitial_distance_A"
            )
        atom_index = [-1] * len(frac)
        site_wyckoff = ["?"] * len(frac)
    locator = _SiteLocator(frac, cell, tol)
    orbit_of = _orbits(frac, ops, locator)

    # Neighbour lists between network sites (periodic images within the cutoff). The nearest
    # neighbour of a site is never farther than the shortest cell vector (its own image).
    heights = prim.cell.volume / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    span = max_length_A or (1.0 + shell_tol) * float(np.linalg.norm(cell, axis=1).min())
    reach = np.ceil(span / heights).astype(int) + 1
    translations = np.array(
        list(itertools.product(*(range(-r, r + 1) for r in reach))), dtype=float
    )
    cart = frac @ cell
    images = cart[None, :, :] + (translations @ cell)[:, None, :]  # (n_translations, n_sites, 3)
    home = np.all(translations == 0, axis=1)
    neighbours: list[list[tuple[int, np.ndarray, float]]] = []
    for i in range(len(frac)):
        dist = np.linalg.norm(images - cart[i], axis=-1)  # (n_translations, n_sites)
        dist[home, i] = np.inf  # the site itself
        cutoff = max_length_A or float(dist.min()) * (1.0 + shell_tol)
        ts, js = np.nonzero(dist <= cutoff + 1e-9)
        neighbours.append(
            [
                (int(j), translations[t].astype(int), float(dist[t, j]))
                for t, j in zip(ts, js, strict=True)
            ]
        )

    edge_hop: dict[tuple[int, int, tuple[int, int, int]], int] = {}
    hops_raw: list[tuple[float, int, int, tuple[int, int, int], int]] = []
    orbit_reps = sorted({orbit_of[i]: i for i in reversed(range(len(frac)))}.values())
    for u in orbit_reps:
        for v, t, length in sorted(neighbours[u], key=lambda x: x[2]):
            key = _canonical(u, v, t)
            if key in edge_hop:
                continue
            hop_index = len(hops_raw)
            members = set()
            for rot, trans in ops:
                fu = rot @ frac[u] + trans
                fv = rot @ (frac[v] + t) + trans
                hu = locator.locate(fu)
                hv = locator.locate(fv)
                if hu is None or hv is None:
                    continue
                members.add(_canonical(hu[0], hv[0], hv[1] - hu[1]))
            for m in members:
                edge_hop.setdefault(m, hop_index)
            hops_raw.append((length, u, v, tuple(int(x) for x in t), len(members)))

    if not hops_raw:
        raise InputError(f"no {species} {mechanism} hops found within the cutoff")
    # Renumber hops shortest first.
    order = sorted(range(len(hops_raw)), key=lambda k: (round(hops_raw[k][0], 4), k))
    new_id = {old: new for new, old in enumerate(order)}
    hops = []
    for old in order:
        length, u, v, t, mult = hops_raw[old]
        # the atom moves from v (home cell) to u: express it as site_from=v, site_to=u, image=-t
        hops.append(
            Hop(
                hop_id=new_id[old],
                mechanism=mechanism,
                species=species,
                length_A=float(length),
                site_from=v,
                site_to=u,
                image=tuple(-x for x in t),  # type: ignore[arg-type]
                orbit_from=orbit_of[v],
                orbit_to=orbit_of[u],
                multiplicity=mult,
            )
        )
    edges = tuple(sorted((u, v, t, new_id[h]) for (u, v, t), h in edge_hop.items()))
    orbits = tuple(
        SiteOrbit(
            o,
            site_wyckoff[next(i for i in range(len(frac)) if orbit_of[i] == o)],
            tuple(i for i in range(len(frac)) if orbit_of[i] == o),
        )
        for o in sorted(set(orbit_of))
    )
    return HopSet(
        primitive=prim,
        mechanism=mechanism,
        species=species,
        site_frac=np.asarray(frac),
        site_atom_index=tuple(atom_index),
        site_orbit=tuple(orbit_of),
        orbits=orbits,
        hops=tuple(hops),
        edges=edges,
        space_group=symbol,
    )


def interstitial_sites(
    prim: Atoms,
    *,
    min_distance_A: float = 1.6,
    merge_A: float = 0.5,
    symprec: float = 1e-2,
    _ops: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """Candidate interstitial sites: Voronoi vertices at least ``min_distance_A`` from every atom.

    Vertices closer than ``merge_A`` are merged; the result is closed under the space group
    (every symmetry image of a kept site is kept), so that hops between them can be symmetry
    reduced. Returns fractional coordinates in the primitive cell, shape ``(n, 3)``.
    """
    from scipy.spatial import Voronoi, cKDTree

    cell = prim.cell.array
    frac = prim.get_scaled_positions(wrap=True)
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3)), dtype=float)
    pts = (frac[None, :, :] + shifts[:, None, :]).reshape(-1, 3) @ cell
    vor = Voronoi(pts)
    inv = np.linalg.inv(cell)
    vfrac = vor.vertices @ inv
    inside = np.all((vfrac >= -1e-6) & (vfrac < 1 - 1e-6), axis=1)
    verts = vor.vertices[inside]
    tree = cKDTree(pts)
    dist, _ = tree.query(verts)
    verts = verts[dist >= min_distance_A]
    if len(verts) == 0:
        return np.zeros((0, 3))
    # merge close vertices (periodic), largest voids first
    dist, _ = tree.query(verts)
    order = np.argsort(-dist)
    kept: list[np.ndarray] = []
    for k in order:
        f = verts[k] @ inv % 1.0
        if all(_mic_distance(f, g, cell) > merge_A for g in kept):
            kept.append(f)
    ops = _ops if _ops is not None else _symmetry(prim, symprec)[0]
    # close the set under the space group
    closed: list[np.ndarray] = []
    for f in kept:
        for rot, trans in ops:
            g = (rot @ f + trans) % 1.0
            if all(_mic_distance(g, h, cell) > merge_A for h in closed):
                closed.append(g)
    return np.array(closed) % 1.0


def _mic_distance(f: np.ndarray, g: np.ndarray, cell: np.ndarray) -> float:
    d = f - g
    d -= np.round(d)
    return float(np.linalg.norm(d @ cell))


# ----- supercells ---------------------------------------------------------------------------------


def _hnf_matrices(n: int) -> np.ndarray:
    """Row-style Hermite normal forms of determinant ``n`` (each sublattice once), (k, 3, 3)."""
    out = []
    for a in range(1, n + 1):
        if n % a:
            continue
        for c in range(1, n // a + 1):
            if (n // a) % c:
                continue
            f = n // (a * c)
            # rows are the new vectors: entries below a pivot are reduced modulo that pivot
            for b in range(a):
                for d in range(a):
                    for e in range(c):
                        out.append(((a, 0, 0), (b, c, 0), (d, e, f)))
    return np.array(out, dtype=int).reshape(-1, 3, 3)


def shortest_lattice_vector(cell: np.ndarray) -> float:
    """Length of the shortest nonzero vector of the lattice spanned by the rows of ``cell`` (Å)."""
    reduced, _ = minkowski_reduce(cell)
    return float(np.linalg.norm(reduced, axis=1).min())


def _min_height(cell: np.ndarray) -> float:
    vol = abs(np.linalg.det(cell))
    return float(vol / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1).max())


_COMBOS = np.array([c for c in itertools.product(range(-1, 2), repeat=3) if any(c)], dtype=float)


def _pair_reduce(lattices: np.ndarray, rounds: int = 12) -> np.ndarray:
    """Vectorised pairwise (Gauss) size reduction of many 3x3 bases, shape (k, 3, 3).

    Not a full Minkowski reduction, but afterwards the shortest of the +-1 combinations of the
    basis vectors is a tight upper bound of the shortest lattice vector for nearly every basis.
    """
    b = lattices.copy()
    for _ in range(rounds):
        changed = False
        for i in range(3):
            for j in range(3):
                if i == j:
                    continue
                num = np.einsum("kx,kx->k", b[:, i], b[:, j])
                den = np.einsum("kx,kx->k", b[:, j], b[:, j])
                q = np.round(num / den)
                if np.any(q):
                    b[:, i] -= q[:, None] * b[:, j]
                    changed = True
        if not changed:
            break
    return b


def supercell_matrix(cell: np.ndarray, min_length_A: float, max_cells: int = 512) -> np.ndarray:
    """Integer matrix ``P`` (rows = new vectors in units of ``cell``) of the smallest supercell.

    The supercell lattice ``P @ cell`` has no lattice vector shorter than ``min_length_A``; among
    the supercells with the fewest cells the most compact one (largest smallest height) is chosen.
    The search runs over Hermite normal forms, starting from the densest-packing bound
    ``n >= L^3 / (sqrt(2) V)``.
    """
    cell = np.asarray(cell, dtype=float)
    vol = abs(np.linalg.det(cell))
    if shortest_lattice_vector(cell) >= min_length_A:
        return np.eye(3, dtype=int)
    n = max(1, int(np.floor(min_length_A**3 / (np.sqrt(2.0) * vol))))
    while n <= max_cells:
        hnfs = _hnf_matrices(n)
        lattices = hnfs @ cell  # (k, 3, 3)
        vecs = np.einsum("ci,kij->kcj", _COMBOS, _pair_reduce(lattices))
        upper = np.linalg.norm(vecs, axis=-1).min(axis=1)  # an upper bound of the shortest vector
        best: tuple[float, float, np.ndarray] | None = None
        for k in np.nonzero(upper >= min_length_A - 1e-9)[0]:
            lat = lattices[k]
            if shortest_lattice_vector(lat) < min_length_A - 1e-9:
                continue
            score = (_min_height(lat), shortest_lattice_vector(lat))
            if best is None or score > best[:2]:
                best = (*score, hnfs[k])
        if best is not None:
            return best[2]
        n += 1
    raise InputError(
        f"no supercell of at most {max_cells} primitive cells has all lattice vectors >= "
        f"{min_length_A} Å; lower min_length_A"
    )


def migration_supercell(
    prim: Atoms, min_length_A: float = 8.0, max_cells: int = 512
) -> tuple[Atoms, np.ndarray]:
    """Smallest supercell of ``prim`` whose lattice vectors are all >= ``min_length_A`` (Å).

    Returns the supercell (Minkowski-reduced cell, atoms wrapped into it, ordered cell by cell)
    and the matrix ``M`` with ``supercell.cell == M @ prim.cell``.
    """
    from ase.build import make_supercell

    P = supercell_matrix(prim.cell.array, min_length_A, max_cells)
    sc = make_supercell(prim, P, wrap=True)
    reduced, _ = minkowski_reduce(sc.cell.array)
    sc.set_cell(reduced, scale_atoms=False)
    sc.wrap()
    M = np.rint(reduced @ np.linalg.inv(prim.cell.array)).astype(int)
    return sc, M


def hop_supercell(
    prim: Atoms, hop_lengths_A: Sequence[float], min_length_A: float = 8.0, max_cells: int = 512
) -> tuple[Atoms, np.ndarray]:
    """:func:`migration_supercell` large enough for every hop in ``hop_lengths_A`` (Å).

    A hop needs periodic images more than twice its length apart (else the moving atom meets its
    own image halfway; :func:`hop_endpoints` refuses it). The supercell with vectors of at least
    ``min_length_A`` is kept when it is large enough, so results of the hops it already fits are
    unchanged; otherwise the vectors are raised to twice the longest hop plus 0.5 Å.
    """
    sc, M = migration_supercell(prim, min_length_A, max_cells)
    longest = max(hop_lengths_A, default=0.0)
    if longest >= 0.5 * shortest_lattice_vector(sc.cell.array):
        length = 2.0 * longest + 0.5
        logger.info(
            "hops up to %.2f Å: supercell vectors >= %.2f Å instead of %g Å",
            longest,
            length,
            min_length_A,
        )
        sc, M = migration_supercell(prim, length, max_cells)
    return sc, M


# ----- endpoints ----------------------------------------------------------------------------------


def _find_atom(sc: Atoms, position: np.ndarray, tol: float = 0.2) -> int:
    d = sc.positions - position
    frac = d @ np.linalg.inv(sc.cell.array)
    frac -= np.round(frac)
    dist = np.linalg.norm(frac @ sc.cell.array, axis=1)
    k = int(np.argmin(dist))
    if dist[k] > tol:
        raise InputError(
            f"no atom of the supercell at {np.round(position, 3)} (closest {dist[k]:.2f} Å)"
        )
    return k


def hop_endpoints(supercell: Atoms, hopset: HopSet, hop: Hop) -> Endpoints:
    """Initial and final states of ``hop`` in ``supercell`` (built by :func:`migration_supercell`).

    Vacancy hop: the atom on ``site_to`` is removed; the atom on ``site_from`` (``moving_index``)
    moves into the vacancy. Interstitial hop: one atom of ``species`` is appended at ``site_from``
    (it is the last atom) and moves to ``site_to``. The remaining atoms keep their order.
    """
    cell = hopset.primitive.cell.array
    start = hopset.site_frac[hop.site_from] @ cell
    end = (hopset.site_frac[hop.site_to] + np.asarray(hop.image)) @ cell
    shift = end - start
    sc_short = shortest_lattice_vector(supercell.cell.array)
    if np.linalg.norm(shift) >= 0.5 * sc_short:
        raise InputError(
            f"hop of {np.linalg.norm(shift):.2f} Å is too long for a supercell whose periodic "
            f"images are {sc_short:.2f} Å apart; raise min_length_A"
        )
    if hop.mechanism == "vacancy":
        j = _find_atom(supercell, start)
        i = _find_atom(supercell, end)
        if i == j:
            raise InputError("hop endpoints fall on the same supercell atom; raise min_length_A")
        initial = supercell.copy()
        del initial[i]
        moving = j if j < i else j - 1
        start_pos = initial.positions[moving].copy()
    else:
        initial = supercell.copy()
        # put the interstitial at the periodic image of `start` inside the supercell
        frac = start @ np.linalg.inv(supercell.cell.array)
        start_pos = (frac % 1.0) @ supercell.cell.array
        initial += Atoms(hop.species, positions=[start_pos])
        moving = len(initial) - 1
    final = initial.copy()
    final.positions[moving] = start_pos + shift
    initial.info = {}
    final.info = {}
    return Endpoints(initial, final, moving, start_pos, start_pos + shift)
