"""VASP and Quantum ESPRESSO through ASE: the input files the presets write (no binaries needed)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk, surface

from alloyscreen.calculators import get_calculator
from alloyscreen.errors import InputError


def li_bcc():
    return bulk("Li", "bcc", a=3.435, cubic=True)


def asymmetric_slab():
    slab = surface(li_bcc(), (1, 0, 0), 3, vacuum=5.0)
    slab.pbc = True
    slab[int(np.argmax(slab.positions[:, 2]))].symbol = "Al"
    return slab


def incar(path):
    tags = {}
    for line in (path / "INCAR").read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            tags[key.strip()] = value.split("#")[0].strip()
    return tags


def test_vasp_bulk_input(tmp_path, monkeypatch):
    monkeypatch.delenv("VASP_PP_PATH", raising=False)
    calc, ident = get_calculator("vasp")
    written = calc.write_input(li_bcc(), tmp_path)
    assert {p.name for p in written} == {"INCAR", "KPOINTS", "POSCAR"}
    assert not (tmp_path / "POTCAR").exists()
    tags = incar(tmp_path)
    assert float(tags["ENCUT"]) == pytest.approx(ident.parameters["ecut_eV"]) == 520.0
    assert tags["ISMEAR"] == "-1"  # Fermi-Dirac
    assert float(tags["SIGMA"]) == pytest.approx(0.1)
    assert tags["GGA"] == "PE"  # PBE
    assert tags["IBRION"] == "-1"
    assert tags["NSW"] == "0"
    assert tags.get("ISPIN", "1") == "1"
    assert "LDIPOL" not in tags
    kpoints = (tmp_path / "KPOINTS").read_text().splitlines()
    assert kpoints[2].strip().lower().startswith("monkhorst")
    assert kpoints[3].split() == ["8", "8", "8"]
    poscar = (tmp_path / "POSCAR").read_text().splitlines()
    assert poscar[5].split() == ["Li"]
    assert poscar[6].split() == ["2"]


def test_vasp_asymmetric_slab_has_dipole_correction_and_one_kpoint_along_z(tmp_path):
    calc, _ = get_calculator("vasp", preset="slab")
    calc.write_input(asymmetric_slab(), tmp_path)
    tags = incar(tmp_path)
    assert tags["LDIPOL"] == ".TRUE."
    assert tags["IDIPOL"] == "3"
    dipol = [float(x) for x in tags["DIPOL"].split()]
    assert dipol[2] == pytest.approx(0.5, abs=0.05)  # the slab sits in the middle of the cell
    assert (tmp_path / "KPOINTS").read_text().splitlines()[3].split() == ["8", "8", "1"]
    poscar = (tmp_path / "POSCAR").read_text().splitlines()
    assert poscar[5].split() == ["Li", "Al"]
    assert poscar[6].split() == ["5", "1"]


def test_vasp_symmetric_slab_has_no_dipole_correction(tmp_path):
    slab = surface(li_bcc(), (1, 0, 0), 3, vacuum=5.0)
    calc, _ = get_calculator("vasp")
    calc.write_input(slab, tmp_path)
    assert "LDIPOL" not in incar(tmp_path)


def test_vasp_extra_incar_tags_and_spin(tmp_path):
    fe = bulk("Fe", "bcc", a=2.83, cubic=True)
    calc, ident = get_calculator("vasp", incar={"algo": "Fast"}, ecut_eV=450)
    calc.write_input(fe, tmp_path)
    tags = incar(tmp_path)
    assert tags["ALGO"] == "Fast"
    assert tags["ISPIN"] == "2"
    assert float(tags["ENCUT"]) == 450.0
    assert ident.parameters["incar"] == {"algo": "Fast"}
    assert "MAGMOM" in tags


def pwi_text(tmp_path, atoms, **kwargs):
    calc, _ = get_calculator("espresso", **kwargs)
    (path,) = calc.write_input(atoms, tmp_path)
    assert path.name == "espresso.pwi"
    return path.read_text()


def pwi_value(text, key):
    for line in text.splitlines():
        if line.strip().startswith(key + " ") or line.strip().startswith(key + "="):
            return line.split("=", 1)[1].strip().strip("'")
    raise KeyError(key)


def test_espresso_bulk_input(tmp_path):
    text = pwi_text(tmp_path, li_bcc(), pseudo_dir="/opt/pseudo")
    assert float(pwi_value(text, "ecutwfc")) == pytest.approx(50.0)
    assert float(pwi_value(text, "ecutrho")) == pytest.approx(400.0)
    assert pwi_value(text, "smearing") == "fd"
    assert float(pwi_value(text, "degauss")) == pytest.approx(0.1 / 13.605693122994, rel=1e-5)
    assert pwi_value(text, "input_dft") == "PBE"
    assert pwi_value(text, "pseudo_dir") == "/opt/pseudo"
    assert "tefield" not in text
    assert "Li.UPF" in text
    lines = text.splitlines()
    kline = lines[lines.index("K_POINTS automatic") + 1].split()
    assert kline == ["8", "8", "8", "1", "1", "1"]  # even MP grids are shifted


def test_espresso_asymmetric_slab_input(tmp_path):
    text = pwi_text(
        tmp_path,
        asymmetric_slab(),
        pseudopotentials={"Al": "Al.pbe-n-kjpaw_psl.1.0.0.UPF"},
    )
    assert pwi_value(text, "tefield") == ".true."
    assert pwi_value(text, "dipfield") == ".true."
    assert pwi_value(text, "edir") == "3"
    emaxpos = float(pwi_value(text, "emaxpos"))
    assert emaxpos < 0.1 or emaxpos > 0.9  # in the vacuum, which straddles the cell boundary
    assert "Al.pbe-n-kjpaw_psl.1.0.0.UPF" in text
    assert "Li.UPF" in text
    lines = text.splitlines()
    assert lines[lines.index("K_POINTS automatic") + 1].split()[:3] == ["8", "8", "1"]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("vasp", {"command": "alloyscreen-no-such-vasp"}),
        ("espresso", {"command": "alloyscreen-no-such-pw.x"}),
    ],
)
def test_running_without_the_binary_is_a_clear_error(tmp_path, name, kwargs):
    calc, _ = get_calculator(name, directory=str(tmp_path), **kwargs)
    atoms = li_bcc()
    atoms.calc = calc
    with pytest.raises(InputError, match="not on PATH"):
        atoms.get_potential_energy()


def test_vasp_without_any_command_says_how_to_set_one(monkeypatch, tmp_path):
    for var in ("ASE_VASP_COMMAND", "VASP_COMMAND", "VASP_SCRIPT"):
        monkeypatch.delenv(var, raising=False)
    calc, _ = get_calculator("vasp", directory=str(tmp_path))
    atoms = li_bcc()
    atoms.calc = calc
    with pytest.raises(InputError, match="ASE_VASP_COMMAND"):
        atoms.get_potential_energy()
