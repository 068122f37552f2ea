"""Analytic conductivity models of metal/insulator interphases and the fit of eq. 2.

* Mixing rule (DESIGN.md eq. 1): sigma = V_f sigma_M + (1 - V_f) sigma_NM.
* Percolation power law (eq. 2): sigma = sigma_0 (V_f - V_p)^n above V_p, plus the insulator's
  conductivity (so the curve is continuous and tends to sigma_insulator below V_p); n ~ 2 in 3D
  (../shared/DESIGN.md section 7).
* McLachlan's general effective-media (GEM) equation, D. S. McLachlan, M. Blaszkiewicz,
  R. E. Newnham, J. Am. Ceram. Soc. 73, 2187 (1990), doi:10.1111/j.1151-2916.1990.tb07576.x:

      (1 - f) (s_l^(1/s) - s_m^(1/s)) / (s_l^(1/s) + A s_m^(1/s))
          + f (s_h^(1/t) - s_m^(1/t)) / (s_h^(1/t) + A s_m^(1/t)) = 0,   A = (1 - V_p) / V_p,

  with f the metal fraction. It is continuous through V_p, gives sigma_h ((f - V_p)/(1 - V_p))^t
  above V_p for an ideal insulator, and reduces to Bruggeman's symmetric effective-medium
  approximation for s = t = 1.
* :func:`fit_power_law`: least-squares fit of (sigma_0, V_p, n) in log space with a robust loss,
  uncertainties from the covariance matrix and from a bootstrap over data points.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)


def _as_array(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def mixing_rule(v_f, sigma_metal_S_cm: float, sigma_nonmetal_S_cm: float):
    """Eq. 1: volume-weighted arithmetic mean of the phase conductivities (S/cm)."""
    v = _as_array(v_f)
    if np.any((v < 0) | (v > 1)):
        raise InputError("metal volume fractions must lie in [0, 1]")
    return v * sigma_metal_S_cm + (1.0 - v) * sigma_nonmetal_S_cm


def power_law(v_f, sigma0_S_cm: float, v_p: float, n: float, sigma_insulator_S_cm: float = 0.0):
    """Eq. 2: sigma_0 (V_f - V_p)^n above V_p, plus the insulator's conductivity (S/cm)."""
    v = _as_array(v_f)
    excess = np.clip(v - v_p, 0.0, None)
    return sigma0_S_cm * excess**n + sigma_insulator_S_cm


def gem_conductivity(
    v_f,
    v_p: float,
    sigma_metal_S_cm: float,
    sigma_insulator_S_cm: float,
    t: float = 2.0,
    s: float = 1.0,
):
    """McLachlan GEM effective conductivity (S/cm) at metal volume fraction(s) ``v_f``.

    Parameters
    ----------
    v_f
        Metal volume fraction(s) in [0, 1].
    v_p
        Critical metal volume fraction (percolation threshold), 0 < V_p < 1.
    sigma_metal_S_cm, sigma_insulator_S_cm
        Conductivities of the metal and of the insulating phase (S/cm), metal > insulator >= 0.
    t, s
        Exponents above (t ~ 2 in 3D) and below the threshold; s = t = 1 is Bruggeman's
        effective-medium approximation. The default s = 1 is a neutral choice, not a universal
        value: fit it to data when available.
    """
    v = _as_array(v_f)
    sh = float(sigma_metal_S_cm)
    sl = float(sigma_insulator_S_cm)
    if not 0 < v_p < 1:
        raise InputError(f"V_p={v_p} must lie strictly between 0 and 1")
    if not sh > 0 or sl < 0 or sl >= sh:
        raise InputError("need sigma_metal > sigma_insulator >= 0")
    if np.any((v < 0) | (v > 1)):
        raise InputError("metal volume fractions must lie in [0, 1]")
    if not (t > 0 and s > 0):
        raise InputError("the GEM exponents s and t must be positive")
    A = (1.0 - v_p) / v_p
    flat = np.atleast_1d(v).ravel()
    out = np.empty_like(flat)
    if sl == 0.0:
        out = np.where(flat > v_p, sh * (np.clip(flat - v_p, 0, None) / (1 - v_p)) ** t, 0.0)
        return out.reshape(v.shape) if v.ndim else float(out[0])
    ls, lh = math.log(sl), math.log(sh)

    def g(lm, f):
        m = np.exp(lm)
        a = sl ** (1 / s)
        b = m ** (1 / s)
        c = sh ** (1 / t)
        d = m ** (1 / t)
        return (1 - f) * (a - b) / (a + A * b) + f * (c - d) / (c + A * d)

    # g decreases monotonically in log sigma_m from >= 0 at sigma_l to <= 0 at sigma_h: bisect.
    lo = np.full(flat.shape, ls)
    hi = np.full(flat.shape, lh)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        pos = g(mid, flat) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
        if np.max(hi - lo) < 1e-13:
            break
    out = np.exp(0.5 * (lo + hi))
    return out.reshape(v.shape) if v.ndim else float(out[0])


