"""Which microstructure explains an observed V_p window: the family search over the (extended)
V_p table (issue 15)."""

from __future__ import annotations

import math

import pytest

from alloyscreen.interphase.families import plot_families, search_families
from alloyscreen.percolation.table import (
    EXTENDED_TABLE_PATH,
    lookup_critical_volume_fraction,
    table_rows,
)

#: The observed Li-Ge window of the shipped observations: V_FM(16:1) < V_p <= V_FM(4:1)
#: (Su, Fu et al., EES Batteries 1, 242 (2025), doi:10.1039/d5eb00024f; V_FM from the curated route).
WINDOW = (0.014005524463754021, 0.04054320730535053)


def test_extended_table_is_shipped_and_used_by_the_lookup():
    assert EXTENDED_TABLE_PATH.is_file()
    ars = {r["aspect_ratio"] for r in table_rows() if r["distribution"] == "random"}
    assert {30.0, 50.0, 100.0} <= ars
    assert any(math.isclose(a, 0.01) for a in ars)
    hit = lookup_critical_volume_fraction("spheroid", 100.0, compute_missing=False)
    assert hit.source == "table"
    # needles: 1/V_p grows about linearly with AR (Garboczi et al. 1995, both limits)
    v = {ar: lookup_critical_volume_fraction("spheroid", ar, compute_missing=False).phi_c
         for ar in (20.0, 50.0, 100.0)}  # fmt: skip
    slope1 = (1 / v[50.0] - 1 / v[20.0]) / 30.0
    slope2 = (1 / v[100.0] - 1 / v[50.0]) / 50.0
    assert slope2 == pytest.approx(slope1, rel=0.25)
    assert v[20.0] > v[50.0] > v[100.0]


def test_needle_range_ends_sit_on_the_window_bounds():
    matches = {m.name: m for m in search_families(WINDOW)}
    needles = matches["random needles (prolate spheroids)"]
    assert needles.consistent
    ((a, b),) = needles.ranges
    assert 10.0 < a < 20.0 < 30.0 < b < 50.0
    # the lookup's own interpolation (1/V_p, log AR) gives the window bounds at the range ends
    lo = lookup_critical_volume_fraction("spheroid", b, compute_missing=False).phi_c
    hi = lookup_critical_volume_fraction("spheroid", a, compute_missing=False).phi_c
    assert lo == pytest.approx(WINDOW[0], rel=1e-6)
    assert hi == pytest.approx(WINDOW[1], rel=1e-6)
    # the default morphology (AR 10) is excluded: it is what called the 4:1 blend an MI-SEI
    assert not next(r for r in needles.rows if r.value == 10.0).consistent


def test_spheres_and_short_range_structures_are_excluded():
    matches = {m.name: m for m in search_families(WINDOW)}
    for name in ("enveloped spheres, d = 1", "enveloped spheres, d = 0.5"):
        assert not matches[name].consistent
        assert "no tabulated member" in matches[name].text
    tunnelling = matches["hard spheres connected by tunnelling"]
    ((a, b),) = tunnelling.ranges
    assert 1.0 < a <= 2.0 < 3.0 < b < 5.0


def test_map_figure(tmp_path):
    png = plot_families(search_families(WINDOW), WINDOW, tmp_path / "map.png")
    assert png.stat().st_size > 30_000


def test_open_window_is_handled():
    matches = search_families((0.2, None))
    spheres_like = matches[0]
    assert spheres_like.consistent  # low-AR needles have V_p > 0.2
    assert all(b <= 5.0 for _, b in spheres_like.ranges)


def test_cli_families(tmp_path):
    import json

    from typer.testing import CliRunner

    from alloyscreen.cli import build_app

    runner = CliRunner()
    res = runner.invoke(build_app(), ["percolation", "families", "--window",
                                      f"{WINDOW[0]},{WINDOW[1]}", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    consistent = {f["family"] for f in doc["families"] if f["consistent"]}
    assert "random needles (prolate spheroids)" in consistent
    assert "enveloped spheres, d = 1" not in consistent
    for bad in ("0.05,0.01", "x,y", "0.1"):
        assert (
            runner.invoke(build_app(), ["percolation", "families", "--window", bad]).exit_code == 2
        )
