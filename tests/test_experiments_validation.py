"""Rank correlation, disagreements and parity plots against experiment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alloyscreen.errors import InputError
from alloyscreen.experiments import comparison as v
from alloyscreen.experiments import reference_data as rd
from alloyscreen.experiments.wetting import work_of_adhesion_J_m2
from alloyscreen.serialization import to_jsonable

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _triples(comp, expt):
    return [(f"S{i}", c, e) for i, (c, e) in enumerate(zip(comp, expt, strict=True))]


def test_perfect_and_reversed_order():
    comp = [0.1, 0.5, 0.9, 1.4, 2.0, 3.3]
    up = v.rank_correlation(_triples(comp, [1, 2, 3, 10, 20, 30]), n_bootstrap=300)
    assert up.ok
    assert up.n_pairs == 6
    assert up.spearman_rho == pytest.approx(1.0)
    assert up.kendall_tau == pytest.approx(1.0)
    assert up.spearman_ci == pytest.approx((1.0, 1.0))
    down = v.rank_correlation(_triples(comp, [30, 20, 10, 3, 2, 1]), n_bootstrap=300)
    assert down.spearman_rho == pytest.approx(-1.0)
    assert down.kendall_tau == pytest.approx(-1.0)
    assert down.kendall_ci == pytest.approx((-1.0, -1.0))


@pytest.mark.parametrize("n", [0, 1, 2])
def test_fewer_than_three_pairs_gives_a_reason_not_a_coefficient(n):
    r = v.rank_correlation(_triples([1.0, 2.0][:n], [3.0, 4.0][:n]))
    assert not r.ok
    assert r.spearman_rho is None
    assert r.kendall_tau is None
    assert r.spearman_ci is None
    assert f"only {n} matched pair" in r.reason
    assert "at least 3" in r.reason
    assert r.n_pairs == n


def test_min_pairs_cannot_be_lowered_below_three():
    r = v.rank_correlation(_triples([1.0, 2.0], [3.0, 4.0]), min_pairs=1)
    assert not r.ok


def test_non_finite_pairs_are_dropped():
    r = v.rank_correlation(
        _triples([1.0, 2.0, math.nan, 4.0], [1.0, math.inf, 3.0, 4.0]), n_bootstrap=50
    )
    assert r.n_dropped == 2
    assert r.n_pairs == 2
    assert not r.ok


def test_constant_input_is_reported():
    r = v.rank_correlation(_triples([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]))
    assert not r.ok
    assert "computed values are identical" in r.reason


def test_agrees_with_scipy_and_bootstrap_is_seeded():
    rng = np.random.default_rng(3)
    x = rng.normal(size=25)
    y = x + rng.normal(scale=0.8, size=25)
    data = _triples(x, y)
    r1 = v.rank_correlation(data, n_bootstrap=500, seed=7)
    r2 = v.rank_correlation(data, n_bootstrap=500, seed=7)
    r3 = v.rank_correlation(data, n_bootstrap=500, seed=8)
    assert r1.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert r1.kendall_tau == pytest.approx(stats.kendalltau(x, y).statistic)
    assert r1.spearman_ci == r2.spearman_ci
    assert r1.kendall_ci == r2.kendall_ci
    assert r1.spearman_ci != r3.spearman_ci
    lo, hi = r1.spearman_ci
    assert lo < r1.spearman_rho < hi
    lo, hi = r1.kendall_ci
    assert lo < r1.kendall_tau < hi
    assert r1.n_bootstrap_valid == 500


def test_input_forms_are_equivalent():
    comp, expt = [3.0, 1.0, 2.0, 5.0], [30.0, 5.0, 40.0, 60.0]
    triples = _triples(comp, expt)
    df = pd.DataFrame(triples, columns=["system", "computed", "experimental"])
    mapping = {s: (c, e) for s, c, e in triples}
    rs = [v.rank_correlation(d, n_bootstrap=100) for d in (triples, df, mapping)]
    assert len({r.spearman_rho for r in rs}) == 1
    assert len({r.spearman_ci for r in rs}) == 1
    with pytest.raises(InputError, match="lacks column"):
        v.rank_correlation(df.drop(columns="experimental"))


def test_largest_disagreement_is_the_swapped_system():
    comp = [1, 2, 3, 4, 5, 6, 7]
    expt = [10, 20, 30, 40, 50, 60, 70]
    expt[0], expt[6] = expt[6], expt[0]  # S0 and S6 swapped
    dis = v.largest_disagreements(_triples(comp, expt), top=2)
    assert {d.system for d in dis} == {"S0", "S6"}
    assert abs(dis[0].rank_difference) == pytest.approx(6.0)
    assert len(v.largest_disagreements(_triples(comp, expt), top=None)) == 7


def test_expected_negative_relation_has_no_disagreement():
    comp = [0.2, 0.4, 0.6, 0.8]
    angles = [150.0, 120.0, 60.0, 10.0]  # more adhesion, smaller contact angle
    dis = v.largest_disagreements(_triples(comp, angles), top=None, expected_sign=-1)
    assert all(d.rank_difference == 0 for d in dis)
    with pytest.raises(InputError):
        v.largest_disagreements(_triples(comp, angles), expected_sign=0)


def test_parity_plot_writes_png(tmp_path):
    import matplotlib.image as mpimg

    data = _triples([1e-6, 3e-5, 2e-4], [2e-6, 1e-5, 5e-4])
    out = v.parity_plot(
        data,
        tmp_path / "sub" / "parity.png",
        xlabel="measured D (cm$^2$/s)",
        ylabel="computed D (cm$^2$/s)",
        log=True,
        title="Li diffusion",
        note="Spearman rho = +1.00, n = 3",
    )
    assert out.read_bytes()[:8] == PNG_MAGIC
    img = mpimg.imread(out)
    assert img.ndim == 3
    assert img.shape[0] > 100
    assert img.shape[1] > 100
    lin = v.parity_plot(_triples([0.1, 0.2], [0.3, 0.1]), tmp_path / "lin.png", diagonal=False)
    assert lin.read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(InputError, match="positive"):
        v.parity_plot(_triples([-1.0, 1.0], [1.0, 2.0]), tmp_path / "bad.png", log=True)


def _user_contact_angles(tmp_path):
    p = tmp_path / "angles.csv"
    p.write_text(
        "system,property,value,unit,temperature_K,method,source,notes\n"
        "Au,contact_angle,20,deg,573.15,sessile drop,10.9999/test.1,synthetic test row\n"
        "Ag,contact_angle,60,deg,573.15,sessile drop,10.9999/test.1,synthetic test row\n"
        "Ni,contact_angle,120,deg,573.15,sessile drop,10.9999/test.1,synthetic test row\n"
        "Fe,contact_angle,140,deg,,sessile drop,10.9999/test.1,synthetic test row\n"
    )
    return rd.load_reference_csv(p)


def test_wetting_validation_end_to_end(tmp_path):
    recs = _user_contact_angles(tmp_path)
    computed = {"Au": 0.9, "Ag": 0.7, "Ni": 0.3, "Fe": 0.2, "LiAl": 0.5, "Zr": math.nan}
    rep = v.wetting_validation(computed, recs, n_bootstrap=200)
    assert rep.n_computed == 6
    assert rep.n_matched == 4
    assert set(rep.unmatched) == {"LiAl", "Zr"}
    assert rep.correlation.spearman_rho == pytest.approx(1.0)
    # experimental quantity is W_ad by Young-Dupre at the record temperature (T_m when absent)
    pairs = {s: e for s, _, e in rep.pairs}
    assert pairs["Au"] == pytest.approx(work_of_adhesion_J_m2(20.0, 573.15))
    assert pairs["Fe"] == pytest.approx(work_of_adhesion_J_m2(140.0))
    text = v.format_report(rep)
    assert "Spearman rho = +1.00" in text
    assert "matched systems: 4 of 6" in text
    assert to_jsonable(rep)["correlation"]["n_pairs"] == 4


def test_shipped_wetting_data_refuses_a_correlation():
    """Only Cu of the shipped contact angles is a formula: no correlation, with the reason."""
    rep = v.wetting_validation({"Cu": 1.0, "LiAl": 0.5, "Ag": 0.8}, rd.load_contact_angles())
    assert rep.n_matched == 1
    assert not rep.correlation.ok
    assert "no correlation reported" in v.format_report(rep)


def test_diffusion_validation_with_barriers(tmp_path):
    recs = rd.load_li_diffusion()
    barriers = {"LiSn": 0.6, "LiIn": 0.4, "LiAl": 0.3, "Li13Sn5": 0.1}  # eV, synthetic
    rep = v.diffusion_validation(
        barriers, recs, descriptor="barrier_eV", expected_sign=-1, n_bootstrap=200
    )
    assert rep.n_matched == 4
    assert rep.correlation.spearman_rho == pytest.approx(-1.0)
    assert all(d.rank_difference == 0 for d in rep.disagreements)


def test_diffusion_validation_uses_one_temperature_window_and_kind():
    # LiAl has chemical D at 688 K (Huggins 2011) and at 423 K (Pereira-Ramos 1986); mixing them
    # would put LiAl six orders of magnitude low. The automatic window keeps Huggins' 633-688 K.
    recs = rd.load_li_diffusion()
    barriers = {"LiSn": 0.6, "LiIn": 0.4, "LiAl": 0.3, "Li13Sn5": 0.1}
    window = v.common_diffusion_window(barriers, recs)
    assert window is not None
    lo, hi, dtype = window
    assert lo <= 688.15 <= hi
    assert not lo <= 423.15 <= hi
    assert dtype == "chemical"
    rep = v.diffusion_validation(barriers, recs, descriptor="barrier_eV", expected_sign=-1)
    lial = next(p for p in rep.pairs if p[0] == "LiAl")
    assert lial[2] == pytest.approx(1.2e-4)
    assert "K" in rep.experimental_quantity
    assert "chemical" in rep.experimental_quantity


def test_validation_names_measured_phases_that_were_not_screened():
    recs = rd.load_li_diffusion()
    rep = v.diffusion_validation({"LiAl": 0.3, "LiIn": 0.4}, recs, descriptor="barrier_eV")
    assert "Li3Sb" in rep.experimental_only
    assert "LiAl" not in rep.experimental_only
    assert "measured but not screened" in v.format_report(rep)
