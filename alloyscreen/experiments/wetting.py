"""Young–Dupré conversions between molten-Li contact angles and work of adhesion.

``W_ad = gamma_Li(T) * (1 + cos theta)`` and its inverse ``cos theta = W_ad / gamma_Li(T) - 1``.

Liquid-Li surface tension (N/m, T in K) from the correlation of

    H. W. Davison, "Compilation of Thermophysical Properties of Liquid Lithium",
    NASA Technical Note TN D-4650, Lewis Research Center, Cleveland, Ohio, July 1968:
    gamma = 0.447 - 1.07e-4 T - 1.351e-8 T^2  (standard deviation of the data about the
    correlation 1.9 %, maximum deviation 5.2 %, as stated in the report).

At the melting point this gives gamma = 0.3957 N/m.

Li melting point 453.65 K (180.50 degC): CRC Handbook of Chemistry and Physics
(W. M. Haynes, ed., CRC Press), section 4 "Melting, boiling, triple, and critical points of the
elements".
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

#: Melting point of Li in K (180.50 degC; CRC Handbook of Chemistry and Physics).
LI_MELTING_POINT_K: float = 453.65
#: Davison (1968, NASA TN D-4650) surface-tension coefficients: gamma = a + b T + c T^2 (N/m, K).
DAVISON_1968_COEFFS: tuple[float, float, float] = (0.447, -1.07e-4, -1.351e-8)
#: Relative standard deviation of the data about the Davison correlation (NASA TN D-4650).
DAVISON_1968_REL_STD: float = 0.019

__all__ = [
    "DAVISON_1968_COEFFS",
    "DAVISON_1968_REL_STD",
    "LI_MELTING_POINT_K",
    "ContactAngleFromAdhesion",
    "contact_angle_from_work_of_adhesion",
    "li_surface_tension_N_m",
    "work_of_adhesion_J_m2",
]


def _check_temperature(T: np.ndarray, allow_undercooled: bool) -> None:
    if np.any(~np.isfinite(T)):
        raise InputError("temperature must be finite (K)")
    if not allow_undercooled and np.any(T < LI_MELTING_POINT_K - 1e-9):
        raise InputError(
            f"temperature {float(np.min(T)):.2f} K is below the Li melting point "
            f"({LI_MELTING_POINT_K} K): the Davison surface-tension fit is for liquid Li; "
            "pass allow_undercooled=True to extrapolate"
        )


def li_surface_tension_N_m(T_K=LI_MELTING_POINT_K, *, allow_undercooled: bool = False):
    """Surface tension of liquid Li from the Davison (1968) correlation.

    Parameters
    ----------
    T_K : float or array
        Temperature in K (default: the melting point, 453.65 K).
    allow_undercooled : bool
        Allow temperatures below the melting point (extrapolation).

    Returns
    -------
    float or ndarray
        Surface tension in N/m (= J/m^2).
    """
    T = np.asarray(T_K, dtype=float)
    _check_temperature(T, allow_undercooled)
    a, b, c = DAVISON_1968_COEFFS
    g = a + b * T + c * T * T
    return float(g) if g.ndim == 0 else g


def work_of_adhesion_J_m2(theta_deg, T_K=LI_MELTING_POINT_K, *, allow_undercooled: bool = False):
    """Young–Dupré work of adhesion of molten Li, ``W = gamma_Li(T) (1 + cos theta)``.

    Parameters
    ----------
    theta_deg : float or array
        Contact angle in degrees, 0..180.
    T_K : float or array
        Temperature of the measurement in K (default: Li melting point).
    allow_undercooled : bool
        See :func:`li_surface_tension_N_m`.

    Returns
    -------
    float or ndarray
        Work of adhesion in J/m^2.
    """
    th = np.asarray(theta_deg, dtype=float)
    if np.any(~np.isfinite(th)) or np.any(th < 0) or np.any(th > 180):
        raise InputError(f"contact angle must be within 0..180 deg (got {theta_deg!r})")
    g = li_surface_tension_N_m(T_K, allow_undercooled=allow_undercooled)
    w = np.asarray(g) * (1.0 + np.cos(np.radians(th)))
    return float(w) if w.ndim == 0 else w


@dataclass(frozen=True)
class ContactAngleFromAdhesion:
    """Contact angle predicted from a work of adhesion by inverting Young–Dupré.

    Attributes
    ----------
    w_adh_J_m2 : float
        Input work of adhesion (J/m^2).
    temperature_K : float
        Temperature at which gamma_Li was evaluated (K).
    gamma_N_m : float
        Liquid-Li surface tension used (N/m).
    cos_theta_raw : float
        ``W / gamma - 1`` before clipping.
    cos_theta : float
        Clipped to [-1, 1].
    theta_deg : float
        Contact angle in degrees (0 = complete wetting, 180 = no adhesion).
    clipped : bool
        True when ``cos_theta_raw`` was outside [-1, 1]: ``W > 2 gamma`` (complete wetting,
        spreading) or ``W < 0`` (unphysical).
    regime : str
        ``"complete_wetting"``, ``"partial_wetting"`` or ``"unphysical_negative_adhesion"``.
    """

    w_adh_J_m2: float
    temperature_K: float
    gamma_N_m: float
    cos_theta_raw: float
    cos_theta: float
    theta_deg: float
    clipped: bool
    regime: str


def contact_angle_from_work_of_adhesion(
    w_adh_J_m2: float, T_K: float = LI_MELTING_POINT_K, *, allow_undercooled: bool = False
) -> ContactAngleFromAdhesion:
    """Invert Young–Dupré: ``cos theta = W_ad / gamma_Li(T) - 1``, clipped to [-1, 1].

    Parameters
    ----------
    w_adh_J_m2 : float
        Work of adhesion in J/m^2 (e.g. a computed Li/substrate interface value).
    T_K : float
        Temperature in K for gamma_Li (default: Li melting point).
    allow_undercooled : bool
        See :func:`li_surface_tension_N_m`.

    Returns
    -------
    ContactAngleFromAdhesion
        Angle in degrees with a ``clipped`` flag and the wetting regime.
    """
    w = float(w_adh_J_m2)
    if not math.isfinite(w):
        raise InputError(f"work of adhesion must be finite (got {w_adh_J_m2!r} J/m^2)")
    T = float(T_K)
    g = float(li_surface_tension_N_m(T, allow_undercooled=allow_undercooled))
    raw = w / g - 1.0
    cos_t = min(1.0, max(-1.0, raw))
    clipped = raw != cos_t
    if raw >= 1.0:
        regime = "complete_wetting"
    elif raw < -1.0:
        regime = "unphysical_negative_adhesion"
    else:
        regime = "partial_wetting"
    if clipped:
        logger.debug("cos(theta) = %.4f clipped to %.1f (%s)", raw, cos_t, regime)
    return ContactAngleFromAdhesion(
        w_adh_J_m2=w,
        temperature_K=T,
        gamma_N_m=g,
        cos_theta_raw=raw,
        cos_theta=cos_t,
        theta_deg=math.degrees(math.acos(cos_t)),
        clipped=clipped,
        regime=regime,
    )
