"""Arrhenius fits of D(T) and unit conversions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments import arrhenius as a
from alloyscreen.serialization import to_jsonable


def test_constants_and_unit_conversions():
    # CODATA 2018 (exact): k_B = 8.617333262e-5 eV/K; e*N_A = 96485.33212 C/mol
    kb = a.K_B_EV_PER_K
    assert kb == pytest.approx(8.617333262e-5, rel=1e-9)
    assert a.ev_to_kj_per_mol(1.0) == pytest.approx(96.48533212, rel=1e-9)
    assert a.kj_per_mol_to_ev(96.48533212) == pytest.approx(1.0, rel=1e-9)
    assert a.kcal_per_mol_to_ev(1.0) == pytest.approx(4.184 / 96.48533212, rel=1e-9)
    assert a.ev_to_kcal_per_mol(a.kcal_per_mol_to_ev(13.2)) == pytest.approx(13.2)
    assert a.cm2_s_to_m2_s(1.0) == pytest.approx(1e-4)
    assert a.m2_s_to_cm2_s(1e-17) == pytest.approx(1e-13)
    arr = a.cm2_s_to_m2_s([1.0, 2.0])
    assert isinstance(arr, np.ndarray)
    assert arr.tolist() == pytest.approx([1e-4, 2e-4])
    assert a.m2_s_to_cm2_s(a.cm2_s_to_m2_s(3.3e-9)) == pytest.approx(3.3e-9)


def test_arrhenius_law():
    d = a.arrhenius_D_cm2_s(500.0, 1e-2, 0.5)
    assert d == pytest.approx(1e-2 * math.exp(-0.5 / (a.K_B_EV_PER_K * 500.0)))
    with pytest.raises(InputError):
        a.arrhenius_D_cm2_s(0.0, 1e-2, 0.5)


def test_noise_free_data_are_recovered_exactly():
    T = np.linspace(300, 700, 6)
    D0, Ea = 3.9e-3, 0.55
    D = a.arrhenius_D_cm2_s(T, D0, Ea)
    fit = a.fit_arrhenius(T, D, sigma_lnD=0.1)
    assert fit.D0_cm2_s == pytest.approx(D0, rel=1e-9)
    assert fit.Ea_eV == pytest.approx(Ea, rel=1e-9)
    assert fit.chi2_reduced == pytest.approx(0.0, abs=1e-12)
    assert fit.D_cm2_s(400.0) == pytest.approx(a.arrhenius_D_cm2_s(400.0, D0, Ea), rel=1e-9)
    # m2/s input gives the same answer in cm2/s
    fit_si = a.fit_arrhenius(T, a.cm2_s_to_m2_s(D), sigma_lnD=0.1, unit="m2/s")
    assert fit_si.D0_cm2_s == pytest.approx(D0, rel=1e-9)
    assert fit_si.D0_m2_s == pytest.approx(D0 * 1e-4, rel=1e-9)
    assert fit.Ea_kJ_mol == pytest.approx(Ea * 96.48533212, rel=1e-9)
    assert to_jsonable(fit)["Ea_eV"] == pytest.approx(Ea)


def _coverage(weighted: bool, n_rep: int = 400, seed: int = 12345) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    T = np.linspace(320.0, 620.0, 7)
    D0, Ea, sigma = 2e-3, 0.62, 0.15
    true_ln = np.log(a.arrhenius_D_cm2_s(T, D0, Ea))
    hit_ea = hit_d0 = hit_d = 0
    for _ in range(n_rep):
        D = np.exp(true_ln + rng.normal(0.0, sigma, T.size))
        fit = a.fit_arrhenius(T, D, sigma_lnD=sigma if weighted else None)
        lo, hi = fit.Ea_interval_eV(0.95)
        hit_ea += lo <= Ea <= hi
        lo, hi = fit.D0_interval_cm2_s(0.95)
        hit_d0 += lo <= D0 <= hi
        lo, hi = fit.D_interval_cm2_s(300.0, 0.95)  # extrapolated below the data
        hit_d += lo <= a.arrhenius_D_cm2_s(300.0, D0, Ea) <= hi
    return hit_ea / n_rep, hit_d0 / n_rep, hit_d / n_rep


@pytest.mark.parametrize("weighted", [True, False])
def test_uncertainty_coverage(weighted):
    """95 % intervals contain the true D0, Ea and D(300 K) in ~95 % of synthetic data sets."""
    for frac in _coverage(weighted):
        # binomial sd for n = 400 at p = 0.95 is 0.011: accept 0.92..0.98
        assert 0.92 <= frac <= 0.98, frac


def test_weighted_standard_error_matches_analytic_formula():
    T = np.array([400.0, 500.0, 600.0])
    sigma = 0.2
    fit = a.fit_arrhenius(T, a.arrhenius_D_cm2_s(T, 1e-3, 0.4), sigma_lnD=sigma)
    x = -1.0 / (a.K_B_EV_PER_K * T)
    sxx = np.sum((x - x.mean()) ** 2)
    assert fit.Ea_stderr_eV == pytest.approx(sigma / math.sqrt(sxx), rel=1e-9)
    assert fit.absolute_sigma
    assert fit.dof == 1


def test_fit_input_errors():
    with pytest.raises(InputError, match="two distinct temperatures"):
        a.fit_arrhenius([500, 500, 500], [1e-5, 2e-5, 3e-5])
    with pytest.raises(InputError, match="positive"):
        a.fit_arrhenius([400, 500, 600], [1e-5, -2e-5, 3e-5])
    with pytest.raises(InputError, match="at least 3 points"):
        a.fit_arrhenius([400, 500], [1e-5, 2e-5])
    with pytest.raises(InputError, match="different lengths"):
        a.fit_arrhenius([400, 500, 600], [1e-5, 2e-5])
    with pytest.raises(InputError, match="unknown diffusion unit"):
        a.fit_arrhenius([400, 500, 600], [1e-5, 2e-5, 3e-5], unit="mm2/s")
    with pytest.raises(InputError, match="sigma_lnD"):
        a.fit_arrhenius([400, 500, 600], [1e-5, 2e-5, 3e-5], sigma_lnD=0.0)
