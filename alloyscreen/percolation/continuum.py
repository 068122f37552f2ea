"""Continuum percolation of metal particles in an insulating matrix.

Models (lengths in units of the metal particle's equivalent-sphere radius r, i.e. a particle of
mean volume 4/3 pi):

* ``shape``: ``sphere`` or ``spheroid`` with aspect ratio AR = a/b, a the semi-axis along the
  symmetry axis (AR > 1 prolate, AR < 1 oblate; the convention of Garboczi et al., Phys. Rev. E
  52, 819 (1995), doi:10.1103/PhysRevE.52.819, Table 1), random isotropic orientations.
* size polydispersity: radii scaled by a log-normal factor with the given coefficient of variation
  (clipped at +-3 sigma), normalised so that the mean particle volume is 4/3 pi.
* ``overlapping`` (penetrable, the Boolean model) or hard-core particles placed by random
  sequential addition (RSA); two particles are connected when their surface gap is below the
  tunnelling distance d (for spheroids: when the spheroids with semi-axes inflated by d/2
  overlap, the usual core-shell approximation; exact for spheres).
* ``distribution``:
  ``random`` - centres uniform in the box (the insulator is a continuous matrix);
  ``enveloped`` - each metal particle is wrapped in an insulating shell of thickness s that other
  metal cannot penetrate (surface gaps >= s), hard cores, tunnelling distance d > s needed;
  ``segregated`` - metal confined to the boundaries between insulating grains: grains are the cells
  of a periodic Voronoi tessellation of grain centres (RSA seeds), metal centres lie within one
  metal radius of a cell face; ``size_ratio`` = r / R_grain, R_grain the equivalent-sphere radius
  of a grain.

The critical volume fraction comes from finite-size scaling of wrapping probabilities over several
periodic boxes (:mod:`alloyscreen.percolation.fss`), with the Poisson (grand-canonical)
ensemble in the number of particles. For overlapping particles the covered volume fraction is
phi = 1 - exp(-eta), eta = n <v> / V; for hard-core particles phi = eta; for the segregated model
with overlapping metal the covered fraction is measured with random test points.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alloyscreen.errors import InputError
from alloyscreen.percolation.fss import EVENTS, SizeSummary, fit_threshold

logger = logging.getLogger(__name__)

SHAPES = ("sphere", "spheroid")
DISTRIBUTIONS = ("random", "enveloped", "segregated")
PRESETS = {
    # particles expected at the threshold in each box, samples per box
    "fast": ((120, 300, 700), 300),
    "standard": ((150, 400, 1000, 2500), 500),
    "accurate": ((200, 600, 1600, 4500, 12000), 1200),
}

#: Overlapping spheres: phi_c = 0.289573(2), eta_c = 0.341889(3): C. D. Lorenz and R. M. Ziff,
#: J. Chem. Phys. 114, 3659 (2001), doi:10.1063/1.1338506; phi_c = 0.2895(5): M. D. Rintoul and
#: S. Torquato, J. Phys. A 30, L585 (1997), doi:10.1088/0305-4470/30/16/005.
PHI_C_SPHERES = 0.289573
#: Garboczi, Snyder, Douglas, Thorpe, Phys. Rev. E 52, 819 (1995), doi:10.1103/PhysRevE.52.819,
#: Table 1 (overlapping, randomly oriented ellipsoids of revolution, AR = a/b): phi_c.
GARBOCZI_1995 = {
    0.1: 0.1058,
    0.125: 0.1262,
    0.25: 0.2003,
    0.5: 0.2629,
    1.0: 0.2854,
    2.0: 0.2618,
    3.0: 0.2244,
    4.0: 0.1901,
    5.0: 0.1627,
    10.0: 0.08703,
    20.0: 0.04150,
}

_V_UNIT = 4.0 / 3.0 * math.pi


@dataclass(frozen=True)
class ParticleThreshold:
    """Critical metal volume fraction of a particle microstructure.

    Attributes
    ----------
    phi_c, phi_c_err
        Critical metal volume fraction V_p (0..1) and its 1-sigma error; NaN when the structure
        does not percolate (``percolates`` False, see ``note``).
    eta_c, eta_c_err
        Critical reduced density n <v> / V (equal to phi_c for hard-core particles).
    lengths
        All lengths are in units of the metal particle's equivalent-sphere radius.
    """

    phi_c: float
    phi_c_err: float
    eta_c: float
    eta_c_err: float
    percolates: bool
    shape: str
    aspect_ratio: float
    size_ratio: float
    distribution: str
    shell_thickness: float
    tunnelling_distance: float
    overlapping: bool
    polydispersity: float
    event: str
    boxes: tuple[float, ...]
    samples: tuple[int, ...]
    seed: int
    r_star: float
    chi2_per_dof: float
    per_size: tuple[SizeSummary, ...]
    n_censored: int
    elapsed_s: float
    note: str = ""


@dataclass(frozen=True)
class _Model:
    a0: float
    b0: float
    sigma_ln: float
    f_max: float
    mean_volume: float
    overlapping: bool
    exclusion: float
    connection: float
    segregated: bool
    grain_radius: float
    boundary_halfwidth: float
    reach: float


def spheroid_axes(aspect_ratio: float) -> tuple[float, float]:
    """Semi-axes (a along the symmetry axis, b across) of the unit-volume-equivalent spheroid."""
    ar = float(aspect_ratio)
    return ar ** (2.0 / 3.0), ar ** (-1.0 / 3.0)


def _lognormal_sigma(cv: float) -> float:
    return math.sqrt(math.log1p(cv * cv)) if cv > 0 else 0.0


def _mean_volume_factor(sigma_ln: float) -> float:
    """E[f^3] of the clipped log-normal scale factor (1 without clipping)."""
    if sigma_ln <= 0:
        return 1.0
    g = np.linspace(-3.0, 3.0, 4001)
    w = np.exp(-0.5 * g * g)
    f3 = np.exp(3.0 * (sigma_ln * g - 1.5 * sigma_ln * sigma_ln))
    # mass beyond +-3 sigma sits at the clip points
    from scipy.stats import norm

    tail = norm.sf(3.0)
    inner = np.trapezoid(w * f3, g) / math.sqrt(2 * math.pi)
    return float(inner + tail * (f3[0] + f3[-1]))


def _build_model(
    shape, aspect_ratio, size_ratio, distribution, shell_thickness, tunnelling_distance,
    overlapping, polydispersity,
) -> _Model:  # fmt: skip
    if shape not in SHAPES:
        raise InputError(f"unknown shape '{shape}'; use 'sphere' or 'spheroid'")
    if distribution not in DISTRIBUTIONS:
        raise InputError(f"unknown distribution '{distribution}'; use {', '.join(DISTRIBUTIONS)}")
    ar = float(aspect_ratio)
    if not ar > 0 or not math.isfinite(ar):
        raise InputError(f"aspect ratio {aspect_ratio} must be a positive number")
    if shape == "sphere" and ar != 1.0:
        raise InputError(f"a sphere has aspect ratio 1, not {aspect_ratio}; use shape 'spheroid'")
    if not 1e-3 <= ar <= 1e3:
        raise InputError(f"aspect ratio {aspect_ratio} is outside the supported range 0.001-1000")
    s = float(shell_thickness)
    d = float(tunnelling_distance)
    if s < 0 or d < 0 or not (math.isfinite(s) and math.isfinite(d)):
        raise InputError("shell thickness and tunnelling distance must be >= 0")
    cv = float(polydispersity)
    if not 0 <= cv < 1:
        raise InputError(f"polydispersity {polydispersity} must be in [0, 1)")
    sr = float(size_ratio)
    if not sr > 0:
        raise InputError(f"size ratio {size_ratio} must be positive")
    if distribution == "enveloped":
        if overlapping:
            raise InputError(
                "the enveloped distribution keeps metal cores apart (gap >= shell thickness); "
                "it cannot be combined with overlapping particles"
            )
        if s <= 0:
            raise InputError("the enveloped distribution needs a shell thickness > 0")
    if distribution != "enveloped" and s > 0:
        raise InputError("a shell thickness is only meaningful for the enveloped distribution")
    if distribution == "segregated" and sr > 0.5:
        raise InputError(
            f"size ratio {size_ratio} is too large for a segregated structure; "
            "use metal/insulator-grain size ratios <= 0.5"
        )
    a0, b0 = spheroid_axes(ar)
    sigma = _lognormal_sigma(cv)
    f_max = math.exp(3.0 * sigma - 1.5 * sigma * sigma) if sigma > 0 else 1.0
    exclusion = 0.0 if overlapping else s
    reach = 2.0 * (max(a0, b0) * f_max + 0.5 * max(d, exclusion))
    return _Model(
        a0=a0,
        b0=b0,
        sigma_ln=sigma,
        f_max=f_max,
        mean_volume=_V_UNIT * _mean_volume_factor(sigma),
        overlapping=bool(overlapping),
        exclusion=exclusion,
        connection=d,
        segregated=distribution == "segregated",
        grain_radius=1.0 / sr if distribution == "segregated" else 0.0,
        boundary_halfwidth=1.0,
        reach=reach,
    )


def _excluded_volume_ratio(m: _Model, n: int = 200_000, seed: int = 12345) -> float:
    """<V_ex>/V for the connection shapes (Monte Carlo; used only to choose box sizes)."""
    from alloyscreen.percolation._continuum_kernels import count_overlaps

    rng = np.random.default_rng(seed)
    a = m.a0 + 0.5 * m.connection
    b = m.b0 + 0.5 * m.connection
    R = 2.0 * max(a, b)
    u = rng.normal(size=(n, 2, 3))
    u /= np.linalg.norm(u, axis=2, keepdims=True)
    r = rng.uniform(-R, R, size=(n, 3))
    hits = count_overlaps(r, u, a, b)
    return hits / n * (2 * R) ** 3 / _V_UNIT


def _guess_eta(m: _Model) -> float:
    """Rough threshold guess (excluded-volume argument, B_c ~ 2.3) used to size the boxes."""
    sphere = m.a0 == m.b0
    vex = 8.0 * (1.0 + 0.5 * m.connection) ** 3 if sphere else _excluded_volume_ratio(m)
    eta = min(0.6, 2.3 / vex)
    if not m.overlapping:
        eta = min(eta, 0.3 / (1 + 0.5 * m.exclusion) ** 3)
    if m.segregated:
        # fraction of space within one metal radius of a grain boundary, roughly 3 w / R_grain
        eta *= min(1.0, 3.0 * m.boundary_halfwidth / m.grain_radius * 1.3)
    return eta


def default_boxes(m: _Model, preset: str = "standard") -> tuple[float, ...]:
    """Box sides for the finite-size scaling: about the preset's particle counts at threshold."""
    counts, _ = PRESETS[preset]
    eta = _guess_eta(m)
    lmin = 2.05 * m.reach
    if m.segregated:
        lmin = max(lmin, 4.2 * m.grain_radius)
    boxes = []
    for n in counts:
        L = max(lmin, (n * m.mean_volume / eta) ** (1.0 / 3.0))
        boxes.append(round(L, 2))
    # keep them distinct and increasing by at least 15 %
    out = [boxes[0]]
    for L in boxes[1:]:
        out.append(max(L, round(out[-1] * 1.15, 2)))
    return tuple(out)


