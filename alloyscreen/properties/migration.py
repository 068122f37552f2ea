"""Li migration barriers (CI-NEB), the network barrier of long-range diffusion and a D(T) estimate.

Pure science: ``migration_barriers(atoms, calc, *, options) -> MigrationResult``; no store, no CLI.

The workflow, for a relaxed bulk structure:

1. **Hops** (:mod:`alloyscreen.structures.hops`): the symmetry-distinct nearest-neighbour hops of
   the species (vacancy mechanism by default, interstitial on request), in the smallest supercell
   whose lattice vectors are all at least ``min_length_A`` long. Endpoints share one atom list:
   the same atom moves, nothing is re-sorted.
2. **Endpoints** are relaxed at fixed cell (positions only) and checked: an endpoint whose atoms
   leave their sites, or two endpoints that relax into each other, fail the hop ("endpoint
   changed") instead of giving a barrier for a different process.
3. **Path**: linear interpolation with the minimum-image convention, refined with IDPP (Smidstrup
   et al., J. Chem. Phys. 140, 214106 (2014), doi:10.1063/1.4878664); NEB with the improved tangent
   (Henkelman & Jónsson, J. Chem. Phys. 113, 9978 (2000), doi:10.1063/1.1323224) relaxed loosely
   (``pre_fmax``) before the climbing image (Henkelman, Uberuaga & Jónsson, J. Chem. Phys. 113,
   9901 (2000), doi:10.1063/1.1329672) is switched on and the band converged to ``fmax``. Images
   already converged are not recomputed (dynamic NEB: Lindgren, Kastlunger & Peterson, J. Chem.
   Theory Comput. 15, 5787 (2019), doi:10.1021/acs.jctc.9b00633); every image has its own cached
   view of the one calculator, so an unchanged image never costs a force call.
4. **Checks**: the band's forces are recomputed at the end from the cached results (no force
   calls) *including the climbing image*, and convergence is only accepted below ``fmax``. Zero
   force calls, a flat path, a path without an interior maximum and a discontinuous path are
   false convergence; running out of steps is non-convergence. Either way the hop is stored with
   its status and reason and **no barrier**.
5. **Network barrier** E*: the lowest saddle energy (relative to the lowest endpoint energy of the
   sites involved) at which the hops at or below it connect into a network that percolates through
   the crystal in 1, 2 or 3 dimensions (periodic-graph dimensionality).
6. **Diffusion coefficient estimate** (see :func:`diffusion_coefficient`).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.geometry import find_mic
from ase.units import kB

from alloyscreen.errors import CalculationError, InputError
from alloyscreen.formula import reduced_formula
from alloyscreen.properties.counting import count_calls
from alloyscreen.structures.hops import (
    MECHANISMS,
    Hop,
    HopSet,
    find_hops,
    hop_endpoints,
    migration_supercell,
    shortest_lattice_vector,
)

logger = logging.getLogger(__name__)

NEB_OPTIMIZERS = ("FIRE", "BFGS", "LBFGS", "MDMin", "ode")
INTERPOLATIONS = ("idpp", "linear")

#: Temperatures of the stored Arrhenius line (K).
ARRHENIUS_T_K = (250.0, 298.15, 350.0, 400.0, 500.0, 600.0)

DIFFUSION_NOTE = (
    "estimate: D = (1/(2d)) z a^2 nu0 c_v exp(-E*/kT), random-walk (no correlation factor), "
    "harmonic transition-state theory with one attempt frequency nu0 for every hop, E* the "
    "network (percolation) barrier from static CI-NEB with the chosen calculator, d its "
    "dimensionality, z the hops per site at or below E*, a the jump length, c_v the vacancy (or "
    "interstitial) site fraction given as a parameter (1 = diffusivity of the defect itself). "
    "Not a measured or tracer diffusion coefficient."
)


# ----- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HopResult:
    """CI-NEB outcome of one symmetry-distinct hop.

    Attributes
    ----------
    hop_id : int
        Index among the distinct hops of its mechanism (shortest first).
    mechanism : {"vacancy", "interstitial"}
    species : str
    status : {"converged", "unconverged", "failed"}
        Only ``converged`` hops carry barriers.
    reason : str or None
        Why the hop is unconverged or failed (false convergence, endpoint change...).
    converged : bool
    barrier_eV, barrier_reverse_eV : float or None
        Saddle (climbing image) energy minus initial / final endpoint energy (eV).
    reaction_energy_eV : float or None
        Final minus initial endpoint energy (eV).
    hop_length_A : float
        Distance between the two sites (Å).
    multiplicity : int
        Hops of this kind per primitive cell.
    wyckoff_from, wyckoff_to : str
        Wyckoff labels of the sites the atom leaves and enters.
    orbit_from, orbit_to : int
        Site orbits (network nodes) of the two ends.
    n_images : int
        Intermediate images (the band has ``n_images + 2`` structures).
    saddle_image : int or None
        Index (0 = initial) of the highest image, the climbing image.
    steps : int
        NEB optimizer steps (both stages).
    n_force_calls : int
        Energy/force evaluations spent on this hop: endpoint relaxations plus every NEB image
        evaluation (``n_force_calls_endpoints + n_force_calls_neb``).
    max_force_eV_A : float or None
        Largest NEB force (climbing image included) at the end (eV/Å).
    initial_energy_eV, final_energy_eV, saddle_energy_eV : float or None
        Absolute energies (eV) of the supercell.
    endpoint_displacement_A : float or None
        Largest displacement of any atom during the endpoint relaxations (Å).
    mep_reaction_coordinate_A, mep_energies_eV : tuple of float
        The minimum energy path: cumulative image distance (Å) and energy relative to the initial
        state (eV), one value per image.
    mep_fit_coordinate_A, mep_fit_energies_eV : tuple of float
        Cubic fit through energies and path-projected forces (as ASE's NEBTools plots it).
    images : tuple of ase.Atoms
        The band (endpoints included), for plots and restarts.
    wall_time_s : float
    """

    hop_id: int
    mechanism: str
    species: str
    status: str
    reason: str | None
    converged: bool
    barrier_eV: float | None
    barrier_reverse_eV: float | None
    reaction_energy_eV: float | None
    hop_length_A: float
    multiplicity: int
    wyckoff_from: str
    wyckoff_to: str
    orbit_from: int
    orbit_to: int
    n_images: int
    saddle_image: int | None
    steps: int
    n_force_calls: int
    n_force_calls_endpoints: int
    n_force_calls_neb: int
    max_force_eV_A: float | None
    initial_energy_eV: float | None
    final_energy_eV: float | None
    saddle_energy_eV: float | None
    endpoint_displacement_A: float | None
    mep_reaction_coordinate_A: tuple[float, ...] = ()
    mep_energies_eV: tuple[float, ...] = ()
    mep_fit_coordinate_A: tuple[float, ...] = ()
    mep_fit_energies_eV: tuple[float, ...] = ()
    images: tuple[Atoms, ...] = ()
    wall_time_s: float = 0.0


@dataclass(frozen=True)
class NetworkBarrier:
    """Percolation analysis of the hop network.

    Attributes
    ----------
    barrier_eV : float or None
        E*: lowest barrier at which the hops percolate in any dimension (eV).
    dimensionality : int
        Dimensionality (1, 2, 3) of the percolating network at E*; 0 if none percolates.
    barrier_1d_eV, barrier_2d_eV, barrier_3d_eV : float or None
        Lowest barrier for percolation in at least 1, 2, 3 dimensions.
    hop_ids : tuple of int
        Distinct hops used at E*.
    coordination : float or None
        Mean number of hops (at or below E*) leaving a site of the percolating network (z).
    jump_length_A : float or None
        Root-mean-square jump length of those hops (a, Å).
    """

    barrier_eV: float | None
    dimensionality: int
    barrier_1d_eV: float | None
    barrier_2d_eV: float | None
    barrier_3d_eV: float | None
    hop_ids: tuple[int, ...]
    coordination: float | None
    jump_length_A: float | None


@dataclass(frozen=True)
class MigrationResult:
    """Migration barriers of one structure, its network barrier and a diffusion estimate.

    Attributes
    ----------
    formula, species : str
    mechanism : str
        ``vacancy``, ``interstitial`` or ``vacancy+interstitial``.
    space_group : str
    supercell_n_atoms : int
        Atoms in the perfect supercell (before the defect).
    supercell_matrix : tuple
        Supercell vectors in units of the primitive cell's.
    supercell_min_image_A : float
        Shortest supercell lattice vector (defect-image distance, Å).
    n_hops_found, n_hops_computed, n_hops_converged : int
        Distinct hops found, computed (``max_hops``), converged.
    hops : tuple of HopResult
    network_barrier_eV : float or None
        E* (see :class:`NetworkBarrier`), eV.
    network_dimensionality : int
        0 when the converged hops do not percolate.
    network_barrier_1d_eV, network_barrier_2d_eV, network_barrier_3d_eV : float or None
    network_mechanism : str or None
        Mechanism of the network giving E*.
    network_hop_ids : tuple of int
    network : dict
        The periodic hop graph(s) (sites, orbits, edges), to redo the analysis from the store.
    D_298K_cm2_s : float or None
        Diffusion coefficient estimate at 298.15 K (cm^2/s); see ``diffusion_note``.
    D0_cm2_s : float or None
        Its prefactor (1/(2d)) z a^2 nu0 c_v (cm^2/s).
    coordination_z : float or None
    jump_length_A : float or None
    attempt_frequency_Hz, vacancy_fraction : float
        The assumptions entering D.
    arrhenius_T_K, arrhenius_D_cm2_s : tuple of float
        The Arrhenius line D(T) of the estimate.
    diffusion_note : str
        What D is and is not.
    n_force_calls : int
        Every energy/force evaluation of the whole calculation.
    fmax_eV_A : float
    n_images : int
    optimizer : str
    atoms : ase.Atoms
        The perfect supercell the hops were computed in.
    """

    formula: str
    species: str
    mechanism: str
    space_group: str
    supercell_n_atoms: int
    supercell_matrix: tuple[tuple[int, int, int], ...]
    supercell_min_image_A: float
    n_hops_found: int
    n_hops_computed: int
    n_hops_converged: int
    hops: tuple[HopResult, ...]
    network_barrier_eV: float | None
    network_dimensionality: int
    network_barrier_1d_eV: float | None
    network_barrier_2d_eV: float | None
    network_barrier_3d_eV: float | None
    network_mechanism: str | None
    network_hop_ids: tuple[int, ...]
    network: dict[str, Any]
    D_298K_cm2_s: float | None
    D0_cm2_s: float | None
    coordination_z: float | None
    jump_length_A: float | None
    attempt_frequency_Hz: float
    vacancy_fraction: float
    arrhenius_T_K: tuple[float, ...]
    arrhenius_D_cm2_s: tuple[float, ...]
    diffusion_note: str
    n_force_calls: int
    fmax_eV_A: float
    n_images: int
    optimizer: str
    atoms: Atoms = field(repr=False)


# ----- diffusion ---------------------------------------------------------------------------------


def diffusion_coefficient(
    temperature_K: float | np.ndarray,
    barrier_eV: float,
    *,
    dimensionality: int,
    coordination: float,
    jump_length_A: float,
    attempt_frequency_Hz: float = 1e13,
    vacancy_fraction: float = 1.0,
) -> float | np.ndarray:
    """Random-walk estimate D(T) = (1/(2d)) z a^2 nu0 c_v exp(-E/kT), in cm^2/s.

    Parameters
    ----------
    temperature_K : float or array
        Temperature (K).
    barrier_eV : float
        Activation energy E (eV), normally the network barrier E*.
    dimensionality : int
        d = 1, 2 or 3 (dimensionality of the percolating hop network).
    coordination : float
        z, hops per site available at or below E.
    jump_length_A : float
        a, jump length (Å).
    attempt_frequency_Hz : float
        nu0 (Hz). 1e13 Hz is the customary order of magnitude of lattice vibration frequencies
        (an assumption, not a computed value).
    vacancy_fraction : float
        c_v, fraction of sites that are vacant (vacancy mechanism) or of interstitial sites that
        are occupied; 1 gives the diffusivity of the defect itself.

    Notes
    -----
    An order-of-magnitude estimate: no correlation factor, one attempt frequency for every hop, no
    vacancy formation energy unless folded into ``vacancy_fraction``.
    """
    if dimensionality not in (1, 2, 3):
        raise InputError(f"dimensionality must be 1, 2 or 3, not {dimensionality}")
    T = np.asarray(temperature_K, dtype=float)
    a_cm = jump_length_A * 1e-8
    prefactor = (
        coordination * a_cm**2 * attempt_frequency_Hz * vacancy_fraction / (2.0 * dimensionality)
    )
    value = prefactor * np.exp(-barrier_eV / (kB * T))
    return float(value) if value.ndim == 0 else value


# ----- network ----------------------------------------------------------------------------------


def periodic_dimensionality(
    n_nodes: int, edges: Sequence[tuple[int, int, Sequence[int]]]
) -> list[tuple[int, set[int]]]:
    """Connected components of a periodic graph and the dimensionality of each.

    ``edges`` are ``(u, v, image)``: node ``u`` in the home cell joined to node ``v`` in the cell
    translated by ``image`` (integer lattice vector). A component is infinite in as many directions
    as the rank of the lattice vectors closing its cycles (0 = finite cluster, 3 = percolates in 3D).
    Returns ``[(dimensionality, nodes), ...]``.
    """
    adjacency: dict[int, list[tuple[int, np.ndarray]]] = {i: [] for i in range(n_nodes)}
    for u, v, t in edges:
        tt = np.asarray(t, dtype=int)
        adjacency[u].append((v, tt))
        adjacency[v].append((u, -tt))
    offset: dict[int, np.ndarray] = {}
    out = []
    for start in range(n_nodes):
        if start in offset or not adjacency[start]:
            continue
        offset[start] = np.zeros(3, dtype=int)
        stack = [start]
        nodes = {start}
        cycles: list[np.ndarray] = []
        while stack:
            u = stack.pop()
            for v, t in adjacency[u]:
                if v not in offset:
                    offset[v] = offset[u] + t
                    nodes.add(v)
                    stack.append(v)
                else:
                    loop = offset[u] + t - offset[v]
                    if np.any(loop):
                        cycles.append(loop)
        dim = int(np.linalg.matrix_rank(np.array(cycles, dtype=float))) if cycles else 0
        out.append((dim, nodes))
    return out


def network_barrier(
    network: Mapping[str, Any],
    saddle_energies_eV: Mapping[int, float],
    site_energies_eV: Mapping[int, float],
    hop_lengths_A: Mapping[int, float] | None = None,
) -> NetworkBarrier:
    """Lowest barrier E* at which the hop network percolates, and its dimensionality.

    Parameters
    ----------
    network : mapping
        ``HopSet.network()``: ``n_sites``, ``site_orbit`` and ``edges`` ``[u, v, image, hop_id]``.
    saddle_energies_eV : mapping
        Absolute saddle energy of each converged hop (``hop_id -> eV``); hops missing here are
        not usable.
    site_energies_eV : mapping
        Absolute energy of the relaxed defect on each site orbit (``orbit -> eV``).
    hop_lengths_A : mapping, optional
        Hop lengths, for the jump length of the D estimate.

    Notes
    -----
    The saddle energies are swept upwards; at each level the hops at or below it form a periodic
    graph. E* for a percolating component is its highest saddle minus its lowest site energy, the
    activation energy of long-range transport through it. With a single site orbit this is simply
    the largest barrier needed to percolate.
    """
    n_sites = int(network["n_sites"])
    site_orbit = list(network["site_orbit"])
    all_edges = [(int(u), int(v), tuple(t), int(h)) for u, v, t, h in network["edges"]]
    levels = sorted({saddle_energies_eV[h] for *_, h in all_edges if h in saddle_energies_eV})
    found: dict[int, float] = {}
    first: tuple[float, int, tuple[int, ...], float | None, float | None] | None = None
    for level in levels:
        active = [
            e
            for e in all_edges
            if e[3] in saddle_energies_eV and saddle_energies_eV[e[3]] <= level + 1e-9
        ]
        comps = periodic_dimensionality(n_sites, [(u, v, t) for u, v, t, _ in active])
        for dim, nodes in comps:
            if dim == 0:
                continue
            orbits = {site_orbit[n] for n in nodes}
            if any(o not in site_energies_eV for o in orbits):
                continue
            comp_edges = [e for e in active if e[0] in nodes]
            top = max(saddle_energies_eV[e[3]] for e in comp_edges)
            barrier = top - min(site_energies_eV[o] for o in orbits)
            for d in range(1, dim + 1):
                if d not in found or barrier < found[d]:
                    found[d] = barrier
            if first is None or barrier < first[0] - 1e-12:
                z = 2.0 * len(comp_edges) / len(nodes)
                a_rms = None
                if hop_lengths_A:
                    a_rms = float(np.sqrt(np.mean([hop_lengths_A[e[3]] ** 2 for e in comp_edges])))
                hop_ids = tuple(sorted({e[3] for e in comp_edges}))
                first = (barrier, dim, hop_ids, z, a_rms)
        if 3 in found:
            break
    if first is None:
        return NetworkBarrier(None, 0, None, None, None, (), None, None)
    barrier, dim, hop_ids, z, a_rms = first
    return NetworkBarrier(
        barrier_eV=float(barrier),
        dimensionality=dim,
        barrier_1d_eV=found.get(1),
        barrier_2d_eV=found.get(2),
        barrier_3d_eV=found.get(3),
        hop_ids=hop_ids,
        coordination=z,
        jump_length_A=a_rms,
    )


# ----- NEB machinery -------------------------------------------------------------------------------


class _ImageCalculator(Calculator):
    """One image's cached view of a shared calculator.

    ASE caches results per calculator and compares positions; with one calculator shared by all
    images every image would look changed on every evaluation. This view keeps each image's own
    results, so only images that moved cost a force call of ``calc``.
    """

    implemented_properties = ("energy", "forces")

    def __init__(self, calc: Calculator) -> None:
        super().__init__()
        self._calc = calc

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        work = self.atoms.copy()
        work.calc = self._calc
        # forces first: calculators that compute forces lazily (GPAW) then have both in one call
        forces = np.array(work.get_forces())
        energy = float(work.get_potential_energy())
        work.calc = None
        self.results = {"energy": energy, "forces": forces}


def _dyneb_class():  # type: ignore[no-untyped-def]
    """DyNEB whose climbing image is never frozen (see :func:`run_band`)."""
    from ase.mep import DyNEB

    class SaddleDyNEB(DyNEB):
        """ASE's DyNEB freezes every image below ``self.fmax``, the climbing image included, so
        an optimizer asked for a tighter threshold than ``self.fmax`` would spin without moving.
        Here the climbing image always moves; the others freeze below ``self.fmax``."""

        def set_positions(self, positions, adjust_positions=True):  # type: ignore[no-untyped-def]
            if not self.dynamic_relaxation:
                return super().set_positions(positions, adjust_positions)
            fmax_images = self._fmax_all(self.images)  # cached results: no force calls
            n = self.natoms
            for i, image in enumerate(self.images[1:-1]):
                moving_saddle = self.climb and i == self.imax - 1
                if fmax_images[i] >= self.fmax or moving_saddle:
                    image.set_positions(positions[i * n : (i + 1) * n])
            return None

    return SaddleDyNEB


def _optimizer(name: str, neb: Any):  # type: ignore[no-untyped-def]
    from ase.mep.neb import NEBOptimizer
    from ase.optimize import BFGS, FIRE, LBFGS, MDMin

    if name == "ode":
        return NEBOptimizer(neb, method="ode", logfile=None)
    cls = {"FIRE": FIRE, "BFGS": BFGS, "LBFGS": LBFGS, "MDMin": MDMin}[name]
    return cls(neb, logfile=None)


def _run_stage(opt: Any, fmax: float, steps: int) -> tuple[bool, int]:
    """Run ``opt`` to ``fmax`` for at most ``steps``; returns (converged, steps taken)."""
    if steps <= 0:
        return False, 0
    before = opt.nsteps
    converged = bool(opt.run(fmax=fmax, steps=steps))
    return converged, int(opt.nsteps - before)


def _band_forces(images: Sequence[Atoms], k: float, climb: bool) -> float:
    """Largest NEB force of the band (climbing image included) from cached image results."""
    from ase.mep.neb import NEB

    check = NEB(list(images), k=k, climb=climb, method="improvedtangent")
    forces = check.get_forces().reshape(len(images) - 2, -1, 3)
    return float(np.linalg.norm(forces, axis=2).max())


@dataclass
class BandRun:
    """A finished band: images (endpoints included) with their energies (eV) and forces (eV/Å),
    whether it converged (checked on every image, climbing image included), optimizer steps,
    force calls and the largest remaining NEB force (eV/Å)."""

    images: list[Atoms]
    energies: np.ndarray
    forces: list[np.ndarray]
    converged: bool
    steps: int
    n_calls: int
    max_force: float
    climbed: bool


def run_band(
    initial: Atoms,
    final: Atoms,
    calc: Calculator,
    *,
    n_images: int = 5,
    fmax: float = 0.05,
    pre_fmax: float = 0.3,
    saddle_fmax: float | None = None,
    optimizer: str = "LBFGS",
    max_steps: int = 300,
    spring_k: float = 0.1,
    interpolation: str = "idpp",
    dynamic: bool = True,
    climb: bool = True,
) -> BandRun:
    """CI-NEB between two relaxed endpoints carrying energies and forces (SinglePointCalculator).

    Stage 1 relaxes the improved-tangent band to ``pre_fmax`` (eV/Å) without climbing; stage 2
    switches the climbing image on and converges every image to ``fmax`` and, with ``dynamic``,
    the climbing image alone further to ``saddle_fmax`` (None: ``fmax``). Convergence is
    re-checked on the final band, climbing image included. Force calls are counted on ``calc``
    (each image evaluation is one call; unchanged images are served from their cache).
    """
    images = [initial.copy()]
    images[0].calc = initial.calc
    for _ in range(n_images):
        img = initial.copy()
        img.calc = _ImageCalculator(calc)
        images.append(img)
    last = final.copy()
    last.calc = final.calc
    images.append(last)
    neb = _dyneb_class()(
        images,
        k=spring_k,
        climb=False,
        fmax=pre_fmax,
        method="improvedtangent",
        dynamic_relaxation=dynamic,
    )
    neb.interpolate(method=interpolation, mic=True)
    steps = 0
    with count_calls(calc) as counter:
        converged = False
        if climb and pre_fmax > fmax:
            _, taken = _run_stage(_optimizer(optimizer, neb), pre_fmax, max_steps)
            steps += taken
        neb.climb = climb
        neb.fmax = fmax
        # With dynamic relaxation, images below fmax are frozen (zero force to the optimizer)
        # but the climbing image never is: running the optimizer to saddle_fmax converges the
        # band to fmax and the climbing image, whose energy is the barrier, tighter.
        target = fmax
        if dynamic and climb and saddle_fmax is not None:
            target = min(fmax, saddle_fmax)
        converged, taken = _run_stage(_optimizer(optimizer, neb), target, max_steps - steps)
        steps += taken
        calls = counter.n_calls
        # Honest check: all images, climbing image included, from cached results.
        max_force = _band_forces(images, spring_k, climb)
        if counter.n_calls != calls:  # pragma: no cover - the cache must make this free
            logger.warning("final band check cost %d force calls", counter.n_calls - calls)
        n_calls = counter.n_calls
    energies = np.array([img.get_potential_energy() for img in images])
    forces = [np.array(img.get_forces()) for img in images]
    converged = converged and max_force <= fmax * (1.0 + 1e-6)
    return BandRun(images, energies, forces, converged, steps, n_calls, max_force, climb)


def _relax_endpoint(
    atoms: Atoms, calc: Calculator, fmax: float, max_steps: int, optimizer: str
) -> tuple[Atoms, float, int, bool]:
    from alloyscreen.properties.bulk import relax_bulk

    res = relax_bulk(
        atoms,
        calc,
        fmax=fmax,
        max_steps=max_steps,
        optimizer=optimizer,
        relax_cell=False,
        keep_symmetry=False,
    )
    return res.atoms, res.energy_eV, res.n_force_calls, res.converged


def _mic_displacements(a: Atoms, b: Atoms) -> np.ndarray:
    d, _ = find_mic(b.positions - a.positions, a.cell, a.pbc)
    return np.linalg.norm(d, axis=1)


def _path_coordinate(images: Sequence[Atoms]) -> np.ndarray:
    s = [0.0]
    for a, b in itertools.pairwise(images):
        d, _ = find_mic(b.positions - a.positions, a.cell, a.pbc)
        s.append(s[-1] + float(np.sqrt((d**2).sum())))
    return np.array(s)


def _classify(
    band: BandRun, hop_length: float, flat_tol_eV: float
) -> tuple[str, str | None, int | None]:
    """Status, reason and saddle index of a finished band."""
    e = band.energies
    if band.n_calls == 0:
        return "failed", "false convergence: the NEB made no force calls", None
    if not np.all(np.isfinite(e)):
        return "failed", "non-finite energies along the path", None
    if float(e.max() - e.min()) < flat_tol_eV:
        return (
            "failed",
            f"false convergence: flat path (energy span {1000 * float(e.max() - e.min()):.2f} meV "
            f"< {1000 * flat_tol_eV:.2f} meV); the calculator may not respond to positions",
            None,
        )
    imax = 1 + int(np.argmax(e[1:-1]))
    if e[imax] < max(e[0], e[-1]) - 1e-9:
        return (
            "failed",
            "no energy maximum between the endpoints (the path runs downhill: an endpoint is not "
            "a stable site or the band found an intermediate minimum)",
            imax,
        )
    for a, b in itertools.pairwise(band.images):
        jump = float(_mic_displacements(a, b).max())
        if jump > hop_length:
            return (
                "failed",
                f"discontinuous path: an atom moves {jump:.2f} Å between adjacent images "
                f"(hop length {hop_length:.2f} Å)",
                imax,
            )
    if not band.converged:
        return (
            "unconverged",
            f"NEB not converged in {band.steps} steps (max force {band.max_force:.3f} eV/Å)",
            imax,
        )
    return "converged", None, imax


def _failed_hop(
    hop: Hop,
    hopset: HopSet,
    reason: str,
    n_images: int,
    calls_endpoints: int,
    t0: float,
    energies: tuple[float | None, float | None] = (None, None),
    displacement: float | None = None,
    images: tuple[Atoms, ...] = (),
) -> HopResult:
    wy = [o.wyckoff for o in hopset.orbits]
    return HopResult(
        hop_id=hop.hop_id,
        mechanism=hop.mechanism,
        species=hop.species,
        status="failed",
        reason=reason,
        converged=False,
        barrier_eV=None,
        barrier_reverse_eV=None,
        reaction_energy_eV=None,
        hop_length_A=hop.length_A,
        multiplicity=hop.multiplicity,
        wyckoff_from=wy[hop.orbit_from],
        wyckoff_to=wy[hop.orbit_to],
        orbit_from=hop.orbit_from,
        orbit_to=hop.orbit_to,
        n_images=n_images,
        saddle_image=None,
        steps=0,
        n_force_calls=calls_endpoints,
        n_force_calls_endpoints=calls_endpoints,
        n_force_calls_neb=0,
        max_force_eV_A=None,
        initial_energy_eV=energies[0],
        final_energy_eV=energies[1],
        saddle_energy_eV=None,
        endpoint_displacement_A=displacement,
        images=images,
        wall_time_s=time.perf_counter() - t0,
    )


def _plain(atoms: Atoms) -> Atoms:
    out = atoms.copy()
    out.calc = None
    out.set_constraint()
    out.info = {}
    return out


# ----- the task ----------------------------------------------------------------------------------


def migration_barriers(
    atoms: Atoms,
    calc: Calculator,
    *,
    species: str = "Li",
    mechanism: str = "vacancy",
    min_length_A: float = 8.0,
    max_hops: int | None = 4,
    n_images: int = 5,
    fmax: float = 0.05,
    pre_fmax: float = 0.3,
    saddle_fmax: float | None = None,
    optimizer: str = "LBFGS",
    max_steps: int = 300,
    spring_k: float = 0.1,
    interpolation: str = "idpp",
    dynamic: bool = True,
    endpoint_fmax: float | None = None,
    endpoint_optimizer: str = "BFGS",
    endpoint_max_steps: int = 200,
    max_endpoint_displacement_A: float = 1.0,
    flat_tol_eV: float = 1e-3,
    symprec: float = 1e-2,
    shell_tol: float = 0.1,
    max_hop_length_A: float | None = None,
    min_interstitial_distance_A: float = 1.6,
    attempt_frequency_Hz: float = 1e13,
    vacancy_fraction: float = 1.0,
) -> MigrationResult:
    """CI-NEB barriers of the distinct hops of ``species``, network barrier and D(T) estimate.

    Parameters
    ----------
    atoms : ase.Atoms
        Relaxed bulk structure (any cell; it is reduced to the primitive cell).
    calc : Calculator
        Any ASE calculator with energies and forces.
    species : str
        Migrating element.
    mechanism : {"vacancy", "interstitial", "both"}
        Vacancy hops between sites of ``species`` (default), hops of an extra ``species`` atom
        between interstitial sites (Voronoi vertices), or both.
    min_length_A : float
        Every supercell lattice vector is at least this long (Å).
    max_hops : int or None
        Compute at most this many distinct hops per mechanism, shortest first (None: all).
    n_images : int
        Intermediate NEB images (odd numbers put an image on a symmetric hop's midpoint).
    fmax : float
        Convergence threshold on every NEB force, climbing image included (eV/Å).
    pre_fmax : float
        Loose threshold (eV/Å) of the first, non-climbing stage.
    saddle_fmax : float, optional
        Threshold (eV/Å) for the climbing image alone, whose energy is the barrier; default
        ``fmax / 2``. The other images stop at ``fmax`` and are frozen, so the tighter saddle costs
        one force call per step. Ignored with ``dynamic=False``.
    optimizer : {"BFGS", "FIRE", "LBFGS", "MDMin", "ode"}
        NEB optimizer (BFGS needed the fewest force calls in ``benchmarks/bench_migration.py``).
    max_steps : int
        Optimizer steps of both stages together.
    spring_k : float
        Spring constant (eV/Å^2).
    interpolation : {"idpp", "linear"}
        Initial path (both with the minimum-image convention).
    dynamic : bool
        Skip force calls on images already below the threshold (DyNEB).
    endpoint_fmax : float, optional
        Force threshold of the endpoint relaxations (eV/Å); default ``fmax / 2`` so that endpoint
        energies are tighter than the band.
    endpoint_optimizer : {"BFGS", "FIRE", "LBFGS"}
    endpoint_max_steps : int
    max_endpoint_displacement_A : float
        An endpoint relaxation moving any atom farther than this (Å) fails the hop.
    flat_tol_eV : float
        A band whose energy span is below this (eV) is a false convergence.
    symprec : float
        Symmetry tolerance (Å).
    shell_tol : float
        Relative width of the nearest-neighbour shell defining hops.
    max_hop_length_A : float, optional
        Take every hop up to this length instead of nearest-neighbour shells (Å).
    min_interstitial_distance_A : float
        Smallest distance of an interstitial site to any atom (Å).
    attempt_frequency_Hz : float
        nu0 of the D estimate (Hz); 1e13 Hz is a customary order of magnitude (assumption).
    vacancy_fraction : float
        c_v of the D estimate (1 = the defect's own diffusivity).

    Returns
    -------
    MigrationResult

    Raises
    ------
    CalculationError
        When no hop converged; ``partial`` holds the per-hop results with their reasons.
    InputError
        Bad options, or a structure without ``species``.
    """
    _check_options(
        mechanism,
        n_images,
        fmax,
        pre_fmax,
        saddle_fmax,
        optimizer,
        interpolation,
        max_hops,
        max_steps,
        endpoint_optimizer,
        vacancy_fraction,
        attempt_frequency_Hz,
    )
    endpoint_fmax = endpoint_fmax if endpoint_fmax is not None else fmax / 2
    saddle_fmax = saddle_fmax if saddle_fmax is not None else fmax / 2
    bulk = _plain(atoms)
    mechanisms = ("vacancy", "interstitial") if mechanism == "both" else (mechanism,)
    hopsets = [
        find_hops(
            bulk,
            species=species,
            mechanism=m,
            symprec=symprec,
            shell_tol=shell_tol,
            max_length_A=max_hop_length_A,
            min_interstitial_distance_A=min_interstitial_distance_A,
        )
        for m in mechanisms
    ]
    prim = hopsets[0].primitive
    supercell, matrix = migration_supercell(prim, min_length_A)
    results: list[HopResult] = []
    total_calls = 0
    endpoint_cache: dict[tuple[str, bytes], tuple[Atoms, float]] = {}
    for hopset in hopsets:
        chosen = hopset.hops if max_hops is None else hopset.hops[:max_hops]
        for hop in chosen:
            res = _compute_hop(
                supercell, hopset, hop, calc, endpoint_cache,
                n_images=n_images, fmax=fmax, pre_fmax=pre_fmax, saddle_fmax=saddle_fmax,
                optimizer=optimizer, max_steps=max_steps, spring_k=spring_k, interpolation=interpolation,
                dynamic=dynamic, endpoint_fmax=endpoint_fmax,
                endpoint_optimizer=endpoint_optimizer, endpoint_max_steps=endpoint_max_steps,
                max_endpoint_displacement_A=max_endpoint_displacement_A, flat_tol_eV=flat_tol_eV,
            )  # fmt: skip
            total_calls += res.n_force_calls
            logger.info(
                "%s %s hop %d (%.2f Å): %s%s",
                reduced_formula(bulk),
                hop.mechanism,
                hop.hop_id,
                hop.length_A,
                res.status,
                f", barrier {res.barrier_eV:.3f} eV" if res.barrier_eV is not None else "",
            )
            results.append(res)

    best: tuple[NetworkBarrier, str] | None = None
    for hopset in hopsets:
        nb = _network_of(hopset, [r for r in results if r.mechanism == hopset.mechanism])
        if nb.barrier_eV is not None and (best is None or nb.barrier_eV < best[0].barrier_eV):
            best = (nb, hopset.mechanism)
    nb, net_mech = (
        best
        if best is not None
        else (NetworkBarrier(None, 0, None, None, None, (), None, None), None)
    )
    d298 = d0 = None
    arrhenius: tuple[float, ...] = ()
    if nb.barrier_eV is not None and nb.coordination and nb.jump_length_A:
        kwargs = dict(
            dimensionality=nb.dimensionality,
            coordination=nb.coordination,
            jump_length_A=nb.jump_length_A,
            attempt_frequency_Hz=attempt_frequency_Hz,
            vacancy_fraction=vacancy_fraction,
        )
        d298 = float(diffusion_coefficient(298.15, nb.barrier_eV, **kwargs))
        d0 = float(diffusion_coefficient(np.inf, 0.0, **kwargs))
        arrhenius = tuple(
            float(x)
            for x in diffusion_coefficient(np.array(ARRHENIUS_T_K), nb.barrier_eV, **kwargs)
        )
    n_conv = sum(r.converged for r in results)
    result = MigrationResult(
        formula=reduced_formula(bulk),
        species=species,
        mechanism="+".join(mechanisms),
        space_group=hopsets[0].space_group,
        supercell_n_atoms=len(supercell),
        supercell_matrix=tuple(tuple(int(x) for x in row) for row in matrix),
        supercell_min_image_A=shortest_lattice_vector(supercell.cell.array),
        n_hops_found=sum(len(h.hops) for h in hopsets),
        n_hops_computed=len(results),
        n_hops_converged=n_conv,
        hops=tuple(results),
        network_barrier_eV=nb.barrier_eV,
        network_dimensionality=nb.dimensionality,
        network_barrier_1d_eV=nb.barrier_1d_eV,
        network_barrier_2d_eV=nb.barrier_2d_eV,
        network_barrier_3d_eV=nb.barrier_3d_eV,
        network_mechanism=net_mech,
        network_hop_ids=nb.hop_ids,
        network={h.mechanism: h.network() for h in hopsets},
        D_298K_cm2_s=d298,
        D0_cm2_s=d0,
        coordination_z=nb.coordination,
        jump_length_A=nb.jump_length_A,
        attempt_frequency_Hz=attempt_frequency_Hz,
        vacancy_fraction=vacancy_fraction,
        arrhenius_T_K=ARRHENIUS_T_K if arrhenius else (),
        arrhenius_D_cm2_s=arrhenius,
        diffusion_note=DIFFUSION_NOTE,
        n_force_calls=total_calls,
        fmax_eV_A=fmax,
        n_images=n_images,
        optimizer=optimizer,
        atoms=supercell,
    )
    if n_conv == 0:
        reasons = "; ".join(f"{r.mechanism} hop {r.hop_id}: {r.reason}" for r in results)
        raise CalculationError(f"no migration hop converged ({reasons})", partial=result)
    return result


def _check_options(
    mechanism: str,
    n_images: int,
    fmax: float,
    pre_fmax: float,
    saddle_fmax: float | None,
    optimizer: str,
    interpolation: str,
    max_hops: int | None,
    max_steps: int,
    endpoint_optimizer: str,
    vacancy_fraction: float,
    attempt_frequency_Hz: float,
) -> None:
    if mechanism not in (*MECHANISMS, "both"):
        raise InputError(f"mechanism '{mechanism}': use vacancy, interstitial or both")
    if n_images < 1:
        raise InputError(f"n_images must be at least 1 (got {n_images})")
    if not fmax > 0:
        raise InputError(f"fmax must be positive (got {fmax})")
    if pre_fmax < fmax:
        raise InputError(f"pre_fmax ({pre_fmax}) must not be below fmax ({fmax})")
    if saddle_fmax is not None and not 0 < saddle_fmax <= fmax:
        raise InputError(f"saddle_fmax ({saddle_fmax}) must be in (0, fmax={fmax}]")
    if optimizer not in NEB_OPTIMIZERS:
        raise InputError(
            f"unknown NEB optimizer '{optimizer}'; use one of {', '.join(NEB_OPTIMIZERS)}"
        )
    if endpoint_optimizer not in ("BFGS", "FIRE", "LBFGS"):
        raise InputError(
            f"unknown endpoint optimizer '{endpoint_optimizer}'; use BFGS, FIRE or LBFGS"
        )
    if interpolation not in INTERPOLATIONS:
        raise InputError(f"unknown interpolation '{interpolation}'; use idpp or linear")
    if max_hops is not None and max_hops < 1:
        raise InputError(f"max_hops must be at least 1 or None (got {max_hops})")
    if max_steps < 1:
        raise InputError(f"max_steps must be at least 1 (got {max_steps})")
    if not 0 < vacancy_fraction <= 1:
        raise InputError(f"vacancy_fraction must be in (0, 1] (got {vacancy_fraction})")
    if not attempt_frequency_Hz > 0:
        raise InputError(f"attempt_frequency_Hz must be positive (got {attempt_frequency_Hz})")


def _compute_hop(
    supercell: Atoms,
    hopset: HopSet,
    hop: Hop,
    calc: Calculator,
    endpoint_cache: dict,
    *,
    n_images: int,
    fmax: float,
    pre_fmax: float,
    saddle_fmax: float | None,
    optimizer: str,
    max_steps: int,
    spring_k: float,
    interpolation: str,
    dynamic: bool,
    endpoint_fmax: float,
    endpoint_optimizer: str,
    endpoint_max_steps: int,
    max_endpoint_displacement_A: float,
    flat_tol_eV: float,
) -> HopResult:
    t0 = time.perf_counter()
    ends = hop_endpoints(supercell, hopset, hop)
    calls_end = 0
    relaxed = []
    for label, unrelaxed in (("initial", ends.initial), ("final", ends.final)):
        key = (label, unrelaxed.positions.round(4).tobytes() + unrelaxed.numbers.tobytes())
        if key in endpoint_cache:
            relaxed.append(endpoint_cache[key])
            continue
        at, energy, n, ok = _relax_endpoint(
            unrelaxed, calc, endpoint_fmax, endpoint_max_steps, endpoint_optimizer
        )
        calls_end += n
        if not ok:
            return _failed_hop(
                hop, hopset, f"{label} endpoint relaxation did not converge in "
                f"{endpoint_max_steps} steps", n_images, calls_end, t0,
            )  # fmt: skip
        endpoint_cache[key] = (at, energy)
        relaxed.append((at, energy))
    (ini, e_ini), (fin, e_fin) = relaxed
    disp = max(
        float(_mic_displacements(ends.initial, ini).max()),
        float(_mic_displacements(ends.final, fin).max()),
    )
    moving = ends.moving_index
    # Endpoint change: an atom left its site, or the two ends relaxed into each other.
    reason = None
    if disp > max_endpoint_displacement_A:
        reason = (
            f"endpoint changed during relaxation: an atom moved {disp:.2f} Å "
            f"(> {max_endpoint_displacement_A} Å); the site is not a local minimum"
        )
    else:
        sep = float(_mic_displacements(ini, fin)[moving])
        if sep < 0.5 * hop.length_A:
            reason = (
                f"endpoints relaxed into each other (the moving atom is {sep:.2f} Å apart in the "
                f"relaxed ends, hop {hop.length_A:.2f} Å)"
            )
    if reason is not None:
        return _failed_hop(
            hop, hopset, reason, n_images, calls_end, t0, (e_ini, e_fin), disp,
            (_plain(ini), _plain(fin)),
        )  # fmt: skip
    band = run_band(
        ini, fin, calc,
        n_images=n_images, fmax=fmax, pre_fmax=pre_fmax, saddle_fmax=saddle_fmax,
        optimizer=optimizer, max_steps=max_steps, spring_k=spring_k, interpolation=interpolation, dynamic=dynamic,
    )  # fmt: skip
    status, why, imax = _classify(band, hop.length_A, flat_tol_eV)
    e = band.energies
    s = _path_coordinate(band.images)
    from ase.utils.forcecurve import fit_raw

    fit = fit_raw(e, band.forces, [im.positions for im in band.images], ini.cell, ini.pbc)
    ok = status == "converged"
    wy = [o.wyckoff for o in hopset.orbits]
    return HopResult(
        hop_id=hop.hop_id,
        mechanism=hop.mechanism,
        species=hop.species,
        status=status,
        reason=why,
        converged=ok,
        barrier_eV=float(e[imax] - e[0]) if ok and imax is not None else None,
        barrier_reverse_eV=float(e[imax] - e[-1]) if ok and imax is not None else None,
        reaction_energy_eV=float(e[-1] - e[0]),
        hop_length_A=hop.length_A,
        multiplicity=hop.multiplicity,
        wyckoff_from=wy[hop.orbit_from],
        wyckoff_to=wy[hop.orbit_to],
        orbit_from=hop.orbit_from,
        orbit_to=hop.orbit_to,
        n_images=n_images,
        saddle_image=imax,
        steps=band.steps,
        n_force_calls=calls_end + band.n_calls,
        n_force_calls_endpoints=calls_end,
        n_force_calls_neb=band.n_calls,
        max_force_eV_A=band.max_force,
        initial_energy_eV=float(e[0]),
        final_energy_eV=float(e[-1]),
        saddle_energy_eV=float(e[imax]) if ok and imax is not None else None,
        endpoint_displacement_A=disp,
        mep_reaction_coordinate_A=tuple(float(x) for x in s),
        mep_energies_eV=tuple(float(x) for x in e - e[0]),
        mep_fit_coordinate_A=tuple(float(x) for x in fit.fit_path),
        mep_fit_energies_eV=tuple(float(x) for x in fit.fit_energies),
        images=tuple(_plain(im) for im in band.images),
        wall_time_s=time.perf_counter() - t0,
    )


def _network_of(hopset: HopSet, results: Sequence[HopResult]) -> NetworkBarrier:
    """Network barrier of one mechanism from its converged hops."""
    saddles = {r.hop_id: r.saddle_energy_eV for r in results if r.converged}
    sites: dict[int, float] = {}
    for r in results:
        if not r.converged:
            continue
        # Vacancy hop: the initial state has the vacancy on the site the atom enters (orbit_to).
        # Interstitial hop: the initial state has the extra atom on the site it leaves.
        if r.mechanism == "vacancy":
            pairs = ((r.orbit_to, r.initial_energy_eV), (r.orbit_from, r.final_energy_eV))
        else:
            pairs = ((r.orbit_from, r.initial_energy_eV), (r.orbit_to, r.final_energy_eV))
        for orbit, energy in pairs:
            if energy is not None:
                sites[orbit] = min(sites.get(orbit, np.inf), energy)
    lengths = {h.hop_id: h.length_A for h in hopset.hops}
    return network_barrier(hopset.network(), saddles, sites, lengths)  # type: ignore[arg-type]


# ----- plots -------------------------------------------------------------------------------------


def mep_figure(result: Mapping[str, Any], *, title: str | None = None) -> Any:
    """A matplotlib ``Figure`` of every stored MEP of a migration result.

    ``result`` is a :class:`MigrationResult` or its stored dictionary (``StoredResult.result``,
    also the partial data of a failed task): nothing is recomputed.
    """
    from matplotlib.figure import Figure

    data = _as_mapping(result)
    hops = list(data.get("hops") or [])
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    drawn = 0
    for k, hop in enumerate(hops):
        s = hop.get("mep_reaction_coordinate_A") or ()
        e = hop.get("mep_energies_eV") or ()
        if not len(s) or not len(e):
            continue
        color = f"C{k % 10}"
        status = hop.get("status", "?")
        if hop.get("converged"):
            label = (
                f"{hop.get('mechanism', '')} hop {hop.get('hop_id')} "
                f"({hop.get('hop_length_A', 0):.2f} Å): "
                f"{hop['barrier_eV']:.3f} / {hop['barrier_reverse_eV']:.3f} eV"
            )
        else:
            label = f"{hop.get('mechanism', '')} hop {hop.get('hop_id')}: {status} (no barrier)"
        style = "-" if hop.get("converged") else ":"
        fs, fe = hop.get("mep_fit_coordinate_A") or (), hop.get("mep_fit_energies_eV") or ()
        if len(fs) and len(fe):
            ax.plot(fs, fe, style, color=color, lw=1.5)
        ax.plot(s, e, "o", color=color, ms=5, label=label)
        sad = hop.get("saddle_image")
        if hop.get("converged") and sad is not None:
            ax.plot([s[sad]], [e[sad]], "*", color=color, ms=13, mec="k")
        drawn += 1
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("reaction coordinate (Å)")
    ax.set_ylabel("energy relative to initial state (eV)")
    formula = data.get("formula", "")
    eb = data.get("network_barrier_eV")
    head = title or f"{formula} {data.get('species', 'Li')} migration (CI-NEB)"
    if eb is not None:
        head += f"\nnetwork barrier E* = {eb:.3f} eV ({data.get('network_dimensionality')}D)"
    ax.set_title(head, fontsize=10)
    if drawn:
        ax.legend(fontsize=8, loc="best")
    else:
        ax.text(0.5, 0.5, "no stored path", ha="center", va="center", transform=ax.transAxes)
    return fig


def plot_mep(result: Mapping[str, Any], path: str | Path, *, title: str | None = None) -> Path:
    """Write the MEP plot of a (stored) migration result to ``path`` (PNG); returns the path."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    mep_figure(result, title=title).savefig(out, dpi=150)
    return out


def _as_mapping(result: Any) -> Mapping[str, Any]:
    if isinstance(result, Mapping):
        return result
    from alloyscreen.serialization import to_jsonable

    return to_jsonable(result)
