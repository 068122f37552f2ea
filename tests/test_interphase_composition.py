"""Composition input: formulas, doped formulas, blends, and clear errors (CLI exit 2)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.interphase.composition import parse_composition, parse_formula


def test_formula():
    inp = parse_composition("Li6PS5Cl")
    assert inp.kind == "formula"
    assert len(inp.components) == 1
    assert inp.components[0].amounts == {"Li": 6, "P": 1, "S": 5, "Cl": 1}
    assert inp.composition.reduced_formula == "Li6PS5Cl"


def test_doped_formula():
    inp = parse_composition("Li5.8Cu0.2PS5Cl")
    assert inp.kind == "doped"
    amounts = inp.components[0].amounts
    assert amounts["Li"] == pytest.approx(5.8)
    assert amounts["Cu"] == pytest.approx(0.2)


def test_parentheses():
    assert parse_formula("Li3(PS4)").get_el_amt_dict() == {"Li": 3, "P": 1, "S": 4}
    assert parse_formula("Li2(SO4)2")["O"] == 8


def test_blend_normalised_to_mole_fractions():
    inp = parse_composition(" Li6PS5Cl : Li10GeP2S12 = 4 : 1 ")
    assert inp.kind == "blend"
    assert [c.formula for c in inp.components] == ["Li6PS5Cl", "Li10GeP2S12"]
    assert [c.mole_fraction for c in inp.components] == pytest.approx([0.8, 0.2])
    comp = inp.composition
    assert comp["Ge"] == pytest.approx(0.2)
    assert comp["Li"] == pytest.approx(0.8 * 6 + 0.2 * 10)
    assert inp.label == "0.8 Li6PS5Cl + 0.2 Li10GeP2S12"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("li6ps5cl", "element symbol"),
        ("Li6PS5Xx", "unknown element"),
        ("Li6PS5Cl$", "cannot parse"),
        ("Li0PS5Cl", "must be > 0"),
        ("Li3(PS4", "unbalanced"),
        ("Li3PS4)", "unbalanced"),
        ("Li6PS5Cl:Li10GeP2S12", "no '='"),
        ("Li6PS5Cl:Li10GeP2S12=4", "ratios"),
        ("Li6PS5Cl:Li10GeP2S12=4:x", "not a number"),
        ("Li6PS5Cl:Li10GeP2S12=4:-1", "positive"),
        ("Li6PS5Cl=4", "at least two formulas"),
        ("A:B=1:1", "unknown element"),
        ("Li6PS5Cl:=1:1", "empty formula"),
        ("Li6PS5Cl:Li3PS4=1:1=2", "more than one"),
    ],
)
def test_malformed_inputs_raise_clear_errors(text, fragment):
    with pytest.raises(InputError) as info:
        parse_composition(text)
    assert fragment in str(info.value)


def test_cli_malformed_composition_exits_2():
    from alloyscreen.cli import build_app

    runner = CliRunner()
    result = runner.invoke(build_app(), ["interphase", "Li6PS5Xx", "--v-p", "0.2"])
    assert result.exit_code == 2, result.output
    assert "unknown element" in result.output
    result = runner.invoke(build_app(), ["design", "--host", "Li6PS5Cl:", "--metal-source", "Cu"])
    assert result.exit_code == 2, result.output