def percolation_conductivity(
    v_f,
    v_p: float,
    sigma_metal_S_cm: float,
    sigma_insulator_S_cm: float = 0.0,
    n: float = 2.0,
    sigma0_S_cm: float | None = None,
):
    """Eq. 2 with the prefactor of an ideal percolating composite.

    sigma = sigma_0 (V_f - V_p)^n + sigma_insulator, with sigma_0 = sigma_metal / (1 - V_p)^n by
    default so that a fully metallic interphase (V_f = 1) has the metal's conductivity (S/cm).
    """
    if not 0 < v_p < 1:
        raise InputError(f"V_p={v_p} must lie strictly between 0 and 1")
    s0 = sigma_metal_S_cm / (1.0 - v_p) ** n if sigma0_S_cm is None else sigma0_S_cm
    return power_law(v_f, s0, v_p, n, sigma_insulator_S_cm)


@dataclass(frozen=True)
class PowerLawFit:
    """Fit of eq. 2, sigma = sigma_0 (V_f - V_p)^n (+ sigma_floor), to (V_f, sigma) data.

    Errors (``*_err``) are bootstrap half widths of the central 68 % interval when ``n_boot`` > 0,
    otherwise from the covariance matrix (``cov``, for (log10 sigma_0, V_p, n)).
    """

    sigma0_S_cm: float
    sigma0_err: float
    v_p: float
    v_p_err: float
    n: float
    n_err: float
    cov: tuple[tuple[float, ...], ...]
    sigma_floor_S_cm: float
    n_points: int
    n_used: int
    n_below_threshold: int
    rms_log10: float
    n_boot: int
    loss: str


