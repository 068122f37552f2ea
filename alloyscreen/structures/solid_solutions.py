"""Li-rich bcc Li–M solid solutions as special quasirandom structures (SQS) or random cells.

A bcc supercell (``size`` x ``size`` x ``size`` conventional cells, 2 atoms each) gets
``round(x * N)`` solute atoms. With ``method="sqs"`` a seeded simulated-annealing Monte Carlo
swaps solute and Li atoms to make the pair correlation functions of the first ``n_shells``
neighbour shells match those of the ideal random alloy (Zunger et al., Phys. Rev. Lett. 65,
353 (1990), doi:10.1103/PhysRevLett.65.353): with spins sigma = +1 (solute) / -1 (Li), the
random-alloy value is Pi_k = (2x - 1)^2 for every shell k. ``method="random"`` keeps the
first random draw. Both are deterministic for a given seed (NumPy ``SeedSequence``).

The lattice constant is a Vegard guess: volume per atom interpolated linearly between the
elemental reference volumes (:func:`alloyscreen.structures.prototypes.atomic_volume`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Lattice, Structure

from alloyscreen.errors import InputError
from alloyscreen.structures.candidates import Candidate
from alloyscreen.structures.prototypes import atomic_volume, check_element

logger = logging.getLogger(__name__)

METHODS = ("sqs", "random")


@dataclass(frozen=True)
class SQSResult:
    """Outcome of the quasirandom search.

    Attributes
    ----------
    occupation : numpy.ndarray of bool
        True where a solute atom sits (site order of the bcc supercell).
    correlations : tuple of float
        Pair correlation Pi_k per shell (spins +1 solute, -1 Li).
    target : float
        Random-alloy value (2x - 1)^2 with x the actual solute fraction.
    objective : float
        Sum over shells of (Pi_k - target)^2.
    """

    occupation: np.ndarray
    correlations: tuple[float, ...]
    target: float
    objective: float


def bcc_positions(size: int) -> np.ndarray:
    """Fractional coordinates of a ``size``^3 bcc supercell (2 sites per conventional cell)."""
    if size < 1:
        raise InputError(f"supercell size must be >= 1 (got {size})")
    grid = np.array(
        [(i, j, k) for i in range(size) for j in range(size) for k in range(size)], dtype=float
    )
    corner = grid / size
    center = (grid + 0.5) / size
    return np.vstack([corner, center])


def shell_pairs(frac: np.ndarray, n_shells: int) -> list[np.ndarray]:
    """Index pairs (i < j) of the first ``n_shells`` neighbour shells of a cubic supercell.

    Distances use the minimum-image convention in fractional units of the supercell, so
    they are exact for shells shorter than half the supercell edge.
    """
    diff = frac[:, None, :] - frac[None, :, :]
    diff -= np.round(diff)
    dist = np.round(np.sqrt((diff**2).sum(axis=-1)), 8)
    iu, ju = np.triu_indices(len(frac), k=1)
    d = dist[iu, ju]
    shells = sorted(set(d.tolist()))
    if len(shells) < n_shells:
        raise InputError(
            f"a supercell this small has only {len(shells)} distinct neighbour shells "
            f"(asked for {n_shells}); use a larger size"
        )
    return [np.stack([iu[d == r], ju[d == r]], axis=1) for r in shells[:n_shells]]


def pair_correlations(spins: np.ndarray, pairs: Sequence[np.ndarray]) -> np.ndarray:
    """Mean sigma_i sigma_j over the pairs of every shell."""
    return np.array([float(np.mean(spins[p[:, 0]] * spins[p[:, 1]])) for p in pairs])


def quasirandom_occupation(
    n_sites: int,
    n_solute: int,
    pairs: Sequence[np.ndarray],
    *,
    rng: np.random.Generator,
    n_steps: int = 4000,
    t_start: float = 0.05,
    t_end: float = 1e-4,
    method: str = "sqs",
) -> SQSResult:
    """Choose which sites carry the solute (simulated annealing on pair correlations)."""
    if method not in METHODS:
        raise InputError(f"unknown solid-solution method {method!r}; choose {', '.join(METHODS)}")
    occ = np.zeros(n_sites, dtype=bool)
    occ[rng.choice(n_sites, size=n_solute, replace=False)] = True
    x = n_solute / n_sites
    target = (2.0 * x - 1.0) ** 2

    def objective(o: np.ndarray) -> tuple[float, np.ndarray]:
        corr = pair_correlations(np.where(o, 1.0, -1.0), pairs)
        return float(((corr - target) ** 2).sum()), corr

    current, corr = objective(occ)
    best_occ, best, best_corr = occ.copy(), current, corr
    if method == "sqs" and 0 < n_solute < n_sites:
        for step in range(n_steps):
            temp = t_start * (t_end / t_start) ** (step / max(n_steps - 1, 1))
            i = rng.choice(np.flatnonzero(occ))
            j = rng.choice(np.flatnonzero(~occ))
            occ[i], occ[j] = False, True
            trial, trial_corr = objective(occ)
            if trial <= current or rng.random() < math.exp(-(trial - current) / temp):
                current, corr = trial, trial_corr
                if current < best - 1e-15:
                    best_occ, best, best_corr = occ.copy(), current, corr
            else:
                occ[i], occ[j] = True, False
    return SQSResult(best_occ, tuple(float(c) for c in best_corr), target, best)


def _seed_for(seed: int, solute: str, fraction: float) -> np.random.SeedSequence:
    from pymatgen.core import Element

    return np.random.SeedSequence([int(seed), Element(solute).Z, round(fraction * 1_000_000)])


def solid_solution_candidate(
    solute: str,
    fraction: float,
    *,
    size: int = 3,
    seed: int = 0,
    method: str = "sqs",
    n_shells: int = 3,
    n_steps: int = 4000,
) -> Candidate:
    """One Li-rich bcc Li(1-x)M(x) cell.

    Parameters
    ----------
    solute : str
        Alloying element M.
    fraction : float
        Requested solute atom fraction x (0 < x < 0.5); the cell holds round(x N) atoms.
    size : int
        Supercell edge in conventional bcc cells (N = 2 size^3 atoms; 3 -> 54).
    seed : int
        Random seed; the same seed gives the same structure.
    method : {"sqs", "random"}
        Quasirandom optimisation or a plain random draw.
    n_shells : int
        Neighbour shells whose correlations are matched (``sqs``).
    n_steps : int
        Monte Carlo swap attempts (``sqs``).
    """
    solute = check_element(solute)
    if not 0.0 < fraction < 0.5:
        raise InputError(
            f"solid-solution fraction {fraction} for {solute} must be between 0 and 0.5 "
            "(Li-rich bcc)"
        )
    frac = bcc_positions(size)
    n_sites = len(frac)
    n_solute = round(fraction * n_sites)
    if n_solute == 0:
        raise InputError(
            f"{fraction:g} of {solute} in {n_sites} sites rounds to 0 atoms; use a larger size"
        )
    rng = np.random.default_rng(_seed_for(seed, solute, fraction))
    pairs = shell_pairs(frac, n_shells)
    res = quasirandom_occupation(n_sites, n_solute, pairs, rng=rng, n_steps=n_steps, method=method)
    x = n_solute / n_sites
    v_li, src_li = atomic_volume("Li")
    v_m, src_m = atomic_volume(solute)
    v_atom = (1.0 - x) * v_li + x * v_m
    a = round((2.0 * v_atom) ** (1.0 / 3.0), 6)
    species = np.where(res.occupation, solute, "Li").tolist()
    order = np.lexsort((frac[:, 2], frac[:, 1], frac[:, 0], res.occupation))
    structure = Structure(
        Lattice.cubic(a * size),
        [species[i] for i in order],
        np.round(frac[order], 10),
    )
    formula = structure.composition.reduced_formula
    label = "SQS" if method == "sqs" else "random"
    pct = f"{round(100 * fraction, 3):g}"
    return Candidate(
        id=f"Li-{solute}{pct}-{label}{n_sites}-s{seed}",
        formula=formula,
        structure=structure,
        prototype=f"bcc-{label}",
        source="solid_solution",
        category="alloy",
        provenance={
            "solute": solute,
            "requested_fraction": fraction,
            "actual_fraction": round(x, 6),
            "n_atoms": n_sites,
            "supercell_bcc_cells": [size, size, size],
            "method": method,
            "seed": seed,
            "n_shells": n_shells,
            "n_steps": n_steps if method == "sqs" else 0,
            "pair_correlations": [round(c, 6) for c in res.correlations],
            "random_alloy_target": round(res.target, 6),
            "objective": round(res.objective, 8),
            "lattice_guess": "Vegard: volume per atom linear in x between elemental volumes",
            "lattice_a_A": a,
            "elemental_volume_sources": {"Li": src_li, solute: src_m},
            "reference": "Zunger et al., Phys. Rev. Lett. 65, 353 (1990), "
            "doi:10.1103/PhysRevLett.65.353",
        },
    )


def parse_solid_solution_spec(spec: str) -> dict[str, tuple[float, ...]]:
    """Parse ``"Mg:0.05,0.1"`` (several separated by ``;``) into ``{"Mg": (0.05, 0.1)}``."""
    out: dict[str, tuple[float, ...]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        if ":" not in part:
            raise InputError(
                f"solid-solution spec {part!r} must look like ELEMENT:x1,x2 (e.g. Mg:0.05,0.1)"
            )
        el, values = part.split(":", 1)
        try:
            fracs = tuple(float(v) for v in values.split(",") if v.strip())
        except ValueError as exc:
            raise InputError(f"solid-solution spec {part!r}: fractions must be numbers") from exc
        if not fracs:
            raise InputError(f"solid-solution spec {part!r} lists no fractions")
        el = check_element(el)
        out[el] = (*out.get(el, ()), *fracs)
    return out


def solid_solution_candidates(
    specs: Mapping[str, Iterable[float]],
    *,
    size: int = 3,
    seed: int = 0,
    method: str = "sqs",
    n_shells: int = 3,
    n_steps: int = 4000,
) -> list[Candidate]:
    """Candidates for every (solute, fraction) in ``specs``, in the given order."""
    return [
        solid_solution_candidate(
            el, float(x), size=size, seed=seed, method=method, n_shells=n_shells, n_steps=n_steps
        )
        for el, fracs in specs.items()
        for x in fracs
    ]
