"""Finite-size-scaling estimate of a percolation threshold from Newman–Ziff event counts.

Every Monte Carlo sample of a system of linear size L gives the number of occupied elements n_s
(sites, bonds or particles) at which an event (a cluster wrapping around the periodic box along x,
y or z, or spanning between two faces) first happens. The probability of the event in the
canonical ensemble at occupation p (binomial number of elements) or in the grand-canonical ensemble
at intensity lambda (Poisson number of particles) is then exactly

    R_L(x) = mean_s P(K >= n_s),  K ~ Binomial(N, p) or Poisson(c_L x),

(Newman & Ziff, Phys. Rev. E 64, 016706 (2001), doi:10.1103/PhysRevE.64.016706, Eq. 2). The
curves of all sizes are fitted together with the scaling form

    R_L(x) = F(z) + L^(-omega) (c + d z),   z = (x - x_c) L^(1/nu),   F a cubic polynomial,

with 1/nu = 1.1410 for 3D percolation (Wang, Zhou, Zhang, Garoni, Deng, Phys. Rev. E 87, 052107
(2013), doi:10.1103/PhysRevE.87.052107). The correction exponent omega defaults to 2 for wrapping
probabilities, whose leading corrections Wang et al. found to scale with an exponent close to -2,
and to 1.2 (their leading irrelevant exponent, y_i = -1.2(2)) for spanning. The statistical error
comes from a bootstrap over samples; half the difference between the fits with and without the
correction terms, with a narrower fit window and without the smallest size is added in quadrature as a
systematic (model) error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

#: 3D percolation correlation-length exponent 1/nu = 1.1410(15): Wang et al., PRE 87, 052107
#: (2013), doi:10.1103/PhysRevE.87.052107 (also ../shared/DESIGN.md section 7).
INV_NU_3D = 1.1410
#: Leading correction exponent of wrapping probabilities (about 2, Wang et al. 2013, same DOI).
OMEGA_WRAP = 2.0
#: Leading irrelevant exponent y_i = -1.2(2) (Wang et al. 2013, same DOI), used for spanning.
OMEGA_SPAN = 1.2

EVENTS = ("wrap_x", "wrap_any", "wrap_all", "span")


@dataclass(frozen=True)
class SizeSummary:
    """Per-size summary of the sampled thresholds (in the units of x)."""

    L: float
    n_samples: int
    x_mean: float
    x_std: float
    x_at_r_star: float
    n_censored: int


@dataclass(frozen=True)
class ThresholdFit:
    """Result of the finite-size-scaling fit (x is p for lattices, eta for particles)."""

    x_c: float
    x_c_err: float
    x_c_err_stat: float
    x_c_err_sys: float
    r_star: float
    event: str
    inv_nu: float
    omega: float
    x_c_uncorrected: float
    chi2_per_dof: float
    sizes: tuple[SizeSummary, ...] = field(default_factory=tuple)


def event_counts(events: np.ndarray, event: str) -> list[np.ndarray]:
    """Counts for ``event`` from kernel rows (span, wrap_x, wrap_y, wrap_z, ...); -1 = never.

    ``wrap_x`` returns the three axes as three equivalent sets (averaged later), ``wrap_any`` the
    first wrap along any axis, ``wrap_all`` the moment wrapping has happened along all three axes.
    """
    ev = np.asarray(events, dtype=np.int64)
    never = np.iinfo(np.int64).max
    w = np.where(ev[:, 1:4] < 0, never, ev[:, 1:4])
    if event == "wrap_x":
        return [w[:, 0], w[:, 1], w[:, 2]]
    if event == "wrap_any":
        return [w.min(axis=1)]
    if event == "wrap_all":
        return [w.max(axis=1)]
    if event == "span":
        return [np.where(ev[:, 0] < 0, never, ev[:, 0])]
    raise InputError(f"unknown percolation event '{event}'; use one of {', '.join(EVENTS)}")


class _Curves:
    """R_L(x) on a grid for one size, stored compactly for fast bootstrap resampling.

    Only the distinct counts are evaluated (the binomial/Poisson tails are the costly part); a
    sample's contribution is looked up through ``idx`` (samples x count sets).
    """

    def __init__(self, counts: Sequence[np.ndarray], grid: np.ndarray, kind: str, scale: float):
        from alloyscreen.percolation._tails import tail_matrix

        stacked = np.stack([np.asarray(c, dtype=np.int64) for c in counts], axis=1)
        self.n_samples, self.k = stacked.shape
        uniq, inv = np.unique(stacked, return_inverse=True)
        self.idx = inv.reshape(stacked.shape)
        finite = uniq < np.iinfo(np.int64).max
        m = np.zeros((uniq.size, grid.size))
        if finite.any():
            m[finite] = tail_matrix(
                np.ascontiguousarray(uniq[finite]), grid, float(scale), kind == "binomial"
            )
        self.matrix = m
        self.n_unique = uniq.size

    def mean(self, rows: np.ndarray | None = None) -> np.ndarray:
        idx = self.idx if rows is None else self.idx[rows]
        w = np.bincount(idx.ravel(), minlength=self.n_unique).astype(np.float64)
        return (w / idx.size) @ self.matrix


def _fit_curves(sizes, curves, grid, inv_nu, omega, n_samples, window=(0.08, 0.92)):
    """Least-squares collapse of the curves; returns (x_c, r_star, chi2/dof).

    Model: R = F(z) + L^-omega (c + d z), z = (x - x_c) L^(1/nu), F cubic; omega=None drops the
    correction terms.
    """
    from scipy.optimize import least_squares

    xs, ys, ls, ws = [], [], [], []
    for L, R, S in zip(sizes, curves, n_samples, strict=True):
        m = (window[0] < R) & (window[1] > R)
        if m.sum() < 3:
            continue
        xs.append(grid[m])
        ys.append(R[m])
        ls.append(np.full(int(m.sum()), float(L)))
        ws.append(np.sqrt(S / np.clip(R[m] * (1 - R[m]), 1e-4, None)))
    if len(xs) < 2:
        raise InputError(
            "the sampled curves do not cover the transition for two sizes or more; "
            "use more samples or larger sizes"
        )
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    lv = np.concatenate(ls)
    w = np.concatenate(ws)
    lnu = lv**inv_nu
    lcorr = lv ** (-omega) if omega is not None else None

    def resid(th):
        z = (x - th[0]) * lnu
        f = th[1] + z * (th[2] + z * (th[3] + z * th[4]))
        if lcorr is not None:
            f = f + (th[5] + th[6] * z) * lcorr
        return (f - y) * w

    i0 = int(np.argmin(np.abs(y - 0.5)))
    slope0 = 1.0 / max(np.ptp(x) * np.median(lnu), 1e-12)
    th0 = [x[i0], 0.5, slope0, 0.0, 0.0] + ([0.0, 0.0] if lcorr is not None else [])
    if x.size <= len(th0):
        raise InputError("too few points near the transition for the scaling fit")
    r = least_squares(resid, th0, method="lm", x_scale="jac")
    dof = max(1, x.size - len(th0))
    return float(r.x[0]), float(r.x[1]), float(np.sum(r.fun**2) / dof)


def fit_threshold(
    counts_by_size: Mapping[float, np.ndarray],
    *,
    kind: str,
    scales: Mapping[float, float],
    event: str = "wrap_x",
    inv_nu: float = INV_NU_3D,
    omega: float | None = None,
    n_boot: int = 60,
    seed: int = 0,
    n_grid: int = 160,
) -> ThresholdFit:
    """Estimate the threshold from per-size event counts.

    Parameters
    ----------
    counts_by_size
        ``{L: kernel event rows}`` (rows: span, wrap_x, wrap_y, wrap_z, ...).
    kind
        ``"binomial"`` (lattices: x = p, ``scales[L]`` = number of sites or bonds) or
        ``"poisson"`` (particles: x = eta = reduced density, ``scales[L]`` = V / <v>).
    event
        One of ``wrap_x`` (default), ``wrap_any``, ``wrap_all``, ``span``.
    omega
        Correction exponent; default 2.0 for wrapping and 1.2 for spanning.
    n_boot
        Bootstrap replicates over samples for the statistical error.
    """
    if kind not in ("binomial", "poisson"):
        raise InputError(f"kind must be 'binomial' or 'poisson', not '{kind}'")
    sizes = sorted(counts_by_size)
    if len(sizes) < 2:
        raise InputError("finite-size scaling needs at least two system sizes")
    if omega is None:
        omega = OMEGA_SPAN if event == "span" else OMEGA_WRAP
    sets = {L: event_counts(counts_by_size[L], event) for L in sizes}
    # x of each sample: n / scale; the grid spans the bulk of all sizes' threshold distributions
    xs_all = []
    summaries_x = {}
    for L in sizes:
        n = np.concatenate(sets[L]).astype(np.float64)
        ok = n < np.iinfo(np.int64).max
        xv = n[ok] / scales[L]
        summaries_x[L] = (xv, int((~ok).sum()))
        xs_all.append(xv)
    xcat = np.concatenate(xs_all)
    if xcat.size < 10:
        raise InputError("too few samples reached the percolation event to estimate a threshold")
    lo, hi = np.quantile(xcat, [0.002, 0.998])
    pad = 0.1 * (hi - lo)
    grid = np.linspace(max(lo - pad, 0.0), hi + pad, n_grid)
    if kind == "binomial":
        grid = np.clip(grid, 0.0, 1.0)
    mats = {L: _Curves(sets[L], grid, kind, scales[L]) for L in sizes}
    nsamp = [mats[L].n_samples for L in sizes]
    curves = [mats[L].mean() for L in sizes]
    x_c, r_star, chi2 = _fit_curves(sizes, curves, grid, inv_nu, omega, nsamp)
    # Model spread: no correction terms, a narrower window, the smallest size left out.
    variants = [_fit_curves(sizes, curves, grid, inv_nu, None, nsamp)[0]]
    x_c0 = variants[0]
    with contextlib.suppress(InputError):
        variants.append(_fit_curves(sizes, curves, grid, inv_nu, omega, nsamp, (0.15, 0.85))[0])
    if len(sizes) >= 3:
        with contextlib.suppress(InputError):
            variants.append(_fit_curves(sizes[1:], curves[1:], grid, inv_nu, omega, nsamp[1:])[0])
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(int(n_boot)):
        cb = [mats[L].mean(rng.integers(0, mats[L].n_samples, mats[L].n_samples)) for L in sizes]
        try:
            boots.append(_fit_curves(sizes, cb, grid, inv_nu, omega, nsamp)[0])
        except (InputError, ValueError):  # pragma: no cover - a degenerate resample
            continue
    stat = float(np.std(boots, ddof=1)) if len(boots) > 2 else float("nan")
    sys_ = 0.5 * (max([x_c, *variants]) - min([x_c, *variants]))
    err = float(np.hypot(stat, sys_))
    summaries = []
    for L, R in zip(sizes, curves, strict=True):
        xv, ncens = summaries_x[L]
        above = np.nonzero(r_star <= R)[0]
        x_at = float(grid[above[0]]) if above.size else float("nan")
        summaries.append(
            SizeSummary(
                L=float(L),
                n_samples=int(mats[L].n_samples),
                x_mean=float(xv.mean()) if xv.size else float("nan"),
                x_std=float(xv.std()) if xv.size else float("nan"),
                x_at_r_star=x_at,
                n_censored=ncens,
            )
        )
    logger.debug("FSS fit: x_c=%.6f +- %.6f (stat %.6f, sys %.6f)", x_c, err, stat, sys_)
    return ThresholdFit(
        x_c=x_c,
        x_c_err=err,
        x_c_err_stat=stat,
        x_c_err_sys=sys_,
        r_star=r_star,
        event=event,
        inv_nu=inv_nu,
        omega=float(omega),
        x_c_uncorrected=x_c0,
        chi2_per_dof=chi2,
        sizes=tuple(summaries),
    )
