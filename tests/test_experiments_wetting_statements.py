"""Stated molten-Li wetting as ordinal data and its agreement with computed angles."""

from __future__ import annotations

import re

import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments import wetting_statements as ws
from alloyscreen.experiments.reference_data import load_contact_angles

HEADER = ",".join(ws.COLUMNS) + "\n"


def _all_statements():
    return ws.load_wetting_statements() + ws.statements_from_angles(load_contact_angles())


def test_shipped_statements_load_and_are_cited():
    st = ws.load_wetting_statements()
    assert len(st) >= 10
    for s in st:
        assert s.wetting in ws.WETTING_CLASSES
        if not s.source.startswith("10."):
            assert re.search(r"(19|20)\d\d", s.source), f"{s.file}:{s.line} lacks a year"
        assert s.notes, f"{s.file}:{s.line}: notes must quote the statement"


def test_cu_conflict_is_kept_not_resolved():
    # Jordan & Lane 1966 (zero advancing angle) vs Wang et al. 2019 ("liquid sphere" on Cu).
    agreement = ws.ordinal_wetting_agreement({"Cu": 20.0}, _all_statements())
    assert "Cu" in agreement.conflicts
    classes = {c.experimental_class for c in agreement.comparisons if c.reduced_formula == "Cu"}
    assert classes == {"wets", "non-wetting"}
    # whatever the computed angle, exactly one of the two Cu sources agrees
    assert agreement.n_compared == 2
    assert agreement.n_agree == 1


def test_angle_classes_follow_young():
    assert ws.wetting_class_from_angle(89.9) == "wets"
    assert ws.wetting_class_from_angle(90.0) == "non-wetting"
    with pytest.raises(InputError, match=r"outside 0\.\.180"):
        ws.wetting_class_from_angle(-1.0)


def test_agreement_counts_and_interval():
    st = _all_statements()
    good = ws.ordinal_wetting_agreement({"Ni": 120.0, "Au": 10.0, "Mg": 30.0, "Sn": 40.0}, st)
    bad = ws.ordinal_wetting_agreement({"Ni": 30.0, "Au": 120.0, "Mg": 130.0, "Sn": 140.0}, st)
    assert good.n_compared == bad.n_compared >= 5  # Ni has two statements (foam angle + review)
    assert good.n_agree == good.n_compared
    assert bad.n_agree == 0
    lo, hi = good.interval
    assert 0.0 < lo < 1.0
    assert hi == pytest.approx(1.0)
    assert good.reason is None


def test_reactive_statements_can_be_left_out():
    st = _all_statements()
    all_ = ws.ordinal_wetting_agreement({"Au": 10.0, "Mg": 30.0}, st)
    non_reactive = ws.ordinal_wetting_agreement(
        {"Au": 10.0, "Mg": 30.0}, st, include_reactive=False
    )
    assert all_.n_compared == 2
    assert non_reactive.n_compared == 0
    assert set(non_reactive.unmatched) == {"Au", "Mg"}


def test_state_dependent_is_reported_but_not_counted():
    agreement = ws.ordinal_wetting_agreement({"C": 100.0}, _all_statements())
    graphite = [c for c in agreement.comparisons if c.experimental_class == "state-dependent"]
    assert len(graphite) == 1
    assert graphite[0].agrees is None
    assert agreement.n_compared == 1  # the "carbon is lithiophobic" statement only
    assert agreement.reason is not None  # too few to be evidence


def test_wilson_interval_is_honest_at_small_n():
    lo, hi = ws.wilson_interval(3, 3)
    assert hi == pytest.approx(1.0)
    assert lo < 0.5  # three agreements out of three prove little
    lo10, _ = ws.wilson_interval(30, 30)
    assert lo10 > lo


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("Cu,lithiophilic,foil,no,,,statement,10.1234/x,q", "is not one of"),
        ("Cu,wets,foil,maybe,,,statement,10.1234/x,q", "reactive must be"),
        ("Cu,wets,foil,no,,,statement,,q", "missing 'source'"),
        ("Cu,wets,foil,no,600,500,statement,10.1234/x,q", "temperature_max_K"),
        ("Cu,wets,foil,no,,,statement,10.1234/x", "expected 9 fields"),
    ],
)
def test_bad_user_file_names_line(tmp_path, row, pattern):
    p = tmp_path / "mine.csv"
    p.write_text(HEADER + row + "\n")
    with pytest.raises(InputError, match=pattern) as info:
        ws.load_wetting_statements(p)
    assert str(p) in str(info.value)


def test_bad_header_and_missing_file(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("system,wetting\nCu,wets\n")
    with pytest.raises(InputError, match="header must be"):
        ws.load_wetting_statements(p)
    with pytest.raises(InputError, match="not found"):
        ws.load_wetting_statements(tmp_path / "nope.csv")


def test_statement_sources_follow_the_reference_data_rules(tmp_path):
    """Shared row checks (experiments.reference_data.parse_provenance): DOI prefixes dropped, a
    malformed DOI refused, as in the reference-data loader."""
    p = tmp_path / "mine.csv"
    p.write_text(HEADER + "Cu,wets,foil,no,,,statement,https://doi.org/10.1234/x,q\n")
    (statement,) = ws.load_wetting_statements(p)
    assert statement.source == "10.1234/x"
    p.write_text(HEADER + "Cu,wets,foil,no,,,statement,10.12 34/x,q\n")
    with pytest.raises(InputError, match="malformed"):
        ws.load_wetting_statements(p)
    p.write_text(HEADER + "Cu,wets,foil,no,-5,,statement,10.1234/x,q\n")
    with pytest.raises(InputError, match="temperature_K must be > 0"):
        ws.load_wetting_statements(p)