def fit_power_law(
    v_f,
    sigma_S_cm,
    *,
    sigma_floor_S_cm: float = 0.0,
    n_boot: int = 200,
    seed: int = 0,
    loss: str = "soft_l1",
    n_bounds: tuple[float, float] = (0.3, 8.0),
) -> PowerLawFit:
    """Fit (sigma_0, V_p, n) of eq. 2 to measured or simulated conductivities.

    The residuals are log10(model) - log10(data), the model being sigma_0 (V_f - V_p)_+^n +
    ``sigma_floor_S_cm``. Points at or below the floor (zero conductivity of a simulation
    below threshold, or a measured insulator value) cannot inform sigma_0 and n: with a zero floor
    they (and numerical zeros, below 1e-12 of the largest value) are left out (counted in
    ``n_below_threshold``) and V_p is bounded below the lowest
    remaining V_f; with a positive floor they stay in the fit. ``loss`` (scipy least_squares, e.g.
    ``linear``, ``soft_l1``, ``huber``) makes the fit robust to stray points.
    """
    from scipy.optimize import least_squares

    v = _as_array(v_f).ravel()
    y = _as_array(sigma_S_cm).ravel()
    if v.shape != y.shape or v.size == 0:
        raise InputError("V_f and sigma must be non-empty arrays of the same length")
    if np.any(~np.isfinite(v)) or np.any(~np.isfinite(y)) or np.any(y < 0):
        raise InputError("V_f and sigma must be finite and sigma >= 0")
    floor = float(sigma_floor_S_cm)
    if floor < 0:
        raise InputError("sigma_floor_S_cm must be >= 0")
    # numerical zeros (below 1e-12 of the largest value) count as zero conductivity
    use = y > 1e-12 * float(y.max()) if floor == 0.0 else y > 0
    vu, yu = v[use], y[use]
    if vu.size < 4:
        raise InputError(
            f"only {vu.size} points with sigma > 0; the eq. 2 fit needs at least 4 above threshold"
        )
    # with a zero floor every used point must lie above V_p
    vp_hi = (float(vu.min()) if floor == 0.0 else float(vu.max())) - 1e-9
    vp_lo = 0.0
    ly = np.log10(yu)

    def model_log(th, vv):
        ls0, vp, n = th
        ex = np.clip(vv - vp, 1e-300, None)
        m = 10.0**ls0 * ex**n
        return np.log10(m + floor) if floor > 0 else ls0 + n * np.log10(ex)

    def resid(th, vv, yy):
        return model_log(th, vv) - yy

    def solve(vv, yy):
        best = None
        for frac in (0.5, 0.8, 0.95):
            vp0 = vp_lo + frac * (vp_hi - vp_lo)
            n0 = 2.0
            ls00 = float(np.median(yy - n0 * np.log10(np.clip(vv - vp0, 1e-12, None))))
            r = least_squares(
                resid,
                [ls00, vp0, n0],
                args=(vv, yy),
                bounds=([-np.inf, vp_lo, n_bounds[0]], [np.inf, vp_hi, n_bounds[1]]),
                loss=loss,
                f_scale=0.1,
            )
            if best is None or r.cost < best.cost:
                best = r
        return best

    r = solve(vu, ly)
    th = r.x
    J = r.jac
    dof = max(1, vu.size - 3)
    s2 = float(np.sum(r.fun**2) / dof)
    try:
        cov = np.linalg.inv(J.T @ J) * s2
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    errs = np.sqrt(np.clip(np.diag(cov), 0, None))
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        reps = []
        for _ in range(int(n_boot)):
            idx = rng.integers(0, vu.size, vu.size)
            if np.unique(vu[idx]).size < 4:
                continue
            try:
                reps.append(solve(vu[idx], ly[idx]).x)
            except ValueError:  # pragma: no cover
                continue
        if len(reps) > 5:
            # half width of the central 68 % interval: robust to the odd diverging resample
            p16, p84 = np.percentile(np.array(reps), [15.865, 84.135], axis=0)
            errs = 0.5 * (p84 - p16)
    s0 = 10.0 ** th[0]
    n_below = int((~use).sum()) + (int((vu <= th[1]).sum()) if floor > 0 else 0)
    return PowerLawFit(
        sigma0_S_cm=float(s0),
        sigma0_err=float(s0 * math.log(10) * errs[0]),
        v_p=float(th[1]),
        v_p_err=float(errs[1]),
        n=float(th[2]),
        n_err=float(errs[2]),
        cov=tuple(tuple(float(c) for c in row) for row in cov),
        sigma_floor_S_cm=floor,
        n_points=int(v.size),
        n_used=int(vu.size),
        n_below_threshold=n_below,
        rms_log10=float(np.sqrt(np.mean(r.fun**2))),
        n_boot=int(n_boot),
        loss=loss,
    )


def read_conductivity_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read (V_f, sigma_S_cm) columns from a CSV file.

    Columns named ``v_f``/``vf``/``V_f`` and ``sigma``/``sigma_S_cm`` (any case) are used; without
    such names the first two numeric columns are taken.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(f"data file '{p}' does not exist")
    try:
        df = pd.read_csv(p)
    except Exception as exc:  # pandas raises many exception types
        raise InputError(f"cannot read '{p}' as CSV: {exc}") from exc
    cols = {c.lower().strip(): c for c in df.columns}
    vcol = next((cols[k] for k in ("v_f", "vf", "v_fm", "volume_fraction") if k in cols), None)
    scol = next((cols[k] for k in ("sigma_s_cm", "sigma", "conductivity") if k in cols), None)
    if vcol is None or scol is None:
        num = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
        if len(num) < 2:
            raise InputError(
                f"'{p}' needs two numeric columns (V_f, sigma_S_cm) or columns named v_f and sigma"
            )
        vcol, scol = num[0], num[1]
    v = pd.to_numeric(df[vcol], errors="coerce").to_numpy(dtype=float)
    s = pd.to_numeric(df[scol], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(v) & np.isfinite(s)
    if ok.sum() == 0:
        raise InputError(f"'{p}' holds no numeric (V_f, sigma) rows")
    return v[ok], s[ok]
