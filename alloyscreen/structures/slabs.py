"""Substrate slabs: oriented surface cells, symmetry-distinct terminations, symmetric slabs.

Pure builders: a (relaxed) bulk structure and parameters in, ``ase.Atoms`` slabs out.

How terminations are found and kept apart
-----------------------------------------
pymatgen's :class:`~pymatgen.core.surface.SlabGenerator` gives the oriented unit cell (OUC) of a
plane ``(hkl)`` of the *conventional standard* cell. Its ``get_slabs`` then groups whole slabs
with a :class:`~pymatgen.analysis.structure_matcher.StructureMatcher`; two slabs whose top and
bottom faces are swapped match as wholes, so one of two inequivalent terminations can vanish
(the known pitfall). Here a *termination* is a single **upward-facing** surface instead:

1. the OUC is reduced to the primitive in-plane cell and the atomic planes along the normal are
   clustered (``ztol``); every gap between planes is a possible cut;
2. every cut gives two faces: the upward face of the crystal below the cut, and the downward face
   of the crystal above it. The latter is turned into an upward face by a proper rotation of the
   crystal (180 degrees about an in-plane axis), so both kinds are compared on equal terms;
3. faces are compared by a rotation/translation-invariant fingerprint of their top two atomic
   planes (species, depth below the surface and a smeared radial distribution function of each
   atom's neighbourhood up to 5.5 Å), matched atom by atom (Hungarian assignment); equal
   fingerprints = the same termination;
4. for each termination the slab is made *symmetric* when a cut whose downward face is the same
   termination exists (then the two faces are equivalent; the slab may be non-stoichiometric),
   otherwise it is the stoichiometric slab with that face on top (``symmetric=False``).

Miller indices refer to the conventional standard cell of the input (pymatgen
``SpacegroupAnalyzer.get_conventional_standard_structure``). Slabs are oriented with the first
in-plane vector along x and the surface normal along +z; the cell's third vector is
``(0, 0, thickness + vacuum)`` and the slab is centred in it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

#: Low-index planes treated by default (conventional standard cell).
DEFAULT_MILLERS: tuple[tuple[int, int, int], ...] = ((1, 0, 0), (1, 1, 0), (1, 1, 1))

_FP_CUTOFF_A = 5.5  # neighbourhood radius of the face fingerprint (Å)
_FP_GRID = np.arange(1.0, _FP_CUTOFF_A + 1e-9, 0.1)
_FP_SIGMA = 0.1  # Gaussian smearing of the fingerprint RDF (Å)
_FP_TOL = 0.05  # fingerprint match tolerance (depth in Å and RDF in 1/Å)


@dataclass(frozen=True)
class SurfaceCell:
    """Oriented unit cell of a plane, primitive in-plane, normal along +z.

    Attributes
    ----------
    miller : tuple of int
        Plane (conventional standard cell).
    atoms : ase.Atoms
        Periodic OUC: cell rows ``a`` (along x), ``b`` (in the xy plane), ``c`` (``c_z > 0``).
    plane_heights_A : tuple of float
        Heights of the atomic planes inside one period, in ``[0, c_z)`` (Å).
    cuts : tuple of float
        Fractional ``c`` coordinates of the cuts (mid-gaps between consecutive planes).
    flipped : bool
        True for the crystal turned upside down (180 degrees about the x axis).
    """

    miller: tuple[int, int, int]
    atoms: Atoms
    plane_heights_A: tuple[float, ...]
    cuts: tuple[float, ...]
    flipped: bool = False

    @property
    def period_A(self) -> float:
        """Height of one OUC period along the normal (Å)."""
        return float(self.atoms.cell[2, 2])

    @property
    def area_A2(self) -> float:
        """In-plane area of the primitive surface cell (Å^2)."""
        return float(abs(np.linalg.det(self.atoms.cell.array[:2, :2])))

    @property
    def inplane_vectors(self) -> np.ndarray:
        """The two in-plane cell vectors as a 2x2 array (rows, Å)."""
        return np.array(self.atoms.cell.array[:2, :2])


@dataclass(frozen=True)
class Termination:
    """One symmetry-distinct upward-facing termination of a plane.

    Attributes
    ----------
    miller : tuple of int
        Plane.
    index : int
        Index among the terminations of this plane (0, 1, ...), ordered by the height of the cut.
    label : str
        Human label, e.g. ``"(111) t1 [Li]"`` (top-plane species in brackets).
    top_species : tuple of str
        Species of the topmost atomic plane.
    flipped : bool
        Built from the upside-down crystal (the downward face of a cut).
    cut : float
        Fractional ``c`` coordinate of the cut in the (possibly flipped) OUC.
    bottom_cut : float
        Cut used for the bottom face (equal to ``cut`` for a stoichiometric slab).
    symmetric : bool
        A slab with this termination on both faces exists (``bottom_cut`` gives it).
    """

    miller: tuple[int, int, int]
    index: int
    label: str
    top_species: tuple[str, ...]
    flipped: bool
    cut: float
    bottom_cut: float
    symmetric: bool


@dataclass(frozen=True)
class SubstrateSlab:
    """A slab with a given termination on top.

    Attributes
    ----------
    termination : Termination
    atoms : ase.Atoms
        The slab (pbc ``(True, True, False)``... stored as periodic cell with vacuum, pbc all True).
    n_layers : int
        Number of atomic planes.
    layer_index : tuple of int
        Plane index of every atom (0 = bottom plane).
    symmetric : bool
        Both faces are the same termination.
    stoichiometric : bool
        Composition proportional to the bulk's.
    thickness_A : float
        Distance between the bottom and top atomic planes (Å).
    area_A2 : float
        In-plane cell area (Å^2).
    """

    termination: Termination
    atoms: Atoms
    n_layers: int
    layer_index: tuple[int, ...]
    symmetric: bool
    stoichiometric: bool
    thickness_A: float
    area_A2: float
    cell: SurfaceCell = field(repr=False)


# --------------------------------------------------------------------------------------------
# Oriented unit cell
# --------------------------------------------------------------------------------------------


def _to_pymatgen(atoms: Atoms):  # type: ignore[no-untyped-def]
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_structure(atoms)


def _standard_orientation(cell: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate so that ``a`` lies along x and ``a x b`` along +z; returns (cell, positions)."""
    a, b = cell[0], cell[1]
    n = np.cross(a, b)
    n /= np.linalg.norm(n)
    x = a / np.linalg.norm(a)
    y = np.cross(n, x)
    rot = np.array([x, y, n])
    new_cell = cell @ rot.T
    new_pos = positions @ rot.T
    new_cell[0, 1:] = 0.0
    new_cell[1, 2] = 0.0
    return new_cell, new_pos


