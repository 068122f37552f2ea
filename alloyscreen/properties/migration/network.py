"""The hop network: periodic-graph dimensionality, the network (percolation) barrier E* and the
random-walk diffusion coefficient estimate. Pure maths on plain data (no calculator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from ase.units import kB

from alloyscreen.errors import InputError
from alloyscreen.properties.migration.results import HopResult, NetworkBarrier
from alloyscreen.structures.hops import HopSet


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


def hopset_network_barrier(hopset: HopSet, results: Sequence[HopResult]) -> NetworkBarrier:
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
