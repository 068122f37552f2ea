"""Analytic conductivity models (eq. 1, eq. 2, McLachlan GEM) and the eq. 2 fit."""

from __future__ import annotations

import numpy as np
import pytest

from alloyscreen.errors import InputError
from alloyscreen.percolation import (
    fit_power_law,
    gem_conductivity,
    mixing_rule,
    percolation_conductivity,
    power_law,
    read_conductivity_csv,
)


def test_mixing_rule_is_linear_and_bounded():
    v = np.linspace(0, 1, 5)
    s = mixing_rule(v, 10.0, 1e-8)
    assert s[0] == pytest.approx(1e-8)
    assert s[-1] == pytest.approx(10.0)
    assert np.allclose(np.diff(s), np.diff(s)[0])
    with pytest.raises(InputError):
        mixing_rule(1.2, 1.0, 0.0)


def test_power_law_is_continuous_and_floored():
    v = np.array([0.1, 0.3, 0.31, 0.5])
    s = power_law(v, 100.0, 0.3, 2.0, 1e-9)
    assert s[0] == pytest.approx(1e-9)
    assert s[1] == pytest.approx(1e-9)
    assert s[2] == pytest.approx(100.0 * 0.01**2 + 1e-9)
    assert s[3] == pytest.approx(100.0 * 0.2**2 + 1e-9)


def test_percolation_conductivity_reaches_metal_value():
    assert percolation_conductivity(1.0, 0.25, 5.0) == pytest.approx(5.0)
    assert percolation_conductivity(0.2, 0.25, 5.0, 1e-10) == pytest.approx(1e-10)


def test_gem_ideal_insulator_is_the_percolation_power_law():
    # sigma_l = 0: sigma_m = sigma_h ((f - V_p) / (1 - V_p))^t exactly (McLachlan et al. 1990).
    f = np.array([0.2, 0.35, 0.5, 0.9])
    s = gem_conductivity(f, 0.3, 2.0, 0.0, t=2.0)
    expected = 2.0 * np.clip((f - 0.3) / 0.7, 0, None) ** 2
    assert np.allclose(s, expected)


def test_gem_limits_monotonic_and_continuous_through_vp():
    f = np.linspace(0, 1, 201)
    s = gem_conductivity(f, 0.25, 1e4, 1e-10, t=2.0, s=1.0)
    assert s[0] == pytest.approx(1e-10, rel=1e-6)
    assert s[-1] == pytest.approx(1e4, rel=1e-6)
    assert np.all(np.diff(s) > 0)
    # continuous through V_p (steep for a 1e14 contrast, but without a jump)
    at = gem_conductivity(0.25, 0.25, 1e4, 1e-10)
    for eps in (1e-9, -1e-9):
        assert abs(np.log10(gem_conductivity(0.25 + eps, 0.25, 1e4, 1e-10) / at)) < 1e-3
    assert 1e-10 < at < 1e4
    # below V_p the interphase stays within a few orders of magnitude of the insulator
    assert gem_conductivity(0.1, 0.25, 1e4, 1e-10) < 1e-8
    assert gem_conductivity(0.6, 0.25, 1e4, 1e-10) > 1e2


def test_gem_with_unit_exponents_is_bruggeman():
    # s = t = 1 reduces GEM to Bruggeman's symmetric EMA (McLachlan et al. 1990):
    # f (s_h - s_m)/(s_h + 2 s_m) + (1 - f)(s_l - s_m)/(s_l + 2 s_m) = 0 for V_p = 1/3.
    for f in (0.2, 0.5, 0.8):
        sm = gem_conductivity(f, 1 / 3, 1.0, 0.05, t=1.0, s=1.0)
        res = f * (1 - sm) / (1 + 2 * sm) + (1 - f) * (0.05 - sm) / (0.05 + 2 * sm)
        assert abs(res) < 1e-10


def test_gem_rejects_bad_input():
    with pytest.raises(InputError):
        gem_conductivity(0.5, 1.2, 1.0, 0.0)
    with pytest.raises(InputError):
        gem_conductivity(0.5, 0.3, 1.0, 2.0)
    with pytest.raises(InputError):
        gem_conductivity(-0.1, 0.3, 1.0, 0.0)


def test_fit_recovers_synthetic_parameters_with_errors():
    rng = np.random.default_rng(3)
    v = np.linspace(0.35, 0.8, 20)
    s = power_law(v, 50.0, 0.3, 2.0) * np.exp(rng.normal(0, 0.05, v.size))
    fit = fit_power_law(v, s, n_boot=40, seed=1)
    assert abs(fit.n - 2.0) < 3 * fit.n_err + 0.05
    assert abs(fit.v_p - 0.3) < 3 * fit.v_p_err + 0.005
    assert 0 < fit.n_err < 0.5
    assert 0 < fit.v_p_err < 0.05
    assert fit.n_used == 20
    assert fit.n_below_threshold == 0


def test_fit_is_robust_to_points_below_threshold():
    rng = np.random.default_rng(4)
    v = np.linspace(0.1, 0.8, 30)
    s_clean = power_law(v, 50.0, 0.3, 2.0) * np.exp(rng.normal(0, 0.03, v.size))
    # zeros below threshold (a simulation with an ideal insulator): left out
    fit0 = fit_power_law(v, np.where(v > 0.3, s_clean, 0.0), n_boot=20)
    assert fit0.n_below_threshold == int((v <= 0.3).sum())
    assert abs(fit0.n - 2.0) < 0.2
    assert abs(fit0.v_p - 0.3) < 0.02
    # a measured insulator level below threshold: kept in the fit with the floor model
    s_floor = power_law(v, 50.0, 0.3, 2.0, 1e-7) * np.exp(rng.normal(0, 0.03, v.size))
    fit1 = fit_power_law(v, s_floor, sigma_floor_S_cm=1e-7, n_boot=20)
    assert abs(fit1.n - 2.0) < 0.2
    assert abs(fit1.v_p - 0.3) < 0.02
    assert fit1.n_used == v.size


def test_fit_rejects_too_few_points(tmp_path):
    with pytest.raises(InputError):
        fit_power_law([0.1, 0.2, 0.5], [0.0, 0.0, 1.0])
    with pytest.raises(InputError):
        fit_power_law([0.4, 0.5], [1.0])
    with pytest.raises(InputError):
        read_conductivity_csv(tmp_path / "missing.csv")


def test_read_csv_by_name_and_by_position(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("sigma_S_cm,V_f\n1e-3,0.4\n2e-3,0.5\n")
    v, s = read_conductivity_csv(p)
    assert np.allclose(v, [0.4, 0.5])
    assert np.allclose(s, [1e-3, 2e-3])
    q = tmp_path / "b.csv"
    q.write_text("x,y\n0.4,1\n0.5,2\n")
    v, s = read_conductivity_csv(q)
    assert np.allclose(v, [0.4, 0.5])
    assert np.allclose(s, [1, 2])
