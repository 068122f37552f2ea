"""Effective electronic conductivity of voxelised metal/insulator microstructures.

Each voxel is a node of a finite-volume resistor network: neighbouring voxels (faces shared) are
joined by the conductance 2 s_a s_b / (s_a + s_b) (per unit voxel length, the harmonic mean of the
two half-voxel resistances); the bottom and top faces are electrodes joined to the voxel centres of
the first and last layer by half-voxel conductances 2 s. The box is periodic in x and y. Kirchhoff's
equations are solved with algebraic multigrid (pyamg smoothed aggregation) as preconditioner of a
conjugate-gradient solve (small systems: a sparse direct solve); the effective conductivity is the electrode current times n_z / (n_x n_y)
for a unit voltage.

When the insulator conductivity is zero only the metal clusters that touch both electrodes carry
current; they are found first with a periodic (x, y) cluster labelling, so that the linear system
stays small and non-singular. sigma(V_f) curves from these solves feed the eq. 2 fit
(:func:`alloyscreen.percolation.analytic.fit_power_law`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

MICROSTRUCTURES = ("lattice", "spheres", "spheroids")
#: Systems with at most this many unknowns are solved directly (SuperLU) instead of AMG + CG.
DIRECT_SOLVE_MAX = 20_000


@dataclass(frozen=True)
class ConductivityResult:
    """Effective conductivity of one voxel microstructure.

    Attributes
    ----------
    sigma_S_cm
        Effective conductivity along z (S/cm).
    sigma_rel
        sigma_S_cm / sigma_metal_S_cm.
    v_f
        Metal voxel fraction.
    spanning
        Whether a metal cluster connects the two electrodes.
    """

    sigma_S_cm: float
    sigma_rel: float
    v_f: float
    spanning: bool
    shape: tuple[int, int, int]
    n_unknowns: int
    iterations: int
    residual: float
    solve_s: float


@dataclass(frozen=True)
class ConductivityCurve:
    """sigma(V_f) for a family of generated microstructures (mean and spread over samples)."""

    microstructure: str
    n: int
    v_f: np.ndarray
    v_f_target: np.ndarray
    sigma_rel_mean: np.ndarray
    sigma_rel_std: np.ndarray
    sigma_rel_samples: np.ndarray
    samples: int
    seed: int
    aspect_ratio: float
    radius_vox: float
    elapsed_s: float


def label_periodic(mask: np.ndarray, periodic: Sequence[bool] = (True, True, True)):
    """Label 6-connected clusters of ``mask`` with periodic boundaries along the chosen axes.

    Returns
    -------
    (labels, n)
        int32 labels (0 = background, 1..n clusters), consecutive after merging across faces.
    """
    from scipy import ndimage

    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 3:
        raise InputError("label_periodic needs a 3D array")
    labels, n = ndimage.label(mask)
    if n == 0:
        return labels.astype(np.int32), 0
    parent = np.arange(n + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for ax, per in enumerate(periodic):
        if not per:
            continue
        first = np.take(labels, 0, axis=ax)
        last = np.take(labels, -1, axis=ax)
        both = (first > 0) & (last > 0)
        pairs = np.unique(np.stack([first[both], last[both]], axis=1), axis=0)
        for a, b in pairs:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n + 1)])
    uniq, new = np.unique(roots, return_inverse=True)
    # background (root 0) keeps 0 because label 0 is its own root and the smallest
    return new[labels].astype(np.int32), int(uniq.size - 1)


def spanning_clusters(mask: np.ndarray) -> np.ndarray:
    """Boolean mask of the voxels in clusters touching both the bottom and top z faces
    (periodic in x and y)."""
    labels, n = label_periodic(mask, (True, True, False))
    if n == 0:
        return np.zeros_like(mask, dtype=bool)
    bottom = np.unique(labels[:, :, 0])
    top = np.unique(labels[:, :, -1])
    keep = np.intersect1d(bottom[bottom > 0], top[top > 0])
    if keep.size == 0:
        return np.zeros_like(mask, dtype=bool)
    return np.isin(labels, keep)


def effective_conductivity(
    phase: np.ndarray,
    sigma_metal_S_cm: float = 1.0,
    sigma_insulator_S_cm: float = 0.0,
    *,
    tol: float = 1e-8,
    maxiter: int = 2000,
) -> ConductivityResult:
    """Effective conductivity along z of a voxel microstructure (True = metal).

    Parameters
    ----------
    phase
        Boolean array (nx, ny, nz); the box is periodic in x and y, electrodes at z faces.
    sigma_metal_S_cm, sigma_insulator_S_cm
        Phase conductivities (S/cm); the insulator may be 0.
    tol, maxiter
        Relative residual tolerance and iteration cap of the AMG-preconditioned CG solve.
    """
    import pyamg
    import scipy.sparse as sp
    from scipy.sparse.linalg import cg

    phase = np.asarray(phase, dtype=bool)
    if phase.ndim != 3 or min(phase.shape) < 2:
        raise InputError("the microstructure must be a 3D array with at least 2 voxels per side")
    sm = float(sigma_metal_S_cm)
    si = float(sigma_insulator_S_cm)
    if not sm > 0 or si < 0 or si >= sm:
        raise InputError("need sigma_metal > 0 and 0 <= sigma_insulator < sigma_metal")
    t0 = time.perf_counter()
    nx, ny, nz = phase.shape
    vf = float(phase.mean())
    if si == 0.0:
        active = spanning_clusters(phase)
        if not active.any():
            return ConductivityResult(0.0, 0.0, vf, False, phase.shape, 0, 0, 0.0, 0.0)
        cond = np.where(active, sm, 0.0)
    else:
        active = np.ones_like(phase)
        cond = np.where(phase, sm, si)
    spanning = True if si == 0.0 else bool(spanning_clusters(phase).any())
    idx = -np.ones(phase.shape, dtype=np.int64)
    n_act = int(active.sum())
    idx[active] = np.arange(n_act)
    rows, cols, vals = [], [], []
    diag = np.zeros(n_act)
    for ax in range(3):
        if ax < 2:
            a_idx = idx
            b_idx = np.roll(idx, -1, axis=ax)
            a_c = cond
            b_c = np.roll(cond, -1, axis=ax)
        else:
            a_idx = idx[:, :, :-1]
            b_idx = idx[:, :, 1:]
            a_c = cond[:, :, :-1]
            b_c = cond[:, :, 1:]
        ok = (a_idx >= 0) & (b_idx >= 0)
        ca = a_c[ok]
        cb = b_c[ok]
        g = 2.0 * ca * cb / np.maximum(ca + cb, 1e-300)
        ia = a_idx[ok]
        ib = b_idx[ok]
        pos = g > 0
        ia, ib, g = ia[pos], ib[pos], g[pos]
        rows += [ia, ib]
        cols += [ib, ia]
        vals += [-g, -g]
        diag += np.bincount(ia, weights=g, minlength=n_act)
        diag += np.bincount(ib, weights=g, minlength=n_act)
    # electrodes: V = 1 at z = -1/2, V = 0 at z = nz - 1/2 (half-voxel conductances 2 sigma)
    rhs = np.zeros(n_act)
    bot = idx[:, :, 0]
    gb = 2.0 * cond[:, :, 0]
    okb = bot >= 0
    diag[bot[okb]] += gb[okb]
    rhs[bot[okb]] += gb[okb]
    top = idx[:, :, -1]
    gt = 2.0 * cond[:, :, -1]
    okt = top >= 0
    diag[top[okt]] += gt[okt]
    rows.append(np.arange(n_act))
    cols.append(np.arange(n_act))
    vals.append(diag)
    A = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_act, n_act)
    )
    # scale to unit diagonal-ish magnitudes for the solver (conductances in units of sigma_metal)
    A = A / sm
    rhs = rhs / sm
    # 'local' (Gershgorin) weighting of the prolongation smoother avoids the costly global
    # spectral-radius estimate; the hierarchy is otherwise pyamg's default smoothed aggregation.
    it = [0]
    if n_act <= DIRECT_SOLVE_MAX:
        # small systems: a sparse direct solve is faster than building a multigrid hierarchy
        from scipy.sparse.linalg import spsolve

        v = spsolve(A.tocsc(), rhs)
        info = 0
    else:
        ml = pyamg.smoothed_aggregation_solver(
            A, symmetry="symmetric", max_coarse=500, smooth=("jacobi", {"weighting": "local"})
        )
        M = ml.aspreconditioner(cycle="V")

        def count(_):
            it[0] += 1

        x0 = np.full(n_act, 0.5)
        try:
            v, info = cg(A, rhs, x0=x0, rtol=tol, maxiter=maxiter, M=M, callback=count)
        except TypeError:  # scipy < 1.12 uses ``tol``
            v, info = cg(A, rhs, x0=x0, tol=tol, maxiter=maxiter, M=M, callback=count)
    res = float(np.linalg.norm(rhs - A @ v) / max(np.linalg.norm(rhs), 1e-300))
    if info != 0:
        logger.warning("CG did not converge (info=%s, residual %.2e)", info, res)
    current = float(np.sum(gb[okb] / sm * (1.0 - v[bot[okb]])))
    sigma_rel = current * nz / (nx * ny)
    return ConductivityResult(
        sigma_S_cm=sigma_rel * sm,
        sigma_rel=sigma_rel,
        v_f=vf,
        spanning=spanning,
        shape=phase.shape,
        n_unknowns=n_act,
        iterations=it[0],
        residual=res,
        solve_s=time.perf_counter() - t0,
    )


def random_voxels(n: int, p: float, *, seed: int = 0) -> np.ndarray:
    """Uncorrelated metal voxels with probability p (site percolation on the voxel grid)."""
    rng = np.random.default_rng(seed)
    return rng.random((n, n, n)) < p


def particle_voxels(
    n: int,
    phi: float,
    *,
    radius_vox: float = 3.0,
    aspect_ratio: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Overlapping randomly oriented spheroids (equivalent radius ``radius_vox`` voxels) placed so
    that the expected covered fraction is ``phi`` (n_particles = -ln(1 - phi) V / v)."""
    from alloyscreen.percolation._voxel_kernels import voxelize
    from alloyscreen.percolation.continuum import spheroid_axes

    if not 0 < phi < 1:
        raise InputError(f"volume fraction {phi} must be between 0 and 1")
    rng = np.random.default_rng(seed)
    a0, b0 = spheroid_axes(aspect_ratio)
    v = 4.0 / 3.0 * math.pi * radius_vox**3
    count = rng.poisson(-math.log1p(-phi) * n**3 / v)
    pos = rng.uniform(0, n, size=(count, 3))
    u = rng.normal(size=(count, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    a = np.full(count, a0 * radius_vox)
    b = np.full(count, b0 * radius_vox)
    grid = np.zeros((n, n, n), dtype=np.bool_)
    return voxelize(pos, u, a, b, n, grid)


def conductivity_curve(
    v_f: Sequence[float],
    *,
    microstructure: str = "lattice",
    n: int = 40,
    samples: int = 3,
    aspect_ratio: float = 1.0,
    radius_vox: float = 3.0,
    seed: int = 0,
    progress=None,
) -> ConductivityCurve:
    """sigma(V_f)/sigma_metal of generated microstructures with an insulating (sigma = 0) matrix.

    ``microstructure``: ``lattice`` (random voxels: sc site percolation), ``spheres`` or
    ``spheroids`` (overlapping particles, ``radius_vox`` voxels in radius).
    """
    if microstructure not in MICROSTRUCTURES:
        raise InputError(
            f"unknown microstructure '{microstructure}'; use {', '.join(MICROSTRUCTURES)}"
        )
    if microstructure == "spheres" and aspect_ratio != 1.0:
        raise InputError("spheres have aspect ratio 1; use microstructure 'spheroids'")
    targets = np.asarray(sorted(float(x) for x in v_f))
    if targets.size < 3 or targets[0] <= 0 or targets[-1] >= 1:
        raise InputError("give at least three volume fractions between 0 and 1")
    if n < 8:
        raise InputError(f"grid size {n} is too small; use n >= 8")
    t0 = time.perf_counter()
    sig = np.zeros((targets.size, samples))
    vfs = np.zeros((targets.size, samples))
    for i, x in enumerate(targets):
        for s in range(samples):
            sd = int(np.random.SeedSequence([seed, i, s]).generate_state(1)[0])
            if microstructure == "lattice":
                ph = random_voxels(n, x, seed=sd)
            else:
                ph = particle_voxels(
                    n, x, radius_vox=radius_vox, aspect_ratio=aspect_ratio, seed=sd
                )
            r = effective_conductivity(ph)
            sig[i, s] = r.sigma_rel
            vfs[i, s] = r.v_f
        if progress is not None:
            progress(1, f"V_f={x:.3f}")
    return ConductivityCurve(
        microstructure=microstructure,
        n=int(n),
        v_f=vfs.mean(axis=1),
        v_f_target=targets,
        sigma_rel_mean=sig.mean(axis=1),
        sigma_rel_std=sig.std(axis=1, ddof=1) if samples > 1 else np.zeros(targets.size),
        sigma_rel_samples=sig,
        samples=int(samples),
        seed=int(seed),
        aspect_ratio=float(aspect_ratio),
        radius_vox=float(radius_vox),
        elapsed_s=time.perf_counter() - t0,
    )
