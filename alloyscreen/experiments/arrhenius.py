"""Arrhenius analysis of Li diffusion coefficients and the unit conversions it needs.

``D(T) = D0 * exp(-Ea / (k_B T))``. Fits are weighted least squares of ``ln D`` against ``1/T``;
the parameter covariance gives standard errors of ``ln D0`` and ``Ea`` and the uncertainty of
``D(T)`` at any temperature.

Constants are CODATA 2018 values as shipped by :mod:`scipy.constants` (Tiesinga et al.,
Rev. Mod. Phys. 93, 025010 (2021), doi:10.1103/RevModPhys.93.025010): Boltzmann constant in eV/K,
elementary charge, Avogadro constant; the thermochemical calorie is exactly 4.184 J.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import constants as _sc
from scipy import stats as _stats

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

#: Boltzmann constant in eV/K (CODATA 2018, exact since the 2019 SI redefinition).
K_B_EV_PER_K: float = _sc.physical_constants["Boltzmann constant in eV/K"][0]
#: 1 eV per particle expressed in kJ/mol: e * N_A / 1000 (both exact in the 2019 SI) = 96.485... kJ/mol.
KJ_PER_MOL_PER_EV: float = _sc.e * _sc.N_A / 1000.0
#: Thermochemical calorie in J (exact).
J_PER_CAL: float = _sc.calorie
#: 1 m^2 = 1e4 cm^2.
CM2_PER_M2: float = 1.0e4

__all__ = [
    "CM2_PER_M2",
    "KJ_PER_MOL_PER_EV",
    "K_B_EV_PER_K",
    "ArrheniusFit",
    "arrhenius_D_cm2_s",
    "cm2_s_to_m2_s",
    "ev_to_kcal_per_mol",
    "ev_to_kj_per_mol",
    "fit_arrhenius",
    "kcal_per_mol_to_ev",
    "kj_per_mol_to_ev",
    "m2_s_to_cm2_s",
]


# ----------------------------------------------------------------------------------------------
# unit conversions (scalars or numpy arrays)
# ----------------------------------------------------------------------------------------------
def _scale(x, factor: float):
    """Multiply a scalar (returned as float) or an array-like (returned as ndarray) by factor."""
    if isinstance(x, np.ndarray | list | tuple):
        return np.asarray(x, dtype=float) * factor
    return float(x) * factor


def cm2_s_to_m2_s(d_cm2_s):
    """Convert a diffusion coefficient from cm^2/s to m^2/s (divide by 1e4)."""
    return _scale(d_cm2_s, 1.0 / CM2_PER_M2)


def m2_s_to_cm2_s(d_m2_s):
    """Convert a diffusion coefficient from m^2/s to cm^2/s (multiply by 1e4)."""
    return _scale(d_m2_s, CM2_PER_M2)


def kj_per_mol_to_ev(e_kj_mol):
    """Convert an activation energy from kJ/mol to eV per particle (1 eV = 96.485 kJ/mol)."""
    return _scale(e_kj_mol, 1.0 / KJ_PER_MOL_PER_EV)


def ev_to_kj_per_mol(e_ev):
    """Convert an activation energy from eV per particle to kJ/mol."""
    return _scale(e_ev, KJ_PER_MOL_PER_EV)


def kcal_per_mol_to_ev(e_kcal_mol):
    """Convert an activation energy from kcal/mol (thermochemical calorie) to eV per particle."""
    return _scale(e_kcal_mol, J_PER_CAL / KJ_PER_MOL_PER_EV)


def ev_to_kcal_per_mol(e_ev):
    """Convert an activation energy from eV per particle to kcal/mol (thermochemical calorie)."""
    return _scale(e_ev, KJ_PER_MOL_PER_EV / J_PER_CAL)


# ----------------------------------------------------------------------------------------------
# Arrhenius law and fit
# ----------------------------------------------------------------------------------------------
def arrhenius_D_cm2_s(T_K, D0_cm2_s: float, Ea_eV: float):
    """Evaluate ``D(T) = D0 exp(-Ea / (k_B T))``.

    Parameters
    ----------
    T_K : float or array
        Temperature in K (> 0).
    D0_cm2_s : float
        Pre-exponential factor in cm^2/s.
    Ea_eV : float
        Activation energy in eV.

    Returns
    -------
    float or ndarray
        Diffusion coefficient in cm^2/s.
    """
    T = np.asarray(T_K, dtype=float)
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise InputError(f"temperature must be positive and finite (got {T_K!r} K)")
    out = D0_cm2_s * np.exp(-Ea_eV / (K_B_EV_PER_K * T))
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ArrheniusFit:
    """Result of :func:`fit_arrhenius`.

    The fitted model is ``ln D = ln_D0 - Ea_eV / (k_B T)`` with ``D`` in cm^2/s.

    Attributes
    ----------
    D0_cm2_s, Ea_eV
        Best-fit prefactor (cm^2/s) and activation energy (eV).
    ln_D0_stderr, Ea_stderr_eV
        Standard errors of ``ln D0`` (dimensionless; ~ relative error of D0) and of ``Ea`` (eV).
    covariance
        2x2 covariance matrix of ``(ln D0, Ea_eV)`` as nested tuples.
    absolute_sigma
        True when per-point uncertainties were given and used as absolute (covariance not
        rescaled; confidence intervals use the normal distribution). False for an unweighted fit
        whose covariance is scaled by the residual variance (intervals use Student's t).
    n_points, dof
        Number of points and degrees of freedom (n - 2).
    chi2_reduced
        Weighted residual sum of squares divided by ``dof`` (NaN when ``dof == 0``).
    T_min_K, T_max_K
        Temperature range of the data.
    """

    D0_cm2_s: float
    Ea_eV: float
    ln_D0: float
    ln_D0_stderr: float
    Ea_stderr_eV: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    absolute_sigma: bool
    n_points: int
    dof: int
    chi2_reduced: float
    T_min_K: float
    T_max_K: float

    @property
    def Ea_kJ_mol(self) -> float:
        """Activation energy in kJ/mol."""
        return float(ev_to_kj_per_mol(self.Ea_eV))

    @property
    def D0_m2_s(self) -> float:
        """Prefactor in m^2/s."""
        return float(cm2_s_to_m2_s(self.D0_cm2_s))

    def D_cm2_s(self, T_K):
        """Fitted diffusion coefficient at ``T_K`` (cm^2/s)."""
        return arrhenius_D_cm2_s(T_K, self.D0_cm2_s, self.Ea_eV)

    def ln_D_stderr(self, T_K):
        """Standard error of the fitted ``ln D`` at ``T_K`` (propagated from the covariance)."""
        x = -1.0 / (K_B_EV_PER_K * np.asarray(T_K, dtype=float))  # d lnD / d Ea
        (v_aa, v_ab), (_, v_bb) = self.covariance
        var = v_aa + x * x * v_bb + 2.0 * x * v_ab
        out = np.sqrt(np.maximum(var, 0.0))
        return float(out) if out.ndim == 0 else out

    def _quantile(self, confidence: float) -> float:
        if not 0.0 < confidence < 1.0:
            raise InputError(f"confidence must be in (0, 1) (got {confidence})")
        p = 0.5 + confidence / 2.0
        if self.absolute_sigma:
            return float(_stats.norm.ppf(p))
        if self.dof < 1:
            return math.inf
        return float(_stats.t.ppf(p, self.dof))

    def Ea_interval_eV(self, confidence: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval of ``Ea`` in eV (normal if absolute_sigma else t)."""
        q = self._quantile(confidence)
        return (self.Ea_eV - q * self.Ea_stderr_eV, self.Ea_eV + q * self.Ea_stderr_eV)

    def D0_interval_cm2_s(self, confidence: float = 0.95) -> tuple[float, float]:
        """Confidence interval of ``D0`` in cm^2/s (symmetric in ln D0)."""
        q = self._quantile(confidence)
        return (
            math.exp(self.ln_D0 - q * self.ln_D0_stderr),
            math.exp(self.ln_D0 + q * self.ln_D0_stderr),
        )

    def D_interval_cm2_s(self, T_K: float, confidence: float = 0.95) -> tuple[float, float]:
        """Confidence interval of the fitted ``D(T_K)`` in cm^2/s."""
        q = self._quantile(confidence)
        lnd = math.log(self.D_cm2_s(T_K))
        s = self.ln_D_stderr(T_K)
        return (math.exp(lnd - q * s), math.exp(lnd + q * s))


def fit_arrhenius(
    T_K: Sequence[float] | np.ndarray,
    D: Sequence[float] | np.ndarray,
    *,
    sigma_lnD: Sequence[float] | np.ndarray | float | None = None,
    unit: str = "cm2/s",
) -> ArrheniusFit:
    """Fit ``D(T) = D0 exp(-Ea/(k_B T))`` by (weighted) least squares of ``ln D`` vs ``1/T``.

    Parameters
    ----------
    T_K
        Temperatures in K (> 0, at least two distinct values).
    D
        Diffusion coefficients (> 0) in ``unit``.
    sigma_lnD
        Optional standard uncertainty of each ``ln D`` (equal to the relative uncertainty
        ``sigma_D / D`` for small errors); a scalar applies to all points. When given, points are
        weighted by ``1/sigma^2`` and the covariance is absolute (not rescaled by the scatter).
        When omitted the fit is unweighted and the covariance is scaled by the residual variance,
        which needs at least three points.
    unit
        ``"cm2/s"`` (default) or ``"m2/s"``.

    Returns
    -------
    ArrheniusFit
        Prefactor in cm^2/s, activation energy in eV, their standard errors and covariance.

    Raises
    ------
    InputError
        On non-positive or non-finite inputs, mismatched lengths, too few points or a single
        temperature.
    """
    T = np.asarray(T_K, dtype=float).ravel()
    d = np.asarray(D, dtype=float).ravel()
    if T.size != d.size:
        raise InputError(f"T_K and D have different lengths ({T.size} vs {d.size})")
    if unit == "m2/s":
        d = d * CM2_PER_M2
    elif unit != "cm2/s":
        raise InputError(f"unknown diffusion unit {unit!r}; use 'cm2/s' or 'm2/s'")
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise InputError("all temperatures must be positive and finite (K)")
    if np.any(~np.isfinite(d)) or np.any(d <= 0):
        raise InputError("all diffusion coefficients must be positive and finite")
    if np.unique(T).size < 2:
        raise InputError("an Arrhenius fit needs at least two distinct temperatures")

    n = T.size
    x = -1.0 / (K_B_EV_PER_K * T)  # coefficient of Ea
    y = np.log(d)
    X = np.column_stack([np.ones(n), x])

    if sigma_lnD is None:
        if n < 3:
            raise InputError(
                "an unweighted Arrhenius fit needs at least 3 points to estimate uncertainties; "
                "give sigma_lnD or more points"
            )
        w = np.ones(n)
        absolute = False
    else:
        s = np.broadcast_to(np.asarray(sigma_lnD, dtype=float), (n,))
        if np.any(~np.isfinite(s)) or np.any(s <= 0):
            raise InputError("sigma_lnD must be positive and finite")
        w = 1.0 / s**2
        absolute = True

    XtW = X.T * w
    A = XtW @ X
    try:
        A_inv = np.linalg.inv(A)
    except np.linalg.LinAlgError as exc:  # pragma: no cover - guarded by distinct-T check
        raise InputError("Arrhenius fit is singular (temperatures too close together)") from exc
    beta = A_inv @ (XtW @ y)
    resid = y - X @ beta
    chi2 = float(np.sum(w * resid**2))
    dof = n - 2
    chi2_red = chi2 / dof if dof > 0 else math.nan
    cov = A_inv if absolute else A_inv * chi2_red

    ln_d0, ea = float(beta[0]), float(beta[1])
    return ArrheniusFit(
        D0_cm2_s=math.exp(ln_d0),
        Ea_eV=ea,
        ln_D0=ln_d0,
        ln_D0_stderr=float(math.sqrt(cov[0, 0])),
        Ea_stderr_eV=float(math.sqrt(cov[1, 1])),
        covariance=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        absolute_sigma=absolute,
        n_points=n,
        dof=dof,
        chi2_reduced=chi2_red,
        T_min_K=float(T.min()),
        T_max_K=float(T.max()),
    )