def reduce_2d(v1: np.ndarray, v2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lagrange–Gauss reduction of a 2D basis (shortest vectors, |angle| in [60, 120] degrees).

    The vectors (Cartesian, Å) span the same lattice before and after; reduction takes a handful
    of steps for any real cell (at most 200 are made).
    """
    v1, v2 = np.array(v1, float), np.array(v2, float)
    for _ in range(200):
        if np.dot(v1, v1) > np.dot(v2, v2):
            v1, v2 = v2, v1
        mu = round(float(np.dot(v1, v2) / np.dot(v1, v1)))
        if mu == 0:
            break
        v2 = v2 - mu * v1
    return v1, v2


def _reduce_ouc(atoms: Atoms, tol: float = 1e-3) -> Atoms:
    """Reduce an OUC (rows a, b in-plane; c out of plane) to the primitive in-plane cell and the
    shortest period along the normal, using the pure translations of the crystal."""
    frac = atoms.get_scaled_positions(wrap=True)
    numbers = atoms.numbers
    cell = atoms.cell.array
    normal = np.cross(cell[0], cell[1])
    normal /= np.linalg.norm(normal)

    def is_translation(t: np.ndarray) -> bool:
        shifted = frac + t
        for i in range(len(atoms)):
            diff = frac - shifted[i]
            diff -= np.round(diff)
            match = (np.linalg.norm(diff @ cell, axis=1) < 0.05) & (numbers == numbers[i])
            if not match.any():
                return False
        return True

    translations = []
    for j in range(len(atoms)):
        if numbers[j] != numbers[0]:
            continue
        t = (frac[j] - frac[0]) % 1.0
        t[np.isclose(t, 1.0, atol=tol)] = 0.0
        if is_translation(t):
            translations.append(t)
    if len(translations) <= 1:
        return atoms.copy()
    period = float(np.dot(cell[2], normal))
    inplane = [t for t in translations if t[2] < tol]
    full_area = float(np.linalg.norm(np.cross(cell[0], cell[1])))
    prim_area = full_area / len(inplane)
    vecs = []
    for t in inplane:
        for n1 in (-1, 0, 1):
            for n2 in (-1, 0, 1):
                v = (t[0] + n1) * cell[0] + (t[1] + n2) * cell[1]
                if np.linalg.norm(v) > 1e-6:
                    vecs.append(v)
    vecs.sort(key=lambda v: float(np.linalg.norm(v)))
    v1 = vecs[0]
    v2 = next(
        (
            v
            for v in vecs[1:]
            if abs(np.linalg.norm(np.cross(v1, v)) - prim_area) < 1e-3 * prim_area
        ),
        None,
    )
    if v2 is None:  # pragma: no cover - numerical trouble; keep the cell as it is
        logger.warning("could not reduce the in-plane cell; keeping the oriented unit cell")
        return atoms.copy()
    v1, v2 = reduce_2d(v1, v2)
    # shortest period along the normal: the translation with the smallest positive height
    heights = [(float(t[2]), t) for t in translations if t[2] > tol]
    if heights:
        dz, t = min(heights, key=lambda x: x[0])
        c = t @ cell
    else:
        dz, c = 1.0, cell[2]
    if np.dot(np.cross(v1, v2), c) < 0:
        v2 = -v2
        v1, v2 = v2, v1
        if np.dot(np.cross(v1, v2), c) < 0:  # pragma: no cover
            v1 = -v1
    new_cell = np.array([v1, v2, c])
    n_expected = round(len(atoms) * abs(np.linalg.det(new_cell)) / abs(np.linalg.det(cell)))
    new = Atoms(numbers=numbers, positions=atoms.positions, cell=new_cell, pbc=True)
    f = new.get_scaled_positions(wrap=True)
    keep: list[int] = []
    for i in range(len(new)):
        dup = False
        for k in keep:
            d = f[i] - f[k]
            d -= np.round(d)
            if numbers[i] == numbers[k] and np.linalg.norm(d @ new_cell) < 0.05:
                dup = True
                break
        if not dup:
            keep.append(i)
    out = new[keep]
    out.wrap(eps=1e-9)
    if len(out) != n_expected:  # pragma: no cover - defensive
        logger.warning(
            "OUC reduction gave %d atoms, expected %d; not reduced", len(out), n_expected
        )
        return atoms.copy()
    del period, dz
    return out


def _cluster_heights(heights: np.ndarray, period: float | None, ztol: float) -> list[float]:
    """Cluster heights into planes (periodic in ``period`` if given); returns sorted plane centres."""
    order = np.sort(heights)
    groups: list[list[float]] = [[float(order[0])]]
    for h in order[1:]:
        if h - groups[-1][-1] <= ztol:
            groups[-1].append(float(h))
        else:
            groups.append([float(h)])
    if period is not None and len(groups) > 1 and (groups[0][0] + period - groups[-1][-1]) <= ztol:
        groups[0] = [g - period for g in groups[-1]] + groups[0]
        groups.pop()
    centres = [float(np.mean(g)) for g in groups]
    if period is not None:
        centres = sorted(c % period for c in centres)
    return centres


def _finalize_ouc(
    atoms: Atoms, miller: tuple[int, int, int], ztol: float, flipped: bool
) -> SurfaceCell:
    cell, pos = _standard_orientation(atoms.cell.array, atoms.positions)
    # make c as upright as possible (subtract in-plane lattice vectors)
    c = cell[2].copy()
    inplane = cell[:2, :2]
    coef = np.linalg.solve(inplane.T, c[:2])
    c[:2] -= np.round(coef) @ inplane
    cell[2] = c
    ouc = Atoms(numbers=atoms.numbers, positions=pos, cell=cell, pbc=True)
    ouc.wrap(eps=1e-9)
    period = float(cell[2, 2])
    heights = ouc.get_scaled_positions(wrap=True)[:, 2] * period
    planes = _cluster_heights(heights, period, ztol)
    if len(planes) == 1:
        cuts_h = [(planes[0] + period / 2) % period]
    else:
        ext = [*planes, planes[0] + period]
        cuts_h = [0.5 * (ext[i] + ext[i + 1]) % period for i in range(len(planes))]
    cuts = tuple(sorted(h / period for h in cuts_h))
    return SurfaceCell(miller, ouc, tuple(planes), cuts, flipped)


def surface_cell(
    bulk: Atoms, miller: Sequence[int], *, symprec: float = 0.01, ztol: float = 0.1
) -> SurfaceCell:
    """Oriented unit cell of plane ``miller`` with the primitive in-plane cell.

    Parameters
    ----------
    bulk : ase.Atoms
        Bulk crystal (any setting; converted to the conventional standard cell).
    miller : sequence of 3 int
        Plane of the conventional standard cell.
    symprec : float
        Symmetry tolerance for the conventional cell (Å).
    ztol : float
        Atoms closer than this along the normal (Å) belong to the same atomic plane.
    """
    from pymatgen.core.surface import SlabGenerator
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    hkl = _check_miller(miller)
    conv = SpacegroupAnalyzer(
        _to_pymatgen(bulk), symprec=symprec
    ).get_conventional_standard_structure()
    gen = SlabGenerator(conv, hkl, min_slab_size=1, min_vacuum_size=1, primitive=False)
    ouc = AseAtomsAdaptor.get_atoms(gen.oriented_unit_cell)
    ouc = _reduce_ouc(ouc)
    return _finalize_ouc(ouc, hkl, ztol, flipped=False)


def low_index_planes(
    bulk: Atoms, max_index: int = 1, *, symprec: float = 0.01
) -> list[tuple[int, int, int]]:
    """Symmetry-distinct planes with indices up to ``max_index`` (conventional standard cell).

    For cubic crystals and ``max_index = 1``: (100), (110), (111).
    """
    from pymatgen.core.surface import get_symmetrically_distinct_miller_indices
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    conv = SpacegroupAnalyzer(
        _to_pymatgen(bulk), symprec=symprec
    ).get_conventional_standard_structure()
    return [
        tuple(int(x) for x in m) for m in get_symmetrically_distinct_miller_indices(conv, max_index)
    ]  # type: ignore[misc]


def flipped_cell(cell: SurfaceCell, ztol: float = 0.1) -> SurfaceCell:
    """The same crystal turned upside down (proper rotation by 180 degrees about x)."""
    rot = np.diag([1.0, -1.0, -1.0])
    a, b, c = cell.atoms.cell.array @ rot.T
    pos = cell.atoms.positions @ rot.T
    new = Atoms(numbers=cell.atoms.numbers, positions=pos, cell=[b, a, -c], pbc=True)
    return _finalize_ouc(new, cell.miller, ztol, flipped=not cell.flipped)


def _check_miller(miller: Sequence[int]) -> tuple[int, int, int]:
    try:
        hkl = tuple(int(x) for x in miller)
    except (TypeError, ValueError):
        raise InputError(f"Miller index must be three integers (got {miller!r})") from None
    if len(hkl) != 3 or not any(hkl):
        raise InputError(f"Miller index must be three integers, not all zero (got {miller!r})")
    g = math.gcd(math.gcd(abs(hkl[0]), abs(hkl[1])), abs(hkl[2]))
    return (hkl[0] // g, hkl[1] // g, hkl[2] // g)


# --------------------------------------------------------------------------------------------
# Slab construction
# --------------------------------------------------------------------------------------------


def cut_slab(cell: SurfaceCell, bottom: float, top: float, *, vacuum_A: float = 12.0) -> Atoms:
    """Atoms of ``cell`` between the fractional cuts ``bottom < top`` (may span several periods).

    The result has cell ``(a, b, (0, 0, thickness + vacuum))`` with the slab centred.
    """
    if top <= bottom:
        raise InputError(f"top cut {top} must lie above bottom cut {bottom}")
    ouc = cell.atoms
    frac = ouc.get_scaled_positions(wrap=True)
    lo, hi = math.floor(bottom) - 1, math.ceil(top) + 1
    pos, nums = [], []
    for k in range(lo, hi + 1):
        fz = frac[:, 2] + k
        sel = (fz > bottom) & (fz < top)
        if sel.any():
            f = frac[sel].copy()
            f[:, 2] = fz[sel]
            pos.append(f @ ouc.cell.array)
            nums.append(ouc.numbers[sel])
    if not pos:
        raise InputError("the cuts leave no atoms in the slab")
    positions = np.vstack(pos)
    numbers = np.concatenate(nums)
    zmin, zmax = positions[:, 2].min(), positions[:, 2].max()
    thickness = zmax - zmin
    new_cell = np.array(ouc.cell.array)
    new_cell[2] = [0.0, 0.0, thickness + vacuum_A]
    positions[:, 2] += vacuum_A / 2 - zmin
    slab = Atoms(numbers=numbers, positions=positions, cell=new_cell, pbc=True)
    slab.wrap(eps=1e-9)
    order = np.lexsort((slab.positions[:, 1], slab.positions[:, 0], slab.positions[:, 2]))
    return slab[order]


def layer_indices(atoms: Atoms, ztol: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Plane index of every atom (0 = lowest) and the plane heights of a slab (Å)."""
    z = atoms.positions[:, 2]
    planes = np.array(_cluster_heights(z, None, ztol))
    idx = np.array([int(np.argmin(np.abs(planes - zi))) for zi in z], dtype=int)
    return idx, planes


def _face_fingerprint(cell: SurfaceCell, cut: float) -> list[tuple[int, np.ndarray]]:
    """Descriptor of the upward face of ``cut``: one (Z, [depth, RDF...]) per top-two-plane atom."""
    periods = max(2, math.ceil((_FP_CUTOFF_A + 4.0) / cell.period_A) + 1)
    slab = cut_slab(cell, cut - periods, cut, vacuum_A=20.0)
    slab.pbc = (True, True, False)
    idx, planes = layer_indices(slab)
    top = len(planes) - 1
    chosen = np.where(idx >= top - 1)[0]
    ztop = planes[-1]
    species = sorted(set(slab.numbers.tolist()))
    i_idx, j_idx, d = neighbor_list("ijd", slab, _FP_CUTOFF_A)
    out = []
    norm = 1.0 / (_FP_SIGMA * math.sqrt(2 * math.pi))
    for i in chosen:
        mask = i_idx == i
        feats = [ztop - slab.positions[i, 2]]
        for sp in species:
            dd = d[mask & (slab.numbers[j_idx] == sp)]
            g = norm * np.exp(-0.5 * ((_FP_GRID[:, None] - dd[None, :]) / _FP_SIGMA) ** 2).sum(
                axis=1
            )
            feats.extend(g.tolist())
        out.append((int(slab.numbers[i]), np.array(feats)))
    return out


def _same_face(fa: list[tuple[int, np.ndarray]], fb: list[tuple[int, np.ndarray]]) -> bool:
    from scipy.optimize import linear_sum_assignment

    if len(fa) != len(fb):
        return False
    if sorted(z for z, _ in fa) != sorted(z for z, _ in fb):
        return False
    cost = np.full((len(fa), len(fb)), 1e6)
    for i, (za, va) in enumerate(fa):
        for j, (zb, vb) in enumerate(fb):
            if za == zb and len(va) == len(vb):
                cost[i, j] = float(np.max(np.abs(va - vb)))
    rows, cols = linear_sum_assignment(cost)
    return bool(np.max(cost[rows, cols]) < _FP_TOL)


def find_terminations(
    bulk: Atoms, miller: Sequence[int], *, symprec: float = 0.01, ztol: float = 0.1
) -> tuple[SurfaceCell, SurfaceCell, list[Termination]]:
    """Symmetry-distinct upward-facing terminations of plane ``miller``.

    Returns
    -------
    (cell, flipped, terminations)
        The OUC, its upside-down version, and the terminations (each refers to one of the two).
    """
    cell = surface_cell(bulk, miller, symprec=symprec, ztol=ztol)
    flip = flipped_cell(cell, ztol=ztol)
    faces = []  # (flipped, cut, fingerprint)
    for c_ in (cell, flip):
        for cut in c_.cuts:
            faces.append((c_.flipped, cut, _face_fingerprint(c_, cut)))
    classes: list[list[int]] = []
    for k, (_, _, fp) in enumerate(faces):
        for cls in classes:
            if _same_face(faces[cls[0]][2], fp):
                cls.append(k)
                break
        else:
            classes.append([k])
    terms: list[Termination] = []
    for index, cls in enumerate(classes):
        flipped, cut, _ = faces[cls[0]]
        # a symmetric slab needs a downward face of the same class in the same crystal orientation:
        # the downward face of cut s equals the upward face of cut -s in the flipped crystal
        bottoms = [(1.0 - faces[m][1]) % 1.0 for m in cls if faces[m][0] != flipped]
        symmetric = bool(bottoms)
        if symmetric:
            bottom = min(bottoms, key=lambda s: (not math.isclose(s, cut, abs_tol=1e-6), s))
        else:
            bottom = cut
        src = flip if flipped else cell
        slab = cut_slab(src, cut - 1.0, cut, vacuum_A=10.0)
        li, _ = layer_indices(slab, ztol)
        top_species = tuple(
            sorted(
                {s for s, k in zip(slab.get_chemical_symbols(), li, strict=True) if k == li.max()}
            )
        )
        label = f"({''.join(str(x) for x in cell.miller)}) t{index} [{'+'.join(top_species)}]"
        terms.append(
            Termination(cell.miller, index, label, top_species, flipped, cut, bottom, symmetric)
        )
    return cell, flip, terms


def _n_planes_between(cell: SurfaceCell, bottom: float, top: float) -> int:
    h = np.array(cell.plane_heights_A) / cell.period_A
    count = 0
    for k in range(math.floor(bottom) - 1, math.ceil(top) + 1):
        count += int(np.sum((h + k > bottom) & (h + k < top)))
    return count


def build_slab(
    cell: SurfaceCell,
    termination: Termination,
    *,
    n_layers: int = 4,
    vacuum_A: float = 12.0,
    symmetric: bool = True,
    ztol: float = 0.1,
) -> SubstrateSlab:
    """Slab with ``termination`` on top and at least ``n_layers`` atomic planes.

    Parameters
    ----------
    cell : SurfaceCell
        The OUC the termination refers to (flipped or not, as ``termination.flipped``).
    termination : Termination
    n_layers : int
        Minimum number of atomic planes.
    vacuum_A : float
        Vacuum thickness (Å).
    symmetric : bool
        Use the symmetric bottom cut when one exists (else the stoichiometric one).
    """
    if cell.flipped != termination.flipped:
        raise InputError("termination and surface cell orientation differ")
    if n_layers < 1:
        raise InputError(f"n_layers must be >= 1 (got {n_layers})")
    top = termination.cut + 10.0
    base = termination.bottom_cut if (symmetric and termination.symmetric) else termination.cut
    k = math.floor(top) - 1 + (base % 1.0)
    while k >= top:
        k -= 1.0
    bottom = k
    while _n_planes_between(cell, bottom, top) < n_layers:
        bottom -= 1.0
    atoms = cut_slab(cell, bottom, top, vacuum_A=vacuum_A)
    li, planes = layer_indices(atoms, ztol)
    sym = bool(symmetric and termination.symmetric)
    bulk_counts = _counts(cell.atoms)
    slab_counts = _counts(atoms)
    stoich = _proportional(slab_counts, bulk_counts)
    atoms.set_tags(li)
    return SubstrateSlab(
        termination=termination,
        atoms=atoms,
        n_layers=len(planes),
        layer_index=tuple(int(x) for x in li),
        symmetric=sym,
        stoichiometric=stoich,
        thickness_A=float(planes[-1] - planes[0]),
        area_A2=cell.area_A2,
        cell=cell,
    )


def _counts(atoms: Atoms) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in atoms.get_chemical_symbols():
        out[s] = out.get(s, 0) + 1
    return out


def _proportional(a: dict[str, int], b: dict[str, int]) -> bool:
    if set(a) != set(b):
        return False
    keys = sorted(a)
    ra = np.array([a[k] for k in keys], float)
    rb = np.array([b[k] for k in keys], float)
    return bool(np.allclose(ra / ra.sum(), rb / rb.sum(), atol=1e-9))


def substrate_slabs(
    bulk: Atoms,
    *,
    millers: Sequence[Sequence[int]] = DEFAULT_MILLERS,
    n_layers: int = 4,
    vacuum_A: float = 12.0,
    symmetric: bool = True,
    stoichiometric: bool = False,
    max_atoms: int | None = None,
    symprec: float = 0.01,
    ztol: float = 0.1,
) -> list[SubstrateSlab]:
    """All symmetry-distinct terminations of the given planes, one slab each (1x1 surface cell).

    Parameters
    ----------
    bulk : ase.Atoms
        Relaxed bulk substrate.
    millers : sequence of Miller indices
        Planes of the conventional standard cell (default (100), (110), (111)).
    n_layers : int
        Minimum number of atomic planes per slab.
    vacuum_A : float
        Vacuum thickness (Å).
    symmetric : bool
        Prefer symmetric slabs (same termination on both faces) where they exist.
    stoichiometric : bool
        Only stoichiometric slabs: symmetric when a stoichiometric symmetric slab exists,
        otherwise the stoichiometric slab with the termination on top and another face below.
    max_atoms : int, optional
        Leave out slabs with more atoms than this (in the primitive surface cell).

    Returns
    -------
    list of SubstrateSlab
        Ordered by plane, then termination index.
    """
    out: list[SubstrateSlab] = []
    seen: set[tuple[int, int, int]] = set()
    for miller in millers:
        hkl = _check_miller(miller)
        if hkl in seen:
            continue
        seen.add(hkl)
        cell, flip, terms = find_terminations(bulk, hkl, symprec=symprec, ztol=ztol)
        for term in terms:
            sym = symmetric
            if stoichiometric:
                sym = symmetric and math.isclose(term.bottom_cut, term.cut, abs_tol=1e-6)
            slab = build_slab(
                flip if term.flipped else cell,
                term,
                n_layers=n_layers,
                vacuum_A=vacuum_A,
                symmetric=sym,
                ztol=ztol,
            )
            if max_atoms is not None and len(slab.atoms) > max_atoms:
                logger.info(
                    "%s: %d atoms > max_atoms=%d, left out", term.label, len(slab.atoms), max_atoms
                )
                continue
            out.append(slab)
    return out


def formal_charges(bulk: Atoms) -> dict[str, float] | None:
    """Formal oxidation states of an ionic crystal (pymatgen's first guess) or ``None``.

    ``None`` for metals and intermetallics (no charge-balanced guess, or all states zero), for
    which surface polarity has no meaning (metallic screening).
    """
    from pymatgen.core import Composition

    guesses = Composition(bulk.get_chemical_formula()).oxi_state_guesses(max_sites=-50)
    if not guesses or all(abs(q) < 1e-9 for q in guesses[0].values()):
        return None
    return {el: float(q) for el, q in guesses[0].items()}


def is_polar(slab: SubstrateSlab, charges: dict[str, float] | None, tol: float = 1e-3) -> bool:
    """True for a charged or polar slab of an ionic crystal (Tasker type 3 or non-neutral).

    With formal charges ``q_i``, the slab is charged when ``sum q_i != 0`` and polar when its
    dipole ``sum q_i z_i`` per area is non-zero (e/Å). Such slabs have thickness-divergent
    energies without reconstruction and are left out of the termination ranking by default.
    """
    if charges is None:
        return False
    q = np.array([charges[s] for s in slab.atoms.get_chemical_symbols()])
    if abs(q.sum()) > tol:
        return True
    z = slab.atoms.positions[:, 2]
    dipole = float(np.sum(q * (z - z.mean()))) / slab.area_A2
    return abs(dipole) > tol
