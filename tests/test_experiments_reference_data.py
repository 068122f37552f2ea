"""Shipped experimental reference data and the CSV loader."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments import reference_data as rd
from alloyscreen.experiments.arrhenius import K_B_EV_PER_K

HEADER = "system,property,value,unit,temperature_K,method,source,notes\n"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "reference_data.md"


def _write(tmp_path: Path, body: str, header: str = HEADER, name: str = "user.csv") -> Path:
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


# ----------------------------------------------------------------------------------------------
# shipped data
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(rd.DATA_FILES))
def test_shipped_sets_load_and_every_row_is_cited(name):
    recs = rd.load_reference_csv(rd.shipped_data_path(name))
    assert recs, f"{name} is empty"
    for r in recs:
        assert r.source.strip(), f"{r.file}:{r.line} has no source"
        if r.source.startswith("10."):
            assert r.doi == r.source
        else:  # a full reference: authors/title and a year
            assert re.search(r"(19|20)\d\d", r.source), f"{r.file}:{r.line}: reference lacks a year"
        assert r.method
        assert r.notes, f"{r.file}:{r.line}: notes should quote/locate the number"
        assert r.unit == rd.UNITS[r.property][0]


def test_shipped_properties_belong_to_their_files():
    assert {r.property for r in rd.load_contact_angles()} == {"contact_angle"}
    assert {r.property for r in rd.load_li_diffusion()} <= {
        "diffusion_coefficient",
        "diffusion_prefactor",
        "activation_energy",
    }


def test_docs_state_the_shipped_row_counts():
    if not DOCS.is_file():
        pytest.skip("docs/reference_data.md not present")
    text = DOCS.read_text(encoding="utf-8")
    for name, fname in rd.DATA_FILES.items():
        n = len(rd.load_reference_csv(rd.shipped_data_path(name)))
        m = re.search(rf"`{re.escape(fname)}`[^\n]*?(\d+) rows", text)
        assert m, f"docs do not state the row count of {fname}"
        assert int(m.group(1)) == n, f"docs say {m.group(1)} rows for {fname}, file has {n}"


def test_units_are_converted_to_canonical():
    recs = rd.load_li_diffusion()
    # Li3N: 1e-17 m2/s (Gadermaier et al. 2021) -> 1e-13 cm2/s
    li3n = next(r for r in recs if r.system == "Li3N")
    assert li3n.unit_reported == "m2/s"
    assert li3n.value == pytest.approx(1e-13, rel=1e-12)
    # Mg: 69.09 kJ/mol (Gasior & Moser 2001) -> 69.09 / 96.4853 = 0.71607 eV
    mg = next(r for r in recs if r.system == "Mg" and r.property == "activation_energy")
    assert mg.value == pytest.approx(69.09 / 96.48533212, rel=1e-8)
    assert mg.temperature_K is None


def test_shipped_contact_angles_have_three_formula_systems():
    # Jordan & Lane (1966): Cu; Choi et al. (2021): Ni foam 120 deg, oxidised (NiO) foam 0 deg
    recs = rd.load_contact_angles()
    formulas = {r.reduced_formula for r in recs if r.reduced_formula is not None}
    assert {"Cu", "Ni", "NiO"} <= formulas
    ni = next(r for r in recs if r.system == "Ni")
    assert ni.value == pytest.approx(120.0)
    assert ni.temperature_K is None  # not stated in the source abstract


def test_names_never_match_a_formula():
    assert rd.reduced_formula("stainless steel") is None
    assert rd.reduced_formula("Li-Mg solid solution") is None
    assert rd.reduced_formula("Cu (grain boundaries)") is None
    assert rd.reduced_formula("LiF-LaF3 burr-microsphere layer") is None
    assert rd.reduced_formula("Foo") is None
    assert rd.reduced_formula("Si5Li22") == "Li22Si5"
    assert rd.reduced_formula("Li2Al2") == "LiAl"


def test_match_by_composition():
    # Huggins' 415 degC window only (LiAl also has 150 degC rows, Pereira-Ramos et al. 1986)
    recs = rd.filter_records(rd.load_reference_data(), T_min_K=680, T_max_K=700)
    computed = {"AlLi": 2e-5, "Li4Al4": 9.9, "stainless steel": 0.5, "Li9Zz": 1.0, "LiIn": math.nan}
    matches, unmatched = rd.match_systems(computed, recs, property="diffusion_coefficient")
    assert [m.system for m in matches] == ["AlLi", "Li4Al4"]
    assert all(m.reduced_formula == "LiAl" for m in matches)
    assert matches[0].experimental == pytest.approx(1.2e-4)  # Huggins (2011) Table 14.3
    assert set(unmatched) == {"stainless steel", "Li9Zz", "LiIn"}  # LiIn: non-finite computed


def test_geometric_mean_when_several_records():
    recs = rd.load_li_diffusion()
    (m,), _ = rd.match_systems({"Li3Sb": 1.0}, recs, property="diffusion_coefficient")
    assert m.n_records == 2
    assert m.experimental == pytest.approx(math.sqrt(7.0e-5 * 2e-5))
    assert len(m.sources) == 2


def test_diffusion_from_prefactor_and_activation_energy():
    d = rd.diffusion_at_temperature(rd.load_li_diffusion(), 298.15)
    # Rupp et al. (2019): D0 = 3.9e-9 cm2/s, Ea = 0.68 eV for Li lattice diffusion in Cu
    expected = 3.9e-9 * math.exp(-0.68 / (K_B_EV_PER_K * 298.15))
    assert d["Cu"] == pytest.approx(expected, rel=1e-12)
    assert 1e-21 < d["Cu"] < 1e-19


def test_frame_and_filter():
    recs = rd.load_reference_data()
    df = rd.records_to_frame(recs)
    assert len(df) == len(recs)
    assert {"system", "value", "unit", "source", "line", "temperature_mid_K"} <= set(df.columns)
    hot = rd.filter_records(recs, property="diffusion_coefficient", T_min_K=680, T_max_K=700)
    assert hot
    assert all(abs(r.temperature_K - 688.15) < 1e-9 for r in hot)
    nmr = rd.filter_records(recs, methods=["nmr"])
    assert [r.system for r in nmr] == ["Li3N", "Li12Si7", "Li2C2"]
    with pytest.raises(InputError, match="unknown property"):
        rd.filter_records(recs, property="band_gap")


# ----------------------------------------------------------------------------------------------
# user CSVs and error paths
# ----------------------------------------------------------------------------------------------
def test_user_csv_is_accepted_and_combined(tmp_path):
    p = _write(
        tmp_path,
        "# my measurements\n"
        'Li2Sn5,contact_angle,1.2,rad,500,sessile drop,10.1234/abcd.5678,"note, with comma"\n'
        "LiZn,diffusion_coefficient,3e-12,m2/s,298.15,tracer,My Lab notebook 2024 p. 3,\n",
    )
    recs = rd.load_reference_csv(p)
    assert [r.line for r in recs] == [3, 4]
    assert recs[0].value == pytest.approx(math.degrees(1.2))
    assert recs[0].notes == "note, with comma"
    assert recs[1].value == pytest.approx(3e-8)
    allrecs = rd.load_reference_data([p])
    assert len(allrecs) == len(rd.load_reference_data()) + 2


def test_optional_columns(tmp_path):
    header = "system,property,value,unit,temperature_K,temperature_max_K,uncertainty,method,source,notes\n"
    p = _write(
        tmp_path, "LiAl,diffusion_coefficient,1e-5,cm2/s,300,350,2e-6,NMR,10.1234/x,\n", header
    )
    (r,) = rd.load_reference_csv(p)
    assert r.temperature_mid_K == pytest.approx(325.0)
    assert r.uncertainty == pytest.approx(2e-6)


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("LiAl,diffusion_coefficient,1e-5,cm/s,300,tracer,10.1234/x,", r"unit 'cm/s' is not valid"),
        ("Cu,contact_angle,40,K,500,sessile drop,10.1234/x,", r"unit 'K' is not valid"),
        ("LiAl,activation_energy,0.5,cm2/s,,tracer,10.1234/x,", r"unit 'cm2/s' is not valid"),
        ("LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,,", r"missing 'source'"),
        ("LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,  ,", r"missing 'source'"),
        ("LiAl,diffusion_coefficient,1e-5,cm2/s,300,,10.1234/x,", r"missing 'method'"),
        ("LiAl,diffusion_coefficient,1e-5,cm2/s,,tracer,10.1234/x,", r"needs temperature_K"),
        ("LiAl,activation_energy,0.5,eV,300,tracer,10.1234/x,", r"leave temperature_K empty"),
        ("Cu,contact_angle,190,deg,500,sessile drop,10.1234/x,", r"outside 0\.\.180"),
        ("Cu,contact_angle,40,deg,400,sessile drop,10.1234/x,", r"below the Li melting point"),
        ("LiAl,diffusion_coefficient,-1e-5,cm2/s,300,tracer,10.1234/x,", r"must be > 0"),
        ("LiAl,diffusion_coefficient,abc,cm2/s,300,tracer,10.1234/x,", r"is not a number"),
        ("LiAl,band_gap,1,eV,,tracer,10.1234/x,", r"unknown property"),
        (",diffusion_coefficient,1e-5,cm2/s,300,tracer,10.1234/x,", r"empty 'system'"),
        ("LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,10.1234/x", r"expected 8 fields"),
        ("LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,10.12 34/x,", r"malformed"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path, row, pattern):
    good = "LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,10.1234/x,\n"
    p = _write(tmp_path, "# comment\n" + good + row + "\n")
    with pytest.raises(InputError, match=pattern) as info:
        rd.load_reference_csv(p)
    msg = str(info.value)
    assert str(p) in msg
    assert "line 4" in msg  # header is line 1, comment 2, good row 3


def test_bad_header(tmp_path):
    p = _write(
        tmp_path,
        "LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,10.1234/x\n",
        header="system,property,value,unit,temperature_K,method,source\n",
    )
    with pytest.raises(InputError, match=r"line 1: header lacks column\(s\) notes"):
        rd.load_reference_csv(p)
    q = _write(tmp_path, "", header=HEADER.strip() + ",colour\n", name="q.csv")
    with pytest.raises(InputError, match="unknown column"):
        rd.load_reference_csv(q)
    with pytest.raises(InputError, match="not found"):
        rd.load_reference_csv(tmp_path / "missing.csv")
    e = tmp_path / "empty.csv"
    e.write_text("# only a comment\n")
    with pytest.raises(InputError, match="empty file"):
        rd.load_reference_csv(e)


def test_wrong_property_for_dataset(tmp_path):
    p = _write(tmp_path, "LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,10.1234/x,\n")
    with pytest.raises(
        InputError, match=r"line 2: property 'diffusion_coefficient' does not belong"
    ):
        rd.load_contact_angles(p)


def test_experiments_modules_do_not_import_machinery():
    pkg = Path(rd.__file__).parent
    forbidden = (
        "alloyscreen.store",
        "alloyscreen.cli",
        "alloyscreen.engines",
        "alloyscreen.runner",
    )
    for name in ("reference_data.py", "wetting.py", "arrhenius.py", "comparison.py"):
        tree = ast.parse((pkg / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(forbidden), f"{name} imports {node.module}"
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith(forbidden), f"{name} imports {a.name}"
            if isinstance(node, ast.ImportFrom) and node.module == "matplotlib":
                assert all(a.name != "pyplot" for a in node.names)
            if isinstance(node, ast.Import):
                assert all(a.name != "matplotlib.pyplot" for a in node.names)


# ----------------------------------------------------------------------------------------------
# diffusion type (chemical vs tracer...)
# ----------------------------------------------------------------------------------------------
def test_every_shipped_diffusion_row_states_its_kind():
    recs = rd.load_li_diffusion()
    missing = [f"{r.file}:{r.line}" for r in recs if r.diffusion_type is None]
    assert not missing, f"shipped diffusion rows without diffusion_type: {missing}"
    # Huggins' Table 14.3 values are GITT chemical coefficients, never tracer ones.
    huggins = [r for r in recs if r.source == "10.1002/9783527637188.ch14"]
    assert len(huggins) == 16
    assert {r.diffusion_type for r in huggins} == {"chemical"}


def test_filter_by_diffusion_type_keeps_tracer_apart_from_chemical():
    recs = rd.load_li_diffusion()
    tracer = rd.filter_records(recs, diffusion_types=("tracer",))
    assert tracer
    assert all(r.diffusion_type == "tracer" for r in tracer)
    chem = rd.filter_records(recs, diffusion_types=("chemical",))
    assert not set(map(id, tracer)) & set(map(id, chem))
    with pytest.raises(InputError, match="unknown diffusion type"):
        rd.filter_records(recs, diffusion_types=("chemicall",))


def test_merged_rows_keep_conflicting_sources_side_by_side():
    # LiAl: Huggins' 415 degC GITT maximum and Pereira-Ramos' 150 degC chronoamperometry are
    # both kept; they differ by six orders of magnitude because of T and method.
    recs = [r for r in rd.load_li_diffusion() if r.reduced_formula == "LiAl"]
    sources = {r.source for r in recs}
    assert len(sources) == 2
    hot = max(recs, key=lambda r: r.temperature_K)
    cold = min(recs, key=lambda r: r.temperature_K)
    assert hot.value / cold.value > 1e5


@pytest.mark.parametrize(
    ("cells", "pattern"),
    [
        (
            "LiAl,diffusion_coefficient,1e-5,cm2/s,300,tracer,10.1234/x,,tracr",
            "unknown diffusion_type",
        ),
        ("Cu,contact_angle,40,deg,500,sessile drop,10.1234/x,,tracer", "only for diffusion rows"),
    ],
)
def test_bad_diffusion_type(tmp_path, cells, pattern):
    header = HEADER.strip() + ",diffusion_type\n"
    p = _write(tmp_path, cells + "\n", header)
    with pytest.raises(InputError, match=pattern):
        rd.load_reference_csv(p)
