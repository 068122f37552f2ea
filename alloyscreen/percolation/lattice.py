"""Site and bond percolation on periodic simple-cubic, bcc and fcc lattices (Newman–Ziff).

One sweep per sample occupies sites (or bonds) in random order and records when a cluster first
wraps around the periodic box along x, y and z, and when a cluster first spans from the bottom to
the top face of the same lattice with the z boundary opened. From these counts the wrapping and
spanning probabilities are exact, smooth functions of the occupation probability p (binomial
convolution), and a finite-size-scaling fit over several sizes L gives p_c with an error bar
(:mod:`alloyscreen.percolation.fss`).

Method: M. E. J. Newman and R. M. Ziff, Phys. Rev. E 64, 016706 (2001),
doi:10.1103/PhysRevE.64.016706.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alloyscreen.errors import InputError
from alloyscreen.percolation.fss import EVENTS, SizeSummary, event_counts, fit_threshold

logger = logging.getLogger(__name__)

LATTICES = ("sc", "bcc", "fcc")
KINDS = ("site", "bond")

#: Literature thresholds, each with its source.
#: sc site 0.3116077(2), sc bond 0.24881182(10): J. Wang, Z. Zhou, W. Zhang, T. M. Garoni,
#:   Y. Deng, Phys. Rev. E 87, 052107 (2013), doi:10.1103/PhysRevE.87.052107.
#: bcc site 0.2459615(10), fcc site 0.1992365(10): C. D. Lorenz and R. M. Ziff, J. Phys. A 31,
#:   8147 (1998), doi:10.1088/0305-4470/31/40/009 (confirmed by X. Xu, J. Wang, J.-P. Lv, Y. Deng,
#:   Front. Phys. 9, 113 (2014), doi:10.1007/s11467-013-0403-z: 0.2459615(2), 0.19923517(20)).
#: bcc bond 0.1802875(10), fcc bond 0.1201635(10): C. D. Lorenz and R. M. Ziff, Phys. Rev. E 57,
#:   230 (1998), doi:10.1103/PhysRevE.57.230 (sc bond there: 0.2488126(5)).
REFERENCE_THRESHOLDS: dict[tuple[str, str], tuple[float, str]] = {
    ("sc", "site"): (0.3116077, "Wang et al., PRE 87, 052107 (2013), doi:10.1103/PhysRevE.87.052107"),
    ("sc", "bond"): (0.24881182, "Wang et al., PRE 87, 052107 (2013), doi:10.1103/PhysRevE.87.052107"),
    ("bcc", "site"): (0.2459615, "Lorenz & Ziff, J. Phys. A 31, 8147 (1998), doi:10.1088/0305-4470/31/40/009"),
    ("bcc", "bond"): (0.1802875, "Lorenz & Ziff, PRE 57, 230 (1998), doi:10.1103/PhysRevE.57.230"),
    ("fcc", "site"): (0.1992365, "Lorenz & Ziff, J. Phys. A 31, 8147 (1998), doi:10.1088/0305-4470/31/40/009"),
    ("fcc", "bond"): (0.1201635, "Lorenz & Ziff, PRE 57, 230 (1998), doi:10.1103/PhysRevE.57.230"),
}  # fmt: skip


@dataclass(frozen=True)
class LatticeThreshold:
    """Finite-size-scaling estimate of a lattice percolation threshold.

    Attributes
    ----------
    p_c, p_c_err
        Threshold (occupation probability of sites or bonds) and its 1-sigma error (statistical
        bootstrap error and half the correction-to-scaling model spread, in quadrature).
    r_star
        Fitted value of the event probability at p_c (universal for a given box shape and event).
    reference_p_c, reference
        Literature value for the same lattice and kind, and its citation.
    """

    lattice: str
    kind: str
    p_c: float
    p_c_err: float
    p_c_err_stat: float
    p_c_err_sys: float
    event: str
    sizes: tuple[int, ...]
    samples: tuple[int, ...]
    seed: int
    r_star: float
    inv_nu: float
    omega: float
    chi2_per_dof: float
    per_size: tuple[SizeSummary, ...]
    reference_p_c: float | None
    reference: str | None
    elements_processed: int
    elapsed_s: float


@dataclass(frozen=True)
class PercolationCurves:
    """Spanning and wrapping probabilities R(p) of one lattice size (canonical ensemble)."""

    lattice: str
    kind: str
    L: int
    samples: int
    p: np.ndarray
    span: np.ndarray
    wrap_x: np.ndarray
    wrap_any: np.ndarray
    wrap_all: np.ndarray


def _check(lattice: str, kind: str) -> None:
    if lattice not in LATTICES:
        raise InputError(f"unknown lattice '{lattice}'; use one of {', '.join(LATTICES)}")
    if kind not in KINDS:
        raise InputError(f"unknown percolation kind '{kind}'; use 'site' or 'bond'")


def n_elements(lattice: str, kind: str, L: int) -> int:
    """Number of sites (or bonds) of the periodic L x L x L cubic-cell lattice."""
    _check(lattice, kind)
    sites = {"sc": 1, "bcc": 2, "fcc": 4}[lattice] * L**3
    if kind == "site":
        return sites
    return sites * {"sc": 3, "bcc": 4, "fcc": 6}[lattice]


def sample_events(
    lattice: str,
    kind: str,
    L: int,
    samples: int,
    *,
    seed: int = 0,
    track_span: bool = True,
    threads: int | None = None,
) -> np.ndarray:
    """Run ``samples`` Newman–Ziff sweeps of an L^3-cell periodic lattice.

    Returns
    -------
    numpy.ndarray
        int64 array (samples, 6): number of occupied elements when a cluster first spans
        (bottom to top, z boundary opened), wraps along x, y, z; total elements; elements
        processed before the sweep stopped (once every event had happened). -1 = never.
    """
    from alloyscreen.percolation import _lattice_kernels as K
    from alloyscreen.percolation._rng import sample_seeds

    _check(lattice, kind)
    if int(L) < 4:
        raise InputError(f"lattice size L={L} is too small; use L >= 4")
    if int(samples) < 1:
        raise InputError(f"samples={samples} must be at least 1")
    seeds = sample_seeds(seed, int(samples), LATTICES.index(lattice), KINDS.index(kind), int(L))
    return K.run_samples(lattice, int(L), kind == "bond", seeds, track_span, threads)


def percolation_curves(
    lattice: str,
    kind: str,
    L: int,
    samples: int,
    p: Sequence[float] | np.ndarray,
    *,
    seed: int = 0,
    threads: int | None = None,
) -> PercolationCurves:
    """Spanning and wrapping probabilities as functions of p from one sweep per sample."""
    from alloyscreen.percolation.fss import _Curves

    ev = sample_events(lattice, kind, L, samples, seed=seed, threads=threads)
    grid = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    N = n_elements(lattice, kind, L)
    curves = {e: _Curves(event_counts(ev, e), grid, "binomial", N).mean() for e in EVENTS}
    return PercolationCurves(
        lattice=lattice,
        kind=kind,
        L=int(L),
        samples=int(samples),
        p=grid,
        span=curves["span"],
        wrap_x=curves["wrap_x"],
        wrap_any=curves["wrap_any"],
        wrap_all=curves["wrap_all"],
    )


def lattice_threshold(
    lattice: str = "sc",
    kind: str = "site",
    sizes: Sequence[int] = (12, 16, 24, 32),
    samples: int | Sequence[int] = 2000,
    *,
    seed: int = 0,
    event: str = "wrap_x",
    omega: float | None = None,
    n_boot: int = 60,
    threads: int | None = None,
    progress=None,
) -> LatticeThreshold:
    """Estimate p_c of site or bond percolation on the sc, bcc or fcc lattice.

    Parameters
    ----------
    lattice, kind
        ``sc``/``bcc``/``fcc`` and ``site``/``bond``.
    sizes
        Linear sizes L in cubic cells (at least two, each >= 4).
    samples
        Sweeps per size (one number for all sizes, or one per size).
    event
        Event whose probability is scaled: ``wrap_x`` (default; wrapping along one axis,
        averaged over the three axes), ``wrap_any``, ``wrap_all`` or ``span``.
    omega
        Correction-to-scaling exponent (default: 2 for wrapping, 1.2 for spanning).
    threads
        numba threads (default: numba's setting); results do not depend on it.
    progress
        Optional callable ``progress(n=1, description=None)`` called after each size.
    """
    _check(lattice, kind)
    sizes = tuple(int(L) for L in sizes)
    if len(sizes) < 2 or len(set(sizes)) != len(sizes):
        raise InputError(f"sizes {sizes} must hold at least two different lattice sizes")
    if isinstance(samples, int | np.integer):
        per = tuple(int(samples) for _ in sizes)
    else:
        per = tuple(int(s) for s in samples)
        if len(per) != len(sizes):
            raise InputError("samples must be one number or one number per size")
    if event not in EVENTS:
        raise InputError(f"unknown event '{event}'; use one of {', '.join(EVENTS)}")
    t0 = time.perf_counter()
    counts = {}
    processed = 0
    for L, S in zip(sizes, per, strict=True):
        ev = sample_events(
            lattice, kind, L, S, seed=seed, track_span=event == "span", threads=threads
        )
        counts[L] = ev
        processed += int(ev[:, 5].sum())
        if progress is not None:
            progress(1, f"{lattice} {kind} L={L}")
    scales = {L: n_elements(lattice, kind, L) for L in sizes}
    fit = fit_threshold(
        counts, kind="binomial", scales=scales, event=event, omega=omega, n_boot=n_boot, seed=seed
    )
    ref = REFERENCE_THRESHOLDS.get((lattice, kind))
    return LatticeThreshold(
        lattice=lattice,
        kind=kind,
        p_c=fit.x_c,
        p_c_err=fit.x_c_err,
        p_c_err_stat=fit.x_c_err_stat,
        p_c_err_sys=fit.x_c_err_sys,
        event=event,
        sizes=sizes,
        samples=per,
        seed=int(seed),
        r_star=fit.r_star,
        inv_nu=fit.inv_nu,
        omega=fit.omega,
        chi2_per_dof=fit.chi2_per_dof,
        per_size=fit.sizes,
        reference_p_c=ref[0] if ref else None,
        reference=ref[1] if ref else None,
        elements_processed=processed,
        elapsed_s=time.perf_counter() - t0,
    )
