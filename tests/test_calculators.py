"""Calculator factory: names, identities, clear errors."""

from __future__ import annotations

import pytest
from ase.build import bulk

from alloyscreen.calculators import (
    available_calculators,
    calculator_identity,
    check_elements,
    get_calculator,
)
from alloyscreen.errors import InputError
from tests.conftest import needs_chgnet


def test_emt_computes_al_and_names_missing_li():
    calc, ident = get_calculator("emt")
    al = bulk("Al", "fcc", a=4.05)
    al.calc = calc
    assert al.get_potential_energy() == pytest.approx(al.get_potential_energy())
    assert ident.name == "emt"
    assert ident.package == "ase"
    li_al = bulk("Al", "fcc", a=4.05, cubic=True)
    li_al[0].symbol = "Li"
    li_al.calc = calc
    with pytest.raises(InputError, match=r"element\(s\) Li"):
        li_al.get_potential_energy()


def test_unknown_name_lists_available():
    with pytest.raises(InputError) as err:
        get_calculator("nosuchcalc")
    for name in ("chgnet", "sevenn", "emt"):
        assert name in str(err.value)


def test_dotted_path_builds_ase_calculator_with_parameters():
    calc, ident = get_calculator("ase.calculators.lj:LennardJones", sigma=2.5, epsilon=0.01)
    assert type(calc).__name__ == "LennardJones"
    assert calc.parameters["sigma"] == 2.5
    assert ident.parameters == {"epsilon": 0.01, "sigma": 2.5}


@pytest.mark.parametrize(
    "name", ["ase.calculators.lj", "ase.calculators.lj:NoSuchClass", "no_such_pkg.mod:Calc"]
)
def test_bad_dotted_paths_are_input_errors(name):
    with pytest.raises(InputError, match="calculator"):
        get_calculator(name)


def test_identity_ignores_hardware_but_not_physics():
    a = calculator_identity("chgnet", device="cpu")
    b = calculator_identity("chgnet", device="cuda")
    c = calculator_identity("chgnet", model="0.2.0")
    assert a == b
    assert a.model == "0.3.0"
    assert c.model == "0.2.0"
    assert a.as_dict() != c.as_dict()


def test_check_elements():
    check_elements(["Al", "Cu"], "emt")
    check_elements(["Li"], "chgnet")  # no fixed element list
    with pytest.raises(InputError, match="Li, Mg"):
        check_elements(["Mg", "Li", "Al"], "emt")


def test_available_lists_builtin_names():
    names = available_calculators()
    assert {"chgnet", "sevenn", "emt"} <= set(names)


@needs_chgnet
def test_chgnet_is_quiet_and_versioned(capfd):
    calc, ident = get_calculator("chgnet", device="cpu")
    atoms = bulk("Li", "bcc", a=3.45)
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    out, _ = capfd.readouterr()
    assert out == ""  # no prints on stdout (would corrupt --json output)
    assert ident.model == "0.3.0"
    assert ident.package_version != "unknown"
    assert -2.5 < energy / len(atoms) < -1.0
