"""The ``migration`` task: hops of a relaxed bulk structure, one CI-NEB per distinct hop, the
network barrier and the diffusion estimate (see :mod:`alloyscreen.properties.migration`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from alloyscreen.errors import CalculationError, InputError
from alloyscreen.formula import reduced_formula
from alloyscreen.properties.migration.neb import (
    NEBSettings,
    classify_band,
    mic_displacements,
    non_default_fields,
    path_coordinate,
    run_band,
)
from alloyscreen.properties.migration.network import diffusion_coefficient, hopset_network_barrier
from alloyscreen.properties.migration.results import (
    ARRHENIUS_T_K,
    DIFFUSION_NOTE,
    HopResult,
    MigrationResult,
    NetworkBarrier,
)
from alloyscreen.structures.hops import (
    MECHANISMS,
    Hop,
    HopSet,
    find_hops,
    hop_endpoints,
    hop_supercell,
    shortest_lattice_vector,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HopSearch:
    """Which hops are computed, in which supercell (the hop half of the task's parameters).

    Field names and defaults are those of :func:`migration_barriers`' keyword arguments.

    Attributes
    ----------
    species : str
        Migrating element.
    mechanism : {"vacancy", "interstitial", "both"}
    min_length_A : float
        Every supercell lattice vector is at least this long (Å).
    max_hops : int or None
        At most this many distinct hops per mechanism, shortest first (None: all).
    symprec : float
        Symmetry tolerance (Å).
    shell_tol : float
        Relative width of the nearest-neighbour shell defining hops.
    max_hop_length_A : float or None
        Every hop up to this length instead of nearest-neighbour shells (Å).
    min_interstitial_distance_A : float
        Smallest distance of an interstitial site to any atom (Å).
    """

    species: str = "Li"
    mechanism: str = "vacancy"
    min_length_A: float = 8.0
    max_hops: int | None = 4
    symprec: float = 1e-2
    shell_tol: float = 0.1
    max_hop_length_A: float | None = None
    min_interstitial_distance_A: float = 1.6

    def __post_init__(self) -> None:
        if self.mechanism not in (*MECHANISMS, "both"):
            raise InputError(f"mechanism '{self.mechanism}': use vacancy, interstitial or both")
        if self.max_hops is not None and self.max_hops < 1:
            raise InputError(f"max_hops must be at least 1 or None (got {self.max_hops})")

    def task_params(self) -> dict[str, Any]:
        """The fields that differ from the defaults (see :meth:`NEBSettings.task_params`)."""
        return non_default_fields(self)


def migration_task_params(
    search: HopSearch | None = None, neb: NEBSettings | None = None
) -> dict[str, Any]:
    """Parameters of a ``migration`` task (only non-default values: defaults share keys)."""
    return {
        **(search or HopSearch()).task_params(),
        **(neb or NEBSettings()).task_params(),
    }


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
    preconverge: Calculator | None = None,
    refine_image_fmax: float | None = 0.15,
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
        Every supercell lattice vector is at least this long (Å); raised to twice the longest
        computed hop plus 0.5 Å where the hops need it (:func:`~alloyscreen.structures.hops.hop_supercell`).
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
    preconverge : Calculator or None
        A cheaper calculator (ML potential) that converges every hop first; ``calc`` (DFT) then
        starts from its relaxed endpoints and converged band (see :func:`compute_migration`).
        As a task parameter it is a calculator spec (``{"name": "sevenn"}`` or ``"sevenn"``) that
        the worker builds.
    refine_image_fmax : float or None
        With ``preconverge``: force threshold (eV/Å) of ``calc``'s non-climbing images, which
        start converged by the cheap calculator and only define the tangent; the climbing image
        still converges to ``saddle_fmax`` (see :class:`NEBSettings`). ``None``: ``fmax``.

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
    search = HopSearch(
        species=species,
        mechanism=mechanism,
        min_length_A=min_length_A,
        max_hops=max_hops,
        symprec=symprec,
        shell_tol=shell_tol,
        max_hop_length_A=max_hop_length_A,
        min_interstitial_distance_A=min_interstitial_distance_A,
    )
    neb = NEBSettings(
        n_images=n_images,
        fmax=fmax,
        pre_fmax=pre_fmax,
        saddle_fmax=saddle_fmax,
        optimizer=optimizer,
        max_steps=max_steps,
        spring_k=spring_k,
        interpolation=interpolation,
        dynamic=dynamic,
        endpoint_fmax=endpoint_fmax,
        endpoint_optimizer=endpoint_optimizer,
        endpoint_max_steps=endpoint_max_steps,
        max_endpoint_displacement_A=max_endpoint_displacement_A,
        flat_tol_eV=flat_tol_eV,
        refine_image_fmax=refine_image_fmax,
    )
    return compute_migration(
        atoms,
        calc,
        search,
        neb,
        attempt_frequency_Hz=attempt_frequency_Hz,
        vacancy_fraction=vacancy_fraction,
        preconverge=preconverge,
    )


def compute_migration(
    atoms: Atoms,
    calc: Calculator,
    search: HopSearch | None = None,
    neb: NEBSettings | None = None,
    *,
    attempt_frequency_Hz: float = 1e13,
    vacancy_fraction: float = 1.0,
    preconverge: Calculator | None = None,
) -> MigrationResult:
    """:func:`migration_barriers` with its options grouped: which hops (``search``) and how each
    is computed (``neb``); see there for the parameters, result and errors.

    ``preconverge``: a cheaper calculator (an ML potential) that first converges every hop (its
    endpoints and CI-NEB band); ``calc`` (DFT) then relaxes the endpoints from the cheap ones and
    runs CI-NEB from the cheap converged band, without interpolation or the non-climbing stage.
    Only ``calc``'s evaluations count in ``n_force_calls``; the cheap ones are in each hop's
    ``n_force_calls_preconverge``. A hop whose cheap band fails is computed from scratch.
    """
    search = search if search is not None else HopSearch()
    neb = (neb if neb is not None else NEBSettings()).resolved()
    if not 0 < vacancy_fraction <= 1:
        raise InputError(f"vacancy_fraction must be in (0, 1] (got {vacancy_fraction})")
    if not attempt_frequency_Hz > 0:
        raise InputError(f"attempt_frequency_Hz must be positive (got {attempt_frequency_Hz})")
    bulk = _plain(atoms)
    mechanisms = ("vacancy", "interstitial") if search.mechanism == "both" else (search.mechanism,)
    hopsets = [
        find_hops(
            bulk,
            species=search.species,
            mechanism=m,
            symprec=search.symprec,
            shell_tol=search.shell_tol,
            max_length_A=search.max_hop_length_A,
            min_interstitial_distance_A=search.min_interstitial_distance_A,
        )
        for m in mechanisms
    ]
    prim = hopsets[0].primitive
    chosen = [
        (hs, hs.hops if search.max_hops is None else hs.hops[: search.max_hops]) for hs in hopsets
    ]
    supercell, matrix = hop_supercell(
        prim, [h.length_A for _, hops in chosen for h in hops], search.min_length_A
    )
    results: list[HopResult] = []
    total_calls = 0
    endpoint_cache: dict[tuple[str, bytes], tuple[Atoms, float]] = {}
    cheap_cache: dict[tuple[str, bytes], tuple[Atoms, float]] = {}
    for hopset, hops in chosen:
        for hop in hops:
            guess = None
            if preconverge is not None:
                guess = _compute_hop(supercell, hopset, hop, preconverge, cheap_cache, neb)
                if not guess.converged:
                    logger.warning(
                        "hop %d: the preconverging band failed (%s); computed from scratch",
                        hop.hop_id,
                        guess.reason,
                    )
            res = _compute_hop(supercell, hopset, hop, calc, endpoint_cache, neb, guess)
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
        nb = hopset_network_barrier(hopset, [r for r in results if r.mechanism == hopset.mechanism])
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
        species=search.species,
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
        fmax_eV_A=neb.fmax,
        n_images=neb.n_images,
        optimizer=neb.optimizer,
        atoms=supercell,
    )
    if n_conv == 0:
        reasons = "; ".join(f"{r.mechanism} hop {r.hop_id}: {r.reason}" for r in results)
        raise CalculationError(f"no migration hop converged ({reasons})", partial=result)
    return result


def _compute_hop(
    supercell: Atoms,
    hopset: HopSet,
    hop: Hop,
    calc: Calculator,
    endpoint_cache: dict,
    neb: NEBSettings,
    guess: HopResult | None = None,
) -> HopResult:
    """Relax the two endpoints (cached across hops), check them, run the band, classify it.

    With a converged ``guess`` (the same hop from a cheaper calculator) the endpoints start from
    its relaxed ends and the band from its images.
    """
    t0 = time.perf_counter()
    ends = hop_endpoints(supercell, hopset, hop)
    use_guess = guess is not None and guess.converged and len(guess.images) == neb.n_images + 2
    starts = (guess.images[0], guess.images[-1]) if use_guess else (ends.initial, ends.final)
    calls_end = 0
    relaxed = []
    for label, unrelaxed, start in zip(
        ("initial", "final"), (ends.initial, ends.final), starts, strict=True
    ):
        key = (label, unrelaxed.positions.round(4).tobytes() + unrelaxed.numbers.tobytes())
        if key in endpoint_cache:
            relaxed.append(endpoint_cache[key])
            continue
        at, energy, n, ok = _relax_endpoint(start, calc, neb)
        calls_end += n
        if not ok:
            return _failed_hop(
                hop, hopset, f"{label} endpoint relaxation did not converge in "
                f"{neb.endpoint_max_steps} steps", neb.n_images, calls_end, t0,
            )  # fmt: skip
        endpoint_cache[key] = (at, energy)
        relaxed.append((at, energy))
    (ini, e_ini), (fin, e_fin) = relaxed
    disp = max(
        float(mic_displacements(ends.initial, ini).max()),
        float(mic_displacements(ends.final, fin).max()),
    )
    moving = ends.moving_index
    # Endpoint change: an atom left its site, or the two ends relaxed into each other.
    reason = None
    if disp > neb.max_endpoint_displacement_A:
        reason = (
            f"endpoint changed during relaxation: an atom moved {disp:.2f} Å "
            f"(> {neb.max_endpoint_displacement_A} Å); the site is not a local minimum"
        )
    else:
        sep = float(mic_displacements(ini, fin)[moving])
        if sep < 0.5 * hop.length_A:
            reason = (
                f"endpoints relaxed into each other (the moving atom is {sep:.2f} Å apart in the "
                f"relaxed ends, hop {hop.length_A:.2f} Å)"
            )
    if reason is not None:
        return _failed_hop(
            hop, hopset, reason, neb.n_images, calls_end, t0, (e_ini, e_fin), disp,
            (_plain(ini), _plain(fin)),
        )  # fmt: skip
    band = run_band(
        ini, fin, calc, neb, start_images=list(guess.images[1:-1]) if use_guess else None
    )
    status, why, imax = classify_band(band, hop.length_A, neb.flat_tol_eV)
    e = band.energies
    s = path_coordinate(band.images)
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
        n_images=neb.n_images,
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
        n_force_calls_preconverge=guess.n_force_calls if guess is not None else 0,
    )


def _relax_endpoint(
    atoms: Atoms, calc: Calculator, neb: NEBSettings
) -> tuple[Atoms, float, int, bool]:
    """Positions-only relaxation of one endpoint: (atoms, energy, force calls, converged)."""
    from alloyscreen.properties.bulk import relax_bulk

    res = relax_bulk(
        atoms,
        calc,
        fmax=neb.endpoint_fmax,
        max_steps=neb.endpoint_max_steps,
        optimizer=neb.endpoint_optimizer,
        relax_cell=False,
        keep_symmetry=False,
    )
    return res.atoms, res.energy_eV, res.n_force_calls, res.converged


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
