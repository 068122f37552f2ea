"""Small physics set for validating a calculator against a reference (ML potentials vs DFT).

Pure science: structure builders, :func:`surface_energy` (a relaxed slab cut from a bulk cell),
:func:`vacancy_hop` (a nearest-neighbour vacancy hop barrier by NEB in a small supercell) and
:func:`deviation_table`. Each takes ``(atoms, calc, *, options)`` and returns a frozen dataclass;
the orchestration through the results store lives in :mod:`alloyscreen.ml_vs_dft`.

These functions are deliberately small and self-contained. The adhesion (slabs, W_ad) and
migration (CI-NEB) modules are the general tools; this set only needs a symmetric elemental slab
and one hop whose saddle lies at the path midpoint by symmetry.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.build import bulk, surface
from ase.calculators.calculator import Calculator

from alloyscreen.errors import CalculationError, InputError
from alloyscreen.properties.bulk import relax_bulk
from alloyscreen.properties.counting import count_calls

logger = logging.getLogger(__name__)

#: 1 eV/Å² in J/m² (1.602176634e-19 J / 1e-20 m², exact SI definitions).
EV_PER_A2_TO_J_PER_M2 = 16.02176634


# --------------------------------------------------------------------------------------------
# Structures (starting points; every calculator relaxes them itself)
# --------------------------------------------------------------------------------------------


def bcc_li(a_A: float = 3.435) -> Atoms:
    """bcc Li, 2-atom cubic cell. Default ``a``: GPAW/PBE value measured for this project
    (DESIGN.md §5, docs/dft.md) — only a starting point for relaxations."""
    return bulk("Li", "bcc", a=a_A, cubic=True)


def fcc_al(a_A: float | None = None) -> Atoms:
    """fcc Al, 1-atom primitive cell (default ``a``: ASE's reference state, from Kittel)."""
    return bulk("Al", "fcc") if a_A is None else bulk("Al", "fcc", a=a_A)


def b32_lial(a_A: float = 6.364) -> Atoms:
    """B32 (NaTl-type, Fd-3m) LiAl in its 4-atom primitive cell.

    Li on 8a (0,0,0), (1/4,1/4,1/4) and Al on 8b (1/2,1/2,1/2), (3/4,3/4,3/4) of the cubic cell
    with lattice constant ``a`` (default: GPAW/PBE value measured for this project, DESIGN.md §5;
    a starting point only). The conventional constant is ``sqrt(2)`` times a primitive vector.
    """
    cell = 0.5 * a_A * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    cart = a_A * np.array([[0, 0, 0], [0.25, 0.25, 0.25], [0.5, 0.5, 0.5], [0.75, 0.75, 0.75]])
    return Atoms("Li2Al2", positions=cart, cell=cell, pbc=True)


def conventional_cubic_a(atoms: Atoms) -> float:
    """Conventional cubic lattice constant (Å) of an fcc-based primitive cell (B32, fcc)."""
    return float(np.mean(atoms.cell.lengths()) * math.sqrt(2.0))


# --------------------------------------------------------------------------------------------
# Surface energy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceEnergyResult:
    """Surface energy of a symmetric slab against the bulk it was cut from.

    Attributes
    ----------
    formula : str
        Reduced formula of the slab.
    miller : tuple of int
        Surface orientation (of the input cell).
    n_atoms, n_planes : int
        Atoms in the slab and atomic planes along the normal.
    area_A2 : float
        Area of one face of the slab cell (Å²).
    slab_energy_eV : float
        Energy of the (relaxed) slab.
    bulk_energy_per_atom_eV : float
        Energy per atom of the oriented bulk cell (same in-plane cell as the slab).
    surface_energy_eV_A2, surface_energy_J_m2 : float
        ``(E_slab - N e_bulk) / (2 A)``.
    unrelaxed_surface_energy_J_m2 : float
        The same with the slab as cut.
    relaxed, converged : bool
        Whether positions were relaxed and the relaxation converged.
    n_steps, n_force_calls : int
        Optimizer steps and energy/force evaluations (bulk and slab).
    calculator_settings : dict
        What a DFT calculator chose for the slab (k-points, dipole...); empty for ML potentials.
    atoms : ase.Atoms
        The final slab.
    """

    formula: str
    miller: tuple[int, int, int]
    n_atoms: int
    n_planes: int
    area_A2: float
    slab_energy_eV: float
    bulk_energy_per_atom_eV: float
    surface_energy_eV_A2: float
    surface_energy_J_m2: float
    unrelaxed_surface_energy_J_m2: float
    relaxed: bool
    converged: bool
    n_steps: int
    n_force_calls: int
    calculator_settings: dict
    atoms: Atoms


def _describe(calc: Calculator, atoms: Atoms) -> dict:
    describe = getattr(calc, "describe", None)
    return dict(describe(atoms)) if callable(describe) else {}


def _n_planes(atoms: Atoms, axis: int = 2, tol_A: float = 0.1) -> int:
    z = np.sort(atoms.positions[:, axis])
    return int(1 + np.count_nonzero(np.diff(z) > tol_A))


def surface_energy(
    atoms: Atoms,
    calc: Calculator,
    *,
    miller: Sequence[int] = (1, 0, 0),
    layers: int = 3,
    vacuum_A: float = 5.0,
    relax: bool = True,
    fmax: float = 0.05,
    max_steps: int = 200,
) -> SurfaceEnergyResult:
    """Surface energy (J/m²) of the ``miller`` surface of the bulk structure ``atoms``.

    The slab is ``ase.build.surface(atoms, miller, layers, vacuum_A)`` (``layers`` repeats of the
    oriented bulk cell; for the 2-atom cubic bcc cell and (100) each repeat is two atomic planes),
    periodic in all directions with ``2 vacuum_A`` of vacuum. The bulk reference is the oriented
    bulk cell ``surface(atoms, miller, 1, periodic=True)``: it has the slab's in-plane cell, so a
    DFT calculator with a k-point density uses the same in-plane k-points for both.

    Parameters
    ----------
    atoms : ase.Atoms
        Relaxed bulk structure (relaxed with the same calculator).
    calc : Calculator
    miller : sequence of 3 int
    layers : int
        Repeats of the oriented cell along the normal.
    vacuum_A : float
        Vacuum on each side of the slab (Å).
    relax : bool
        Relax the slab's atomic positions (fixed cell, symmetry kept) with BFGS.
    fmax : float
        Force threshold (eV/Å).
    max_steps : int
        Optimizer step limit.

    Raises
    ------
    CalculationError
        The slab relaxation did not converge (the unconverged result is attached).
    """
    if len(tuple(miller)) != 3:
        raise InputError(f"miller must have 3 indices, got {tuple(miller)}")
    if layers < 1 or vacuum_A <= 0:
        raise InputError(f"need layers >= 1 and vacuum_A > 0 (got {layers}, {vacuum_A})")
    miller_t = tuple(int(i) for i in miller)
    oriented = surface(atoms, miller_t, 1, periodic=True)
    oriented.pbc = True
    slab = surface(atoms, miller_t, layers, vacuum=vacuum_A)
    slab.pbc = True
    area = float(np.linalg.norm(np.cross(slab.cell[0], slab.cell[1])))
    with count_calls(calc) as counter:
        oriented.calc = calc
        e_bulk = float(oriented.get_potential_energy()) / len(oriented)
        work = slab.copy()
        work.calc = calc
        e_unrelaxed = float(work.get_potential_energy())
    n_calls = counter.n_calls
    n_steps = 0
    converged = True
    e_slab = e_unrelaxed
    final = slab
    settings = _describe(calc, slab)
    if relax:
        res = relax_bulk(
            slab, calc, fmax=fmax, max_steps=max_steps, relax_cell=False, keep_symmetry=True
        )
        e_slab, final, converged = res.energy_eV, res.atoms, res.converged
        n_steps, n_calls = res.n_steps, n_calls + res.n_force_calls
    n = len(slab)
    gamma = (e_slab - n * e_bulk) / (2.0 * area)
    gamma0 = (e_unrelaxed - n * e_bulk) / (2.0 * area)
    result = SurfaceEnergyResult(
        formula=slab.get_chemical_formula(mode="reduce"),
        miller=miller_t,  # type: ignore[arg-type]
        n_atoms=n,
        n_planes=_n_planes(slab),
        area_A2=area,
        slab_energy_eV=float(e_slab),
        bulk_energy_per_atom_eV=e_bulk,
        surface_energy_eV_A2=float(gamma),
        surface_energy_J_m2=float(gamma * EV_PER_A2_TO_J_PER_M2),
        unrelaxed_surface_energy_J_m2=float(gamma0 * EV_PER_A2_TO_J_PER_M2),
        relaxed=relax,
        converged=converged,
        n_steps=n_steps,
        n_force_calls=n_calls,
        calculator_settings=settings,
        atoms=final,
    )
    if not converged:
        raise CalculationError(
            f"slab relaxation not converged in {max_steps} steps (fmax={fmax} eV/Å)", result
        )
    return result


# --------------------------------------------------------------------------------------------
# Vacancy hop
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VacancyHopResult:
    """Barrier of one nearest-neighbour vacancy hop (NEB between relaxed end points).

    Attributes
    ----------
    formula : str
        Reduced formula of the defective supercell.
    supercell : tuple of int
        Repetition of the input cell.
    n_atoms : int
        Atoms in the defective cell.
    hopping_symbol : str
    hop_distance_A : float
        Distance between the two sites (Å).
    barrier_eV : float
        Highest image energy minus the initial end point's energy.
    reverse_barrier_eV : float
        Highest image energy minus the final end point's energy.
    energies_eV : tuple of float
        Energies along the band, end points included.
    n_images : int
        Intermediate images.
    climb : bool
        Climbing image used.
    converged : bool
        End points and band below ``fmax``.
    n_steps, n_force_calls : int
        NEB optimizer steps and all energy/force evaluations.
    calculator_settings : dict
        What a DFT calculator chose for the supercell; empty for ML potentials.
    atoms : ase.Atoms
        The highest-energy image (the saddle with a climbing image).
    """

    formula: str
    supercell: tuple[int, int, int]
    n_atoms: int
    hopping_symbol: str
    hop_distance_A: float
    barrier_eV: float
    reverse_barrier_eV: float
    energies_eV: tuple[float, ...]
    n_images: int
    climb: bool
    converged: bool
    n_steps: int
    n_force_calls: int
    calculator_settings: dict
    atoms: Atoms


def vacancy_endpoints(
    atoms: Atoms, supercell: Sequence[int] = (2, 2, 2), vacancy_index: int = 0
) -> tuple[Atoms, Atoms, int, float]:
    """Initial and final structures of a nearest-neighbour vacancy hop.

    The site ``vacancy_index`` of ``atoms.repeat(supercell)`` is emptied; its nearest neighbour
    (lowest index among equidistant ones) hops into it. Returns ``(initial, final, index of the
    hopping atom in the defective cell, hop distance in Å)``; the atom order is the same in both.
    """
    reps = tuple(int(r) for r in supercell)
    if len(reps) != 3 or min(reps) < 1:
        raise InputError(f"supercell must be 3 positive integers, got {tuple(supercell)}")
    sc = atoms.repeat(reps)
    if not 0 <= vacancy_index < len(sc):
        raise InputError(f"vacancy_index {vacancy_index} outside 0..{len(sc) - 1}")
    dist = sc.get_distances(vacancy_index, range(len(sc)), mic=True)
    dist[vacancy_index] = np.inf
    d_min = float(dist.min())
    hop = int(np.flatnonzero(dist <= d_min + 1e-6)[0])
    # the hop vector under the minimum-image convention (the target may be a periodic image)
    vec = sc.get_distance(hop, vacancy_index, mic=True, vector=True)
    initial = sc.copy()
    del initial[vacancy_index]
    hop_new = hop - 1 if hop > vacancy_index else hop
    final = initial.copy()
    final.positions[hop_new] = initial.positions[hop_new] + vec
    return initial, final, hop_new, d_min


def vacancy_hop(
    atoms: Atoms,
    calc: Calculator,
    *,
    supercell: Sequence[int] = (2, 2, 2),
    vacancy_index: int = 0,
    n_images: int = 1,
    climb: bool = True,
    fmax: float = 0.05,
    max_steps: int = 200,
) -> VacancyHopResult:
    """Vacancy hop barrier (eV) in a supercell of the bulk structure ``atoms``.

    Both end points are relaxed at fixed cell (BFGS), ``n_images`` intermediate images are
    interpolated linearly and the band is optimized with ASE's NEB (one shared calculator,
    climbing image by default) and BFGS. For a nearest-neighbour hop in a Bravais lattice (bcc
    Li) the midpoint of the hop is an inversion centre, so one climbing image sits on the saddle.

    Parameters
    ----------
    atoms : ase.Atoms
        Relaxed bulk structure (relaxed with the same calculator).
    calc : Calculator
    supercell : sequence of 3 int
        Repetition of ``atoms`` (2x2x2 of the cubic bcc cell: 16 sites, 15 atoms).
    vacancy_index : int
        Site emptied in the supercell.
    n_images : int
        Intermediate NEB images.
    climb : bool
        Climbing-image NEB.
    fmax : float
        Force threshold (eV/Å) for the end points and the band.
    max_steps : int
        Step limit of each optimization.

    Raises
    ------
    CalculationError
        An end point or the band did not converge (the unconverged result is attached).
    """
    from ase.mep import NEB
    from ase.optimize import BFGS

    if n_images < 1:
        raise InputError(f"n_images must be >= 1 (got {n_images})")
    initial, final, hop, distance = vacancy_endpoints(atoms, supercell, vacancy_index)
    settings = _describe(calc, initial)
    ends = []
    n_calls = 0
    converged = True
    for end in (initial, final):
        res = relax_bulk(
            end, calc, fmax=fmax, max_steps=max_steps, relax_cell=False, keep_symmetry=False
        )
        ends.append(res.atoms)  # carries a single-point calculator with its energy and forces
        n_calls += res.n_force_calls
        converged &= res.converged
    images = [ends[0]]
    for i in range(1, n_images + 1):
        image = ends[0].copy()
        t = i / (n_images + 1)
        image.positions = (1 - t) * ends[0].positions + t * ends[1].positions
        image.calc = calc
        images.append(image)
    images.append(ends[1])
    neb = NEB(images, climb=climb, method="improvedtangent", allow_shared_calculator=True)
    with count_calls(calc) as counter:
        opt = BFGS(neb, logfile=None)
        band_converged = bool(opt.run(fmax=fmax, steps=max_steps))
    n_calls += counter.n_calls
    energies = tuple(float(e) for e in neb.energies)
    top = int(np.argmax(energies[1:-1])) + 1
    saddle = images[top].copy()
    saddle.calc = None
    result = VacancyHopResult(
        formula=initial.get_chemical_formula(mode="reduce"),
        supercell=tuple(int(r) for r in supercell),  # type: ignore[arg-type]
        n_atoms=len(initial),
        hopping_symbol=initial[hop].symbol,
        hop_distance_A=distance,
        barrier_eV=energies[top] - energies[0],
        reverse_barrier_eV=energies[top] - energies[-1],
        energies_eV=energies,
        n_images=n_images,
        climb=climb,
        converged=converged and band_converged,
        n_steps=int(opt.nsteps),
        n_force_calls=n_calls,
        calculator_settings=settings,
        atoms=saddle,
    )
    if not result.converged:
        what = "end-point relaxation" if not converged else "NEB band"
        raise CalculationError(f"{what} not converged in {max_steps} steps (fmax={fmax})", result)
    return result


# --------------------------------------------------------------------------------------------
# Deviation table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """One row of the validation set: key, label and unit."""

    key: str
    label: str
    unit: str


#: The validation set, in table order.
QUANTITIES: tuple[Quantity, ...] = (
    Quantity("li_bcc_a_A", "bcc Li lattice constant a", "Å"),
    Quantity("lial_b32_a_A", "B32 LiAl lattice constant a", "Å"),
    Quantity("lial_formation_eV_atom", "LiAl formation energy", "eV/atom"),
    Quantity("li100_surface_energy_J_m2", "Li(100) surface energy", "J/m²"),
    Quantity("li_vacancy_hop_barrier_eV", "Li vacancy hop barrier", "eV"),
)


@dataclass(frozen=True)
class Deviation:
    """Value of one quantity for one calculator next to the reference (``value - reference``).

    ``deviation`` and ``relative_percent`` are ``None`` when either value is missing.
    """

    quantity: str
    label: str
    unit: str
    calculator: str
    reference_value: float | None
    value: float | None
    deviation: float | None
    relative_percent: float | None


def deviation_table(
    values: Mapping[str, Mapping[str, float | None]],
    reference: str,
    quantities: Sequence[Quantity] = QUANTITIES,
) -> tuple[Deviation, ...]:
    """Deviations (calculator − reference) for every quantity and every non-reference calculator.

    Parameters
    ----------
    values : mapping
        Calculator -> quantity key -> value (``None`` or absent: not available).
    reference : str
        The reference calculator (a key of ``values``).
    quantities : sequence of Quantity
        Rows, in order.
    """
    if reference not in values:
        raise InputError(f"no values for the reference calculator '{reference}'")
    rows = []
    ref_values = values[reference]
    for q in quantities:
        ref = ref_values.get(q.key)
        for name, vals in values.items():
            if name == reference:
                continue
            v = vals.get(q.key)
            dev = None if ref is None or v is None else float(v - ref)
            rel = None if dev is None or ref == 0 else 100.0 * dev / abs(float(ref))
            rows.append(Deviation(q.key, q.label, q.unit, name, ref, v, dev, rel))
    return tuple(rows)
