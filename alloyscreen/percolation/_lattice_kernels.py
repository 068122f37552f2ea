"""Numba kernels for Newman–Ziff site and bond percolation on periodic sc, bcc and fcc lattices.

Algorithm: M. E. J. Newman and R. M. Ziff, "Fast Monte Carlo algorithm for site or bond
percolation", Phys. Rev. E 64, 016706 (2001), doi:10.1103/PhysRevE.64.016706. Sites (or bonds) are
occupied one at a time in random order and clusters are merged with a weighted union-find with path
compression. Every node stores its displacement to its parent in unwrapped lattice coordinates, so
that closing a loop whose net displacement is a non-zero multiple of the box length reveals a
cluster that wraps around the periodic box (the method of Newman & Ziff, Sec. IV B). A second
union-find over the same occupation sequence, without the bonds that cross the z boundary and with
two virtual electrode nodes, records when a cluster first spans from the bottom to the top face.

Coordinates: sc sites are the integer points of an L^3 box (M = L); bcc and fcc use doubled
coordinates in a box M = 2L (bcc: x = y = z mod 2, 2 L^3 sites; fcc: x + y + z even, 4 L^3
sites), so that all neighbour vectors are integer.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from alloyscreen.percolation._rng import randbelow
from alloyscreen.percolation._union_find import find, union

LATTICE_CODES = {"sc": 0, "bcc": 1, "fcc": 2}

_SC = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.int64)
_BCC = np.array([[1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1]], dtype=np.int64)
_FCC = np.array(
    [[1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1], [0, 1, 1], [0, 1, -1]], dtype=np.int64
)


def half_directions(lattice: str) -> np.ndarray:
    """The neighbour vectors of one orientation (the others are their negatives)."""
    return {"sc": _SC, "bcc": _BCC, "fcc": _FCC}[lattice]


def all_directions(lattice: str) -> np.ndarray:
    h = half_directions(lattice)
    return np.ascontiguousarray(np.concatenate([h, -h], axis=0))


def n_sites(lattice: str, L: int) -> int:
    return {"sc": 1, "bcc": 2, "fcc": 4}[lattice] * L**3


def box_size(lattice: str, L: int) -> int:
    return L if lattice == "sc" else 2 * L


@njit(cache=True, inline="always")
def _decode(idx, lat, L):
    if lat == 0:
        z = idx % L
        t = idx // L
        return t // L, t % L, z
    if lat == 1:
        L3 = L * L * L
        s = idx // L3
        r = idx - s * L3
        z = r % L
        t = r // L
        return 2 * (t // L) + s, 2 * (t % L) + s, 2 * z + s
    M = 2 * L
    zz = idx % L
    t = idx // L
    y = t % M
    x = t // M
    return x, y, 2 * zz + ((x + y) & 1)


@njit(cache=True, inline="always")
def _encode(x, y, z, lat, L):
    if lat == 0:
        return (x * L + y) * L + z
    if lat == 1:
        return (x & 1) * (L * L * L) + ((x >> 1) * L + (y >> 1)) * L + (z >> 1)
    return (x * (2 * L) + y) * L + (z >> 1)


_EMPTY = np.int32(-2147483647)


@njit(cache=True, inline="always")
def _find_off(node, i):
    """Root of i and the displacement from i to the root; compresses the path.

    ``node[i] = (link, dx, dy, dz)``: link >= 0 is the parent, a root holds -size; (dx, dy, dz) is
    the unwrapped displacement from i to its parent. One 16-byte record per site keeps the random
    accesses to one cache line.
    """
    r = i
    tx = 0
    ty = 0
    tz = 0
    while node[r, 0] >= 0:
        tx += node[r, 1]
        ty += node[r, 2]
        tz += node[r, 3]
        r = node[r, 0]
    j = i
    ax = tx
    ay = ty
    az = tz
    while j != r:
        nxt = node[j, 0]
        bx = node[j, 1]
        by = node[j, 2]
        bz = node[j, 3]
        node[j, 0] = r
        node[j, 1] = ax
        node[j, 2] = ay
        node[j, 3] = az
        ax -= bx
        ay -= by
        az -= bz
        j = nxt
    return r, tx, ty, tz


@njit(cache=True, inline="always")
def _link(node, i, j, dx, dy, dz, wrap):
    """Join occupied i and j (j = i + d); record in wrap[0:3] whether a winding loop closed."""
    ri, ix, iy, iz = _find_off(node, i)
    rj, jx, jy, jz = _find_off(node, j)
    if ri == rj:
        if dx - (ix - jx) != 0:
            wrap[0] = True
        if dy - (iy - jy) != 0:
            wrap[1] = True
        if dz - (iz - jz) != 0:
            wrap[2] = True
        return
    if node[ri, 0] > node[rj, 0]:  # cluster of ri is smaller: hang it below rj
        node[rj, 0] += node[ri, 0]
        node[ri, 0] = rj
        node[ri, 1] = dx + jx - ix
        node[ri, 2] = dy + jy - iy
        node[ri, 3] = dz + jz - iz
    else:
        node[ri, 0] += node[rj, 0]
        node[rj, 0] = ri
        node[rj, 1] = ix - dx - jx
        node[rj, 2] = iy - dy - jy
        node[rj, 3] = iz - dz - jz


@njit(cache=True)
def _site_chunk(lat, L, dirs, seeds, track_span, out, start, stop):
    M = L if lat == 0 else 2 * L
    N = L * L * L * (1 if lat == 0 else (2 if lat == 1 else 4))
    nd = dirs.shape[0]
    node = np.empty((N, 4), dtype=np.int32)
    node[:, 0] = _EMPTY
    link2 = np.empty(N + 2, dtype=np.int32)
    order = np.arange(N, dtype=np.int32)
    state = np.zeros(1, dtype=np.uint64)
    wrap = np.zeros(3, dtype=np.bool_)
    top = N
    bot = N + 1
    for s in range(start, stop):
        state[0] = seeds[s]
        # every sample starts from the identity order, so that its sequence depends on its seed
        # only (not on which samples ran before it in the same thread)
        for i in range(N):
            order[i] = i
        ev = out[s]
        for k in range(4):
            ev[k] = -1
        ev[4] = N
        link2[top] = -1
        link2[bot] = -1
        wrap[:] = False
        n_done = 0
        for n in range(N):
            r = n + randbelow(state, N - n)
            i = order[r]
            order[r] = order[n]
            order[n] = i
            node[i, 0] = -1
            node[i, 1] = 0
            node[i, 2] = 0
            node[i, 3] = 0
            x, y, z = _decode(i, lat, L)
            if track_span:
                link2[i] = -1
                if z == 0:
                    union(link2, i, top)
                if z == M - 1:
                    union(link2, i, bot)
            for k in range(nd):
                dx = dirs[k, 0]
                dy = dirs[k, 1]
                dz = dirs[k, 2]
                x2 = x + dx
                y2 = y + dy
                z2 = z + dz
                x2 = x2 + M if x2 < 0 else (x2 - M if x2 >= M else x2)
                y2 = y2 + M if y2 < 0 else (y2 - M if y2 >= M else y2)
                crosses = z2 < 0 or z2 >= M
                z2 = z2 + M if z2 < 0 else (z2 - M if z2 >= M else z2)
                j = _encode(x2, y2, z2, lat, L)
                if node[j, 0] == _EMPTY:
                    continue
                _link(node, i, j, dx, dy, dz, wrap)
                if track_span and not crosses:
                    union(link2, i, j)
            for a in range(3):
                if wrap[a] and ev[1 + a] < 0:
                    ev[1 + a] = n + 1
            if track_span and ev[0] < 0 and find(link2, top) == find(link2, bot):
                ev[0] = n + 1
            n_done = n + 1
            if ev[1] >= 0 and ev[2] >= 0 and ev[3] >= 0 and (ev[0] >= 0 or not track_span):
                break
        for n in range(n_done):
            node[order[n], 0] = _EMPTY
        out[s, 5] = n_done


@njit(cache=True)
def _bond_chunk(lat, L, dirs, seeds, track_span, out, start, stop):
    M = L if lat == 0 else 2 * L
    N = L * L * L * (1 if lat == 0 else (2 if lat == 1 else 4))
    half = dirs.shape[0]
    NB = N * half
    node = np.empty((N, 4), dtype=np.int32)
    link2 = np.empty(N + 2, dtype=np.int32)
    order = np.arange(NB, dtype=np.int32)
    state = np.zeros(1, dtype=np.uint64)
    wrap = np.zeros(3, dtype=np.bool_)
    top = N
    bot = N + 1
    for s in range(start, stop):
        state[0] = seeds[s]
        for i in range(NB):
            order[i] = i
        ev = out[s]
        for k in range(4):
            ev[k] = -1
        ev[4] = NB
        wrap[:] = False
        node[:, 0] = -1
        node[:, 1:] = 0
        if track_span:
            link2[:] = -1
            for i in range(N):
                z = _decode(i, lat, L)[2]
                if z == 0:
                    union(link2, i, top)
                if z == M - 1:
                    union(link2, i, bot)
        n_done = 0
        for n in range(NB):
            r = n + randbelow(state, NB - n)
            b = order[r]
            order[r] = order[n]
            order[n] = b
            i = b // half
            k = b - i * half
            x, y, z = _decode(i, lat, L)
            dx = dirs[k, 0]
            dy = dirs[k, 1]
            dz = dirs[k, 2]
            x2 = x + dx
            y2 = y + dy
            z2 = z + dz
            x2 = x2 + M if x2 < 0 else (x2 - M if x2 >= M else x2)
            y2 = y2 + M if y2 < 0 else (y2 - M if y2 >= M else y2)
            crosses = z2 < 0 or z2 >= M
            z2 = z2 + M if z2 < 0 else (z2 - M if z2 >= M else z2)
            j = _encode(x2, y2, z2, lat, L)
            _link(node, i, j, dx, dy, dz, wrap)
            for a in range(3):
                if wrap[a] and ev[1 + a] < 0:
                    ev[1 + a] = n + 1
            if track_span and not crosses:
                union(link2, i, j)
                if ev[0] < 0 and find(link2, top) == find(link2, bot):
                    ev[0] = n + 1
            n_done = n + 1
            if ev[1] >= 0 and ev[2] >= 0 and ev[3] >= 0 and (ev[0] >= 0 or not track_span):
                break
        out[s, 5] = n_done


@njit(cache=True, parallel=True)
def _run_parallel(lat, L, dirs, seeds, track_span, bond, out, n_chunks):
    S = seeds.shape[0]
    for c in prange(n_chunks):
        start = (S * c) // n_chunks
        stop = (S * (c + 1)) // n_chunks
        if bond:
            _bond_chunk(lat, L, dirs, seeds, track_span, out, start, stop)
        else:
            _site_chunk(lat, L, dirs, seeds, track_span, out, start, stop)


def run_samples(
    lattice: str, L: int, bond: bool, seeds: np.ndarray, track_span: bool, threads: int | None
) -> np.ndarray:
    """Run one Newman–Ziff sweep per seed; returns int64 rows (span, wrap_x, wrap_y, wrap_z,
    n_elements, n_processed), events as the number of occupied elements when they first happen
    (-1 if never)."""
    lat = LATTICE_CODES[lattice]
    seeds = np.ascontiguousarray(seeds, dtype=np.uint64)
    out = np.zeros((seeds.shape[0], 6), dtype=np.int64)
    dirs = half_directions(lattice) if bond else all_directions(lattice)
    n_threads = get_num_threads() if threads is None else max(1, int(threads))
    if n_threads <= 1 or seeds.shape[0] < 2:
        if bond:
            _bond_chunk(lat, L, dirs, seeds, track_span, out, 0, seeds.shape[0])
        else:
            _site_chunk(lat, L, dirs, seeds, track_span, out, 0, seeds.shape[0])
    else:
        n_chunks = min(n_threads, seeds.shape[0])
        _run_parallel(lat, L, dirs, seeds, track_span, bond, out, n_chunks)
    return out
