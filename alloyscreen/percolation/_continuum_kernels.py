"""Numba kernels for continuum percolation of spheres and spheroids in a periodic cube.

Particles are added one at a time (a Newman–Ziff sweep in the continuum); each new particle is
joined with every earlier particle that it connects to, found with a cell list. A union-find with
floating-point displacement offsets detects wrapping clusters exactly as on the lattice, and a second
union-find without the pairs that cross the z boundary detects spanning between the faces z = 0 and
z = L.

Overlap of two spheroids uses the Perram–Wertheim contact function,
J. W. Perram and M. S. Wertheim, J. Comput. Phys. 58, 409 (1985), doi:10.1016/0021-9991(85)90171-8:
F(lam) = lam (1 - lam) r^T [(1 - lam) A^-1 + lam B^-1]^-1 r, maximised over lam in [0, 1]; the
shapes overlap if and only if max F < 1. For spheroids A^-1 = b^2 I + (a^2 - b^2) u u^T, so the
3x3 inverse reduces (Woodbury identity) to a 2x2 solve. F is concave in lam, so a golden-section
search finds its maximum.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from alloyscreen.percolation._rng import normal, uniform
from alloyscreen.percolation._union_find import find, union

_GOLD = 0.3819660112501051  # 2 - golden ratio


@njit(cache=True, inline="always")
def _pw_value(lam, rr, s1, s2, c, a1, b1, a2, b2):
    """Perram–Wertheim F(lam) for spheroids (semi-axes a along u, b across)."""
    al = (1.0 - lam) * b1 * b1 + lam * b2 * b2
    be = (1.0 - lam) * (a1 * a1 - b1 * b1)
    ga = lam * (a2 * a2 - b2 * b2)
    p11 = 1.0 + be / al
    p12 = be * c / al
    p21 = ga * c / al
    p22 = 1.0 + ga / al
    r1 = be * s1
    r2 = ga * s2
    det = p11 * p22 - p12 * p21
    y1 = (p22 * r1 - p12 * r2) / det
    y2 = (p11 * r2 - p21 * r1) / det
    q = rr / al - (s1 * y1 + s2 * y2) / (al * al)
    return lam * (1.0 - lam) * q


@njit(cache=True)
def pw_contact(rx, ry, rz, u1, a1, b1, u2, a2, b2):
    """max over lam of the Perram–Wertheim function (< 1: overlap, 1: contact, > 1: apart)."""
    rr = rx * rx + ry * ry + rz * rz
    s1 = u1[0] * rx + u1[1] * ry + u1[2] * rz
    s2 = u2[0] * rx + u2[1] * ry + u2[2] * rz
    c = u1[0] * u2[0] + u1[1] * u2[1] + u1[2] * u2[2]
    lo = 0.0
    hi = 1.0
    x1 = lo + _GOLD * (hi - lo)
    x2 = hi - _GOLD * (hi - lo)
    f1 = _pw_value(x1, rr, s1, s2, c, a1, b1, a2, b2)
    f2 = _pw_value(x2, rr, s1, s2, c, a1, b1, a2, b2)
    for _ in range(60):
        if f1 < f2:
            lo = x1
            x1 = x2
            f1 = f2
            x2 = hi - _GOLD * (hi - lo)
            f2 = _pw_value(x2, rr, s1, s2, c, a1, b1, a2, b2)
        else:
            hi = x2
            x2 = x1
            f2 = f1
            x1 = lo + _GOLD * (hi - lo)
            f1 = _pw_value(x1, rr, s1, s2, c, a1, b1, a2, b2)
        if hi - lo < 1e-9:
            break
    return max(f1, f2)


@njit(cache=True, inline="always")
def _overlap(rx, ry, rz, u1, a1, b1, u2, a2, b2):
    """True if the spheroids (a1, b1 along u1) and (a2, b2 along u2) at separation r overlap."""
    rr = rx * rx + ry * ry + rz * rz
    big = max(a1, b1) + max(a2, b2)
    if rr >= big * big:
        return False
    small = min(a1, b1) + min(a2, b2)
    if rr < small * small:
        return True
    if a1 == b1 and a2 == b2:
        return False
    # Early exit: F >= 1 at any lam proves separation.
    rr_ = rr
    s1 = u1[0] * rx + u1[1] * ry + u1[2] * rz
    s2 = u2[0] * rx + u2[1] * ry + u2[2] * rz
    c = u1[0] * u2[0] + u1[1] * u2[1] + u1[2] * u2[2]
    lo = 0.0
    hi = 1.0
    x1 = lo + _GOLD * (hi - lo)
    x2 = hi - _GOLD * (hi - lo)
    f1 = _pw_value(x1, rr_, s1, s2, c, a1, b1, a2, b2)
    if f1 >= 1.0:
        return False
    f2 = _pw_value(x2, rr_, s1, s2, c, a1, b1, a2, b2)
    if f2 >= 1.0:
        return False
    for _ in range(60):
        if f1 < f2:
            lo = x1
            x1 = x2
            f1 = f2
            x2 = hi - _GOLD * (hi - lo)
            f2 = _pw_value(x2, rr_, s1, s2, c, a1, b1, a2, b2)
            if f2 >= 1.0:
                return False
        else:
            hi = x2
            x2 = x1
            f2 = f1
            x1 = lo + _GOLD * (hi - lo)
            f1 = _pw_value(x1, rr_, s1, s2, c, a1, b1, a2, b2)
            if f1 >= 1.0:
                return False
        if hi - lo < 1e-9:
            break
    return True


@njit(cache=True)
def count_overlaps(r, u, a, b):
    """Number of rows i for which spheroids (a, b) along u[i, 0] and u[i, 1] at separation r[i]
    overlap (used for Monte Carlo excluded volumes)."""
    k = 0
    for i in range(r.shape[0]):
        if _overlap(r[i, 0], r[i, 1], r[i, 2], u[i, 0], a, b, u[i, 1], a, b):
            k += 1
    return k


@njit(cache=True, inline="always")
def _find_off(parent, off, i):
    """Root of i and the float displacement from i to its root (with path compression)."""
    r = i
    tx = 0.0
    ty = 0.0
    tz = 0.0
    while parent[r] != r:
        tx += off[r, 0]
        ty += off[r, 1]
        tz += off[r, 2]
        r = parent[r]
    j = i
    ax = tx
    ay = ty
    az = tz
    while j != r:
        nxt = parent[j]
        bx = off[j, 0]
        by = off[j, 1]
        bz = off[j, 2]
        parent[j] = r
        off[j, 0] = ax
        off[j, 1] = ay
        off[j, 2] = az
        ax -= bx
        ay -= by
        az -= bz
        j = nxt
    return r, tx, ty, tz


@njit(cache=True, inline="always")
def _min_image(d, L):
    if d > 0.5 * L:
        return d - L
    if d < -0.5 * L:
        return d + L
    return d


@njit(cache=True, inline="always")
def _cell_of(x, nc, L):
    c = int(x / L * nc)
    if c >= nc:
        c = nc - 1
    if c < 0:
        c = 0
    return c


@njit(cache=True)
def _near_boundary(px, py, pz, seeds, n_seeds, w, L, shead, snext, snc):
    """True if the point lies within w of a face of the periodic Voronoi tessellation of seeds.

    The two nearest seeds are searched in the 27 cells of a seed cell list (side L / snc); when
    the second distance is not certainly shorter than one cell side, all seeds are searched.
    """
    d1 = 1e300
    d2 = 1e300
    i1 = -1
    i2 = -1
    exhaustive = snc < 3
    if not exhaustive:
        cx = _cell_of(px, snc, L)
        cy = _cell_of(py, snc, L)
        cz = _cell_of(pz, snc, L)
        for ox in range(-1, 2):
            for oy in range(-1, 2):
                for oz in range(-1, 2):
                    cell = (((cx + ox) % snc) * snc + (cy + oy) % snc) * snc + (cz + oz) % snc
                    k = shead[cell]
                    while k >= 0:
                        dx = _min_image(seeds[k, 0] - px, L)
                        dy = _min_image(seeds[k, 1] - py, L)
                        dz = _min_image(seeds[k, 2] - pz, L)
                        dd = dx * dx + dy * dy + dz * dz
                        if dd < d1:
                            d2 = d1
                            i2 = i1
                            d1 = dd
                            i1 = k
                        elif dd < d2:
                            d2 = dd
                            i2 = k
                        k = snext[k]
        side = L / snc
        if i2 < 0 or d2 > side * side:
            exhaustive = True
    if exhaustive:
        d1 = 1e300
        d2 = 1e300
        i1 = -1
        i2 = -1
        for k in range(n_seeds):
            dx = _min_image(seeds[k, 0] - px, L)
            dy = _min_image(seeds[k, 1] - py, L)
            dz = _min_image(seeds[k, 2] - pz, L)
            dd = dx * dx + dy * dy + dz * dz
            if dd < d1:
                d2 = d1
                i2 = i1
                d1 = dd
                i1 = k
            elif dd < d2:
                d2 = dd
                i2 = k
    if i2 < 0:
        return True
    sx = _min_image(seeds[i2, 0] - seeds[i1, 0], L)
    sy = _min_image(seeds[i2, 1] - seeds[i1, 1], L)
    sz = _min_image(seeds[i2, 2] - seeds[i1, 2], L)
    sep = np.sqrt(sx * sx + sy * sy + sz * sz)
    # distance from the point to the bisector plane of its two nearest seeds
    return (d2 - d1) / (2.0 * sep) <= w


@njit(cache=True)
def _place_seeds(state, L, n_seeds, r_excl, seeds):
    """Random sequential addition of grain centres with exclusion distance r_excl."""
    n = 0
    tries = 0
    while n < n_seeds and tries < 1000 * n_seeds:
        tries += 1
        x = uniform(state) * L
        y = uniform(state) * L
        z = uniform(state) * L
        ok = True
        for k in range(n):
            dx = _min_image(seeds[k, 0] - x, L)
            dy = _min_image(seeds[k, 1] - y, L)
            dz = _min_image(seeds[k, 2] - z, L)
            if dx * dx + dy * dy + dz * dz < r_excl * r_excl:
                ok = False
                break
        if ok:
            seeds[n, 0] = x
            seeds[n, 1] = y
            seeds[n, 2] = z
            n += 1
    return n


@njit(cache=True)
def _sample(
    state,
    L,
    a0,
    b0,
    sigma_ln,
    overlapping,
    excl,
    conn,
    n_seeds,
    r_seed_excl,
    w_seg,
    max_particles,
    max_fail,
    track_span,
    n_test,
    pos,
    axis,
    scale,
    parent,
    csize,
    off,
    link2,
    head,
    nxt,
    seeds,
    shead,
    snext,
    ev,
    first_cover,
):
    """One sweep; fills ev = (span, wrap_x, wrap_y, wrap_z, n_inserted, hit_limit)."""
    f_max = np.exp(3.0 * sigma_ln - 1.5 * sigma_ln * sigma_ln) if sigma_ln > 0 else 1.0
    reach = 2.0 * (max(a0, b0) * f_max + max(conn, excl))
    nc = int(L / reach)
    brute = nc < 3
    if brute:
        nc = 1
    ncell = nc * nc * nc
    for c in range(ncell):
        head[c] = -1
    n_seed_placed = 0
    snc = 0
    if n_seeds > 0:
        n_seed_placed = _place_seeds(state, L, n_seeds, r_seed_excl, seeds)
        # seed cell list: cells of side >= 1.5 exclusion diameters (about 2 grain radii)
        snc = min(int(L / max(1.5 * r_seed_excl, 1e-9)), 16)
        if snc >= 3:
            for c in range(snc * snc * snc):
                shead[c] = -1
            for s_ in range(n_seed_placed):
                c = (
                    _cell_of(seeds[s_, 0], snc, L) * snc + _cell_of(seeds[s_, 1], snc, L)
                ) * snc + _cell_of(seeds[s_, 2], snc, L)
                snext[s_] = shead[c]
                shead[c] = s_
    top = max_particles
    bot = max_particles + 1
    link2[top] = -1
    link2[bot] = -1
    for k in range(4):
        ev[k] = -1
    ev[5] = 0
    n = 0
    fails = 0
    while n < max_particles:
        # candidate
        px = uniform(state) * L
        py = uniform(state) * L
        pz = uniform(state) * L
        if n_seeds > 0 and not _near_boundary(
            px, py, pz, seeds, n_seed_placed, w_seg, L, shead, snext, snc
        ):
            continue
        zc = 2.0 * uniform(state) - 1.0
        ph = 2.0 * np.pi * uniform(state)
        sn = np.sqrt(max(0.0, 1.0 - zc * zc))
        ux = sn * np.cos(ph)
        uy = sn * np.sin(ph)
        uz = zc
        f = 1.0
        if sigma_ln > 0:
            g = normal(state)
            g = min(3.0, max(-3.0, g))
            f = np.exp(sigma_ln * g - 1.5 * sigma_ln * sigma_ln)
        pos[n, 0] = px
        pos[n, 1] = py
        pos[n, 2] = pz
        axis[n, 0] = ux
        axis[n, 1] = uy
        axis[n, 2] = uz
        scale[n] = f
        a_i = a0 * f
        b_i = b0 * f
        cx = _cell_of(px, nc, L)
        cy = _cell_of(py, nc, L)
        cz = _cell_of(pz, nc, L)
        # hard-core rejection
        if not overlapping:
            clash = False
            for ox in range(-1, 2) if not brute else range(0, 1):
                for oy in range(-1, 2) if not brute else range(0, 1):
                    for oz in range(-1, 2) if not brute else range(0, 1):
                        cell = (((cx + ox) % nc) * nc + (cy + oy) % nc) * nc + (cz + oz) % nc
                        j = head[cell]
                        while j >= 0:
                            dx = _min_image(pos[j, 0] - px, L)
                            dy = _min_image(pos[j, 1] - py, L)
                            dz = _min_image(pos[j, 2] - pz, L)
                            fj = scale[j]
                            if _overlap(
                                dx, dy, dz,
                                axis[n], a_i + 0.5 * excl, b_i + 0.5 * excl,
                                axis[j], a0 * fj + 0.5 * excl, b0 * fj + 0.5 * excl,
                            ):  # fmt: skip
                                clash = True
                                break
                            j = nxt[j]
                        if clash:
                            break
                    if clash:
                        break
                if clash:
                    break
            if clash:
                fails += 1
                if fails > max_fail:
                    ev[5] = 1
                    break
                continue
        fails = 0
        # accept particle n
        cell = (cx * nc + cy) * nc + cz
        nxt[n] = head[cell]
        head[cell] = n
        parent[n] = n
        csize[n] = 1
        off[n, 0] = 0.0
        off[n, 1] = 0.0
        off[n, 2] = 0.0
        wx = False
        wy = False
        wz = False
        if track_span:
            link2[n] = -1
            hz = np.sqrt(b_i * b_i + (a_i * a_i - b_i * b_i) * uz * uz)
            if pz - hz < 0.0:
                union(link2, n, top)
            if pz + hz > L:
                union(link2, n, bot)
        for ox in range(-1, 2) if not brute else range(0, 1):
            for oy in range(-1, 2) if not brute else range(0, 1):
                for oz in range(-1, 2) if not brute else range(0, 1):
                    cell = (((cx + ox) % nc) * nc + (cy + oy) % nc) * nc + (cz + oz) % nc
                    j = head[cell]
                    while j >= 0:
                        if j == n:
                            j = nxt[j]
                            continue
                        dx = _min_image(pos[j, 0] - px, L)
                        dy = _min_image(pos[j, 1] - py, L)
                        dz = _min_image(pos[j, 2] - pz, L)
                        fj = scale[j]
                        if _overlap(
                            dx, dy, dz,
                            axis[n], a_i + 0.5 * conn, b_i + 0.5 * conn,
                            axis[j], a0 * fj + 0.5 * conn, b0 * fj + 0.5 * conn,
                        ):  # fmt: skip
                            rn, nx_, ny_, nz_ = _find_off(parent, off, n)
                            rj, jx, jy, jz = _find_off(parent, off, j)
                            if rn == rj:
                                if abs(dx - (nx_ - jx)) > 0.5 * L:
                                    wx = True
                                if abs(dy - (ny_ - jy)) > 0.5 * L:
                                    wy = True
                                if abs(dz - (nz_ - jz)) > 0.5 * L:
                                    wz = True
                            elif csize[rn] <= csize[rj]:
                                parent[rn] = rj
                                csize[rj] += csize[rn]
                                off[rn, 0] = dx + jx - nx_
                                off[rn, 1] = dy + jy - ny_
                                off[rn, 2] = dz + jz - nz_
                            else:
                                parent[rj] = rn
                                csize[rn] += csize[rj]
                                off[rj, 0] = nx_ - dx - jx
                                off[rj, 1] = ny_ - dy - jy
                                off[rj, 2] = nz_ - dz - jz
                            if track_span and 0.0 <= pz + dz < L:
                                union(link2, n, j)
                        j = nxt[j]
        n += 1
        if wx and ev[1] < 0:
            ev[1] = n
        if wy and ev[2] < 0:
            ev[2] = n
        if wz and ev[3] < 0:
            ev[3] = n
        if track_span and ev[0] < 0 and find(link2, top) == find(link2, bot):
            ev[0] = n
        if ev[1] >= 0 and ev[2] >= 0 and ev[3] >= 0 and (ev[0] >= 0 or not track_span):
            break
    ev[4] = n
    if n >= max_particles:
        ev[5] = 2
    # coverage of random test points: index of the first particle that covers each point
    for t in range(n_test):
        tx = uniform(state) * L
        ty = uniform(state) * L
        tz = uniform(state) * L
        best = n
        cx = _cell_of(tx, nc, L)
        cy = _cell_of(ty, nc, L)
        cz = _cell_of(tz, nc, L)
        for ox in range(-1, 2) if not brute else range(0, 1):
            for oy in range(-1, 2) if not brute else range(0, 1):
                for oz in range(-1, 2) if not brute else range(0, 1):
                    cell = (((cx + ox) % nc) * nc + (cy + oy) % nc) * nc + (cz + oz) % nc
                    j = head[cell]
                    while j >= 0:
                        if j < best:
                            dx = _min_image(tx - pos[j, 0], L)
                            dy = _min_image(ty - pos[j, 1], L)
                            dz = _min_image(tz - pos[j, 2], L)
                            fj = scale[j]
                            aj = a0 * fj
                            bj = b0 * fj
                            s = dx * axis[j, 0] + dy * axis[j, 1] + dz * axis[j, 2]
                            perp2 = dx * dx + dy * dy + dz * dz - s * s
                            if s * s / (aj * aj) + perp2 / (bj * bj) <= 1.0:
                                best = j
                        j = nxt[j]
        first_cover[t] = best


@njit(cache=True)
def _chunk(params, iparams, seeds, out, covers, start, stop):
    L = params[0]
    a0 = params[1]
    b0 = params[2]
    sigma_ln = params[3]
    excl = params[4]
    conn = params[5]
    r_seed_excl = params[6]
    w_seg = params[7]
    overlapping = iparams[0] != 0
    n_seeds = iparams[1]
    max_particles = iparams[2]
    max_fail = iparams[3]
    track_span = iparams[4] != 0
    n_test = iparams[5]
    pos = np.empty((max_particles, 3))
    axis = np.empty((max_particles, 3))
    scale = np.empty(max_particles)
    parent = np.empty(max_particles, dtype=np.int32)
    csize = np.empty(max_particles, dtype=np.int32)
    off = np.empty((max_particles, 3))
    link2 = np.empty(max_particles + 2, dtype=np.int32)
    reach_min = 2.0 * max(a0, b0)
    nc_max = max(1, int(L / reach_min))
    head = np.empty(nc_max * nc_max * nc_max, dtype=np.int32)
    nxt = np.empty(max_particles, dtype=np.int32)
    seeds_xyz = np.empty((max(n_seeds, 1), 3))
    snext = np.empty(max(n_seeds, 1), dtype=np.int32)
    shead = np.empty(4096, dtype=np.int32)  # at most 16^3 seed cells
    state = np.zeros(1, dtype=np.uint64)
    for s in range(start, stop):
        state[0] = seeds[s]
        _sample(
            state, L, a0, b0, sigma_ln, overlapping, excl, conn, n_seeds, r_seed_excl, w_seg,
            max_particles, max_fail, track_span, n_test, pos, axis, scale, parent, csize, off, link2,
            head, nxt, seeds_xyz, shead, snext, out[s], covers[s],
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _run_parallel(params, iparams, seeds, out, covers, n_chunks):
    S = seeds.shape[0]
    for c in prange(n_chunks):
        _chunk(params, iparams, seeds, out, covers, (S * c) // n_chunks, (S * (c + 1)) // n_chunks)


def run_samples(
    *,
    box: float,
    a0: float,
    b0: float,
    sigma_ln: float,
    overlapping: bool,
    exclusion: float,
    connection: float,
    n_seeds: int,
    seed_exclusion: float,
    boundary_halfwidth: float,
    max_particles: int,
    max_fail: int,
    track_span: bool,
    n_test: int,
    seeds: np.ndarray,
    threads: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One sweep per seed. Returns (events, first_cover): events rows are (span, wrap_x, wrap_y,
    wrap_z, n_inserted, status) with status 0 = all events seen, 1 = jammed (hard-core insertion
    failed ``max_fail`` times in a row), 2 = particle limit reached."""
    params = np.array(
        [box, a0, b0, sigma_ln, exclusion, connection, seed_exclusion, boundary_halfwidth],
        dtype=np.float64,
    )
    iparams = np.array(
        [int(overlapping), n_seeds, max_particles, max_fail, int(track_span), n_test],
        dtype=np.int64,
    )
    seeds = np.ascontiguousarray(seeds, dtype=np.uint64)
    out = np.zeros((seeds.shape[0], 6), dtype=np.int64)
    covers = np.zeros((seeds.shape[0], max(n_test, 1)), dtype=np.int64)
    n_threads = get_num_threads() if threads is None else max(1, int(threads))
    if n_threads <= 1 or seeds.shape[0] < 2:
        _chunk(params, iparams, seeds, out, covers, 0, seeds.shape[0])
    else:
        _run_parallel(params, iparams, seeds, out, covers, min(n_threads, seeds.shape[0]))
    return out, covers[:, :n_test]
