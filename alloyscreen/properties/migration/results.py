"""Result types of the migration calculation (frozen, units in the field names).

Stored results are read back into these types with :func:`alloyscreen.results.from_record`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ase import Atoms

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
    n_force_calls_preconverge : int
        Evaluations of the cheaper calculator that converged this hop first (0 without one).
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
    n_force_calls_preconverge: int = 0


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