def _run_box(m: _Model, box: float, samples: int, seed: int, key: int, n_test: int, threads):
    from alloyscreen.percolation import _continuum_kernels as K
    from alloyscreen.percolation._rng import sample_seeds

    V = box**3
    if m.overlapping:
        max_particles = int(3.5 * V / m.mean_volume) + 64
    else:
        core = _V_UNIT * (1.0 + 0.5 * m.exclusion) ** 3
        max_particles = int(0.75 * V / core) + 64
    n_seeds = 0
    seed_excl = 0.0
    if m.segregated:
        n_seeds = max(2, round(V / (_V_UNIT * m.grain_radius**3)))
        # RSA grain centres at a hard-sphere packing fraction of 0.3: equiaxed grains
        seed_excl = 2.0 * m.grain_radius * 0.3 ** (1.0 / 3.0)
    seeds = sample_seeds(seed, samples, key, round(box * 1000))
    return K.run_samples(
        box=float(box),
        a0=m.a0,
        b0=m.b0,
        sigma_ln=m.sigma_ln,
        overlapping=m.overlapping,
        exclusion=m.exclusion,
        connection=m.connection,
        n_seeds=n_seeds,
        seed_exclusion=seed_excl,
        boundary_halfwidth=m.boundary_halfwidth,
        max_particles=max_particles,
        max_fail=3000,
        track_span=False,
        n_test=n_test,
        seeds=seeds,
        threads=threads,
    )


