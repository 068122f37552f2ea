"""Young–Dupré conversions with the Davison (1968) liquid-Li surface tension."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments import wetting as w
from alloyscreen.serialization import to_jsonable


def test_davison_gamma_at_melting_point():
    # Davison, NASA TN D-4650 (1968): gamma = 0.447 - 1.07e-4 T - 1.351e-8 T^2 (N/m, T in K).
    # At T_m = 453.65 K (CRC Handbook): 0.447 - 0.04854055 - 0.00278034 = 0.39568 N/m.
    t_m = w.LI_MELTING_POINT_K
    assert t_m == pytest.approx(453.65)
    assert w.li_surface_tension_N_m() == pytest.approx(0.395679, abs=1e-6)
    assert w.li_surface_tension_N_m(w.LI_MELTING_POINT_K) == pytest.approx(0.3957, abs=1e-4)


def test_gamma_decreases_with_temperature_and_vectorises():
    T = np.array([453.65, 600.0, 800.0, 1000.0])
    g = w.li_surface_tension_N_m(T)
    assert g.shape == T.shape
    assert np.all(np.diff(g) < 0)
    # 1000 K: 0.447 - 0.107 - 0.01351 = 0.32649 N/m
    assert g[-1] == pytest.approx(0.32649, abs=1e-6)


def test_below_melting_point_is_rejected_unless_allowed():
    with pytest.raises(InputError, match="below the Li melting point"):
        w.li_surface_tension_N_m(300.0)
    assert w.li_surface_tension_N_m(300.0, allow_undercooled=True) == pytest.approx(
        0.447 - 1.07e-4 * 300 - 1.351e-8 * 300**2
    )


@pytest.mark.parametrize(("theta", "factor"), [(0.0, 2.0), (90.0, 1.0), (180.0, 0.0), (60.0, 1.5)])
def test_young_dupre_special_angles(theta, factor):
    g = w.li_surface_tension_N_m(500.0)
    assert w.work_of_adhesion_J_m2(theta, 500.0) == pytest.approx(factor * g, abs=1e-12)


def test_young_dupre_round_trip():
    for T in (453.65, 550.0, 700.0):
        for theta in np.linspace(1.0, 179.0, 37):
            W = w.work_of_adhesion_J_m2(theta, T)
            back = w.contact_angle_from_work_of_adhesion(W, T)
            assert back.theta_deg == pytest.approx(theta, abs=1e-9)
            assert not back.clipped
            assert back.regime == "partial_wetting"


def test_inverse_is_clipped_with_a_flag():
    g = w.li_surface_tension_N_m()
    spread = w.contact_angle_from_work_of_adhesion(2.5 * g)
    assert spread.clipped
    assert spread.theta_deg == 0.0
    assert spread.cos_theta == 1.0
    assert spread.cos_theta_raw == pytest.approx(1.5)
    assert spread.regime == "complete_wetting"
    neg = w.contact_angle_from_work_of_adhesion(-0.1)
    assert neg.clipped
    assert neg.theta_deg == pytest.approx(180.0)
    assert neg.regime == "unphysical_negative_adhesion"
    edge = w.contact_angle_from_work_of_adhesion(2 * g)
    assert not edge.clipped
    assert edge.theta_deg == pytest.approx(0.0, abs=1e-6)
    assert to_jsonable(spread)["clipped"] is True


def test_bad_inputs():
    with pytest.raises(InputError, match=r"0\.\.180"):
        w.work_of_adhesion_J_m2(200.0)
    with pytest.raises(InputError, match="finite"):
        w.contact_angle_from_work_of_adhesion(math.nan)