def _model_key(shape, aspect_ratio, distribution) -> int:
    return (SHAPES.index(shape) * 7 + DISTRIBUTIONS.index(distribution)) * 1_000_003 + round(
        math.log(float(aspect_ratio)) * 1e4
    ) % 1_000_003


def critical_volume_fraction(
    shape: str = "sphere",
    aspect_ratio: float = 1.0,
    size_ratio: float = 1.0,
    distribution: str = "random",
    shell_thickness: float = 0.0,
    tunnelling_distance: float = 0.0,
    *,
    overlapping: bool | None = None,
    polydispersity: float = 0.0,
    preset: str = "standard",
    boxes: Sequence[float] | None = None,
    samples: int | Sequence[int] | None = None,
    event: str = "wrap_x",
    seed: int = 0,
    n_boot: int = 40,
    threads: int | None = None,
    progress=None,
) -> ParticleThreshold:
    """Critical metal volume fraction V_p of a particle microstructure (finite-size scaling).

    Parameters
    ----------
    shape, aspect_ratio
        ``sphere`` or ``spheroid`` with AR = a/b (a along the symmetry axis; > 1 prolate).
    size_ratio
        Metal particle radius / insulating grain radius; used by the ``segregated`` distribution
        only (in the other distributions the insulator is a continuous matrix).
    distribution
        ``random``, ``enveloped`` or ``segregated`` (see the module docstring).
    shell_thickness, tunnelling_distance
        s and d in units of the metal equivalent-sphere radius.
    overlapping
        Penetrable metal particles; default True unless a tunnelling distance is given or the
        distribution is ``enveloped`` (then hard cores by random sequential addition).
    polydispersity
        Coefficient of variation of the particle radius (log-normal).
    preset, boxes, samples
        ``fast``/``standard``/``accurate`` box-size and sample presets, or explicit values.
    event
        Scaled event (``wrap_x`` default; also ``wrap_any``, ``wrap_all``).
    seed
        Seed; results are reproducible and independent of ``threads``.
    """
    t0 = time.perf_counter()
    if overlapping is None:
        overlapping = float(tunnelling_distance) == 0.0 and distribution != "enveloped"
    if preset not in PRESETS:
        raise InputError(f"unknown preset '{preset}'; use one of {', '.join(PRESETS)}")
    if event not in EVENTS or event == "span":
        raise InputError("particle thresholds use the wrapping events wrap_x, wrap_any or wrap_all")
    m = _build_model(
        shape, aspect_ratio, size_ratio, distribution, shell_thickness, tunnelling_distance,
        overlapping, polydispersity,
    )  # fmt: skip
    common = dict(
        shape=shape,
        aspect_ratio=float(aspect_ratio),
        size_ratio=float(size_ratio),
        distribution=distribution,
        shell_thickness=float(shell_thickness),
        tunnelling_distance=float(tunnelling_distance),
        overlapping=bool(overlapping),
        polydispersity=float(polydispersity),
        event=event,
        seed=int(seed),
    )
    if distribution == "enveloped" and float(tunnelling_distance) <= float(shell_thickness):
        return ParticleThreshold(
            phi_c=float("nan"), phi_c_err=float("nan"), eta_c=float("nan"),
            eta_c_err=float("nan"), percolates=False, boxes=(), samples=(), r_star=float("nan"),
            chi2_per_dof=float("nan"), per_size=(), n_censored=0,
            elapsed_s=time.perf_counter() - t0,
            note="shell thickness >= tunnelling distance: enveloped particles never connect",
            **common,
        )  # fmt: skip
    if boxes is None:
        boxes = default_boxes(m, preset)
    boxes = tuple(float(b) for b in boxes)
    if len(boxes) < 2 or len(set(boxes)) != len(boxes):
        raise InputError(f"boxes {boxes} must hold at least two different box sizes")
    for b in boxes:
        if b < 2.0 * m.reach:
            raise InputError(
                f"box {b:g} is smaller than twice the interaction range {m.reach:g}; "
                "use larger boxes"
            )
        if m.segregated and b < 3.0 * m.grain_radius:
            raise InputError(f"box {b:g} holds too few grains; use boxes >= {3 * m.grain_radius:g}")
    if samples is None:
        samples = PRESETS[preset][1]
    if isinstance(samples, int | np.integer):
        per = tuple(int(samples) for _ in boxes)
    else:
        per = tuple(int(s) for s in samples)
        if len(per) != len(boxes):
            raise InputError("samples must be one number or one number per box")
    if min(per) < 10:
        raise InputError("use at least 10 samples per box")
    n_test = 256 if (m.segregated and m.overlapping) else 0
    key = _model_key(shape, aspect_ratio, distribution)
    counts = {}
    covers = {}
    for b, S in zip(boxes, per, strict=True):
        ev, cov = _run_box(m, b, S, seed, key, n_test, threads)
        counts[b] = ev
        covers[b] = cov
        if progress is not None:
            progress(1, f"box {b:g}")
    n_cens = int(sum(int((counts[b][:, 5] != 0).sum()) for b in boxes))
    jammed = {b: float(np.mean(counts[b][:, 5] == 1)) for b in boxes}
    if max(jammed.values()) > 0.5:
        return ParticleThreshold(
            phi_c=float("nan"), phi_c_err=float("nan"), eta_c=float("nan"),
            eta_c_err=float("nan"), percolates=False, boxes=boxes, samples=per,
            r_star=float("nan"), chi2_per_dof=float("nan"), per_size=(), n_censored=n_cens,
            elapsed_s=time.perf_counter() - t0,
            note="most samples jammed (random sequential addition) before percolating",
            **common,
        )  # fmt: skip
    scales = {b: b**3 / m.mean_volume for b in boxes}
    fit = fit_threshold(
        counts, kind="poisson", scales=scales, event=event, n_boot=n_boot, seed=seed
    )
    eta, eta_err = fit.x_c, fit.x_c_err
    if m.overlapping and not m.segregated:
        phi = -math.expm1(-eta)
        phi_err = math.exp(-eta) * eta_err
    elif not m.overlapping:
        phi, phi_err = eta, eta_err
    else:
        phi, slope = _coverage_at(covers, counts, scales, eta)
        phi_err = slope * eta_err
    note = ""
    if n_cens:
        note = f"{n_cens} samples stopped before every wrapping event (jamming or particle limit)"
    return ParticleThreshold(
        phi_c=float(phi),
        phi_c_err=float(phi_err),
        eta_c=float(eta),
        eta_c_err=float(eta_err),
        percolates=True,
        boxes=boxes,
        samples=per,
        r_star=fit.r_star,
        chi2_per_dof=fit.chi2_per_dof,
        per_size=fit.sizes,
        n_censored=n_cens,
        elapsed_s=time.perf_counter() - t0,
        note=note,
        **common,
    )


def _coverage_at(covers, counts, scales, eta) -> tuple[float, float]:
    """Covered fraction at reduced density eta from the test points of the largest box."""
    b = max(covers)
    cov = covers[b]
    n_target = eta * scales[b]
    n_max = int(counts[b][:, 4].min())
    grid = np.arange(0, max(n_max, 2))
    frac = np.array([(cov < n).mean() for n in grid])
    n_target = min(n_target, grid[-1])
    phi = float(np.interp(n_target, grid, frac))
    lo = max(0, int(n_target) - 20)
    hi = min(grid[-1], int(n_target) + 20)
    slope_n = (frac[hi] - frac[lo]) / max(hi - lo, 1)
    return phi, float(slope_n * scales[b])
