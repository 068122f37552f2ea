"""ML vs DFT statistics on the descriptor reference set (synthetic reference with EMT)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import fcc111
from ase.calculators.emt import EMT
from ase.io.jsonio import encode

from alloyscreen import dft_reference as dr
from alloyscreen.errors import InputError
from alloyscreen.properties.fixed_geometry import hop_barrier, work_of_separation


def _interface(symbol: str, a: float, gap: float):
    slab = fcc111(symbol, size=(1, 1, 6), a=a, vacuum=8.0)
    z = slab.positions[:, 2]
    top = z > np.median(z)
    slab.set_tags(np.where(top, 2, 1))
    slab.positions[top, 2] += gap
    return slab


def _reference(calc):
    """A reference set whose 'DFT' values are EMT's own (so EMT must reproduce it exactly)."""
    interfaces, hops = {}, {}
    for sid, (el, a, gap) in {
        "Cu": ("Cu", 3.61, 0.0),
        "Ag": ("Ag", 4.09, 0.0),
        "Al": ("Al", 4.05, 0.0),
        "Cu-gap": ("Cu", 3.61, 0.4),
    }.items():
        atoms = _interface(el, a, gap)
        interfaces[sid] = {
            "atoms": encode(atoms),
            "w_sep_dft_J_m2": work_of_separation(atoms, calc).w_sep_J_m2,
        }
    for sid, dz in {"h1": 0.2, "h2": 0.4, "h3": 0.6}.items():
        ini = fcc111("Cu", size=(1, 1, 3), a=3.61, vacuum=6.0)
        sad = ini.copy()
        sad.positions[-1, 2] += dz
        hops[sid] = {
            "initial": encode(ini),
            "saddle": encode(sad),
            "barrier_dft_eV": hop_barrier(ini, sad, calc).barrier_eV,
        }
    return {"interfaces": interfaces, "hops": hops, "meta": {"dft_settings": "synthetic"}}


def test_a_calculator_against_its_own_reference_has_zero_error_and_perfect_ranks():
    calc = EMT()
    ref = _reference(calc)
    comps = dr.compare_with_dft(dr.evaluate_reference(ref, calc), ref, calculator="emt")
    assert {c.descriptor for c in comps} == {"w_sep_J_m2", "barrier_eV"}
    for c in comps:
        assert c.mae == pytest.approx(0.0, abs=1e-9)
        assert c.correlation.spearman_rho == pytest.approx(1.0)
    text = dr.format_comparison(comps)
    assert "Spearman rho +1.00" in text


def test_errors_and_rank_flips_are_measured():
    calc = EMT()
    ref = _reference(calc)
    values = dr.evaluate_reference(ref, calc)
    # reverse the barrier ranking and shift W_sep by +0.1 J/m2: MAE and rho must show it
    values["barrier_eV"] = dict(
        zip(values["barrier_eV"], sorted(values["barrier_eV"].values(), reverse=True), strict=True)
    )
    values["w_sep_J_m2"] = {k: v + 0.1 for k, v in values["w_sep_J_m2"].items()}
    comps = {c.descriptor: c for c in dr.compare_with_dft(values, ref, calculator="x")}
    assert comps["w_sep_J_m2"].mae == pytest.approx(0.1)
    assert comps["w_sep_J_m2"].mean_signed_error == pytest.approx(0.1)
    assert comps["w_sep_J_m2"].correlation.spearman_rho == pytest.approx(1.0)
    assert comps["barrier_eV"].correlation.spearman_rho == pytest.approx(-1.0)
    lo, hi = comps["w_sep_J_m2"].mae_ci
    assert lo <= 0.1 + 1e-9
    assert hi >= 0.1 - 1e-9


def test_missing_or_broken_reference_file(tmp_path):
    with pytest.raises(InputError, match=r"scripts/dft_descriptor_reference\.py"):
        dr.load_reference(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"interfaces": {}}))
    with pytest.raises(InputError, match="no 'hops' section"):
        dr.load_reference(bad)


def _stored_reference(tmp_path):
    """The synthetic set written to a file with two 'ML potentials' stored in ``ml_values``:
    one equal to the reference, one shifted by +0.2 J/m2 with its barrier order reversed."""
    calc = EMT()
    ref = _reference(calc)
    exact = dr.evaluate_reference(ref, calc)
    off = {
        "w_sep_J_m2": {k: v + 0.2 for k, v in exact["w_sep_J_m2"].items()},
        "barrier_eV": dict(
            zip(
                exact["barrier_eV"], sorted(exact["barrier_eV"].values(), reverse=True), strict=True
            )
        ),
    }
    ref["ml_values"] = {"exact": exact, "off": off}
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(ref))
    return path


def test_stored_ml_values_give_the_comparisons_and_a_parity_plot(tmp_path):
    ref = dr.load_reference(_stored_reference(tmp_path))
    comps = {(c.calculator, c.descriptor): c for c in dr.stored_comparisons(ref)}
    assert comps["exact", "w_sep_J_m2"].mae == pytest.approx(0.0, abs=1e-9)
    assert comps["off", "w_sep_J_m2"].mae == pytest.approx(0.2)
    assert comps["off", "barrier_eV"].correlation.spearman_rho == pytest.approx(-1.0)
    png = dr.plot_dft_parity(list(comps.values()), tmp_path / "parity.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError, match="at least one comparison"):
        dr.plot_dft_parity([], tmp_path / "none.png")


def test_validate_reference_dft_command(tmp_path):
    from typer.testing import CliRunner

    from alloyscreen.cli import build_app

    path = _stored_reference(tmp_path)
    png = tmp_path / "p.png"
    res = CliRunner().invoke(
        build_app(),
        [
            "validate",
            "--reference",
            "dft",
            "--dft-set",
            str(path),
            "--calculators",
            "off",
            "--plot",
            str(png),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "off vs DFT, w_sep_J_m2 (4 systems)" in res.output
    assert "MAE 0.200" in res.output
    assert png.is_file()
    res = CliRunner().invoke(
        build_app(),
        [
            "validate",
            "--reference",
            "dft",
            "--dft-set",
            str(path),
            "--json",
            "--calculators",
            "exact",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {c["descriptor"] for c in doc["comparisons"]} == {"w_sep_J_m2", "barrier_eV"}
    bad = CliRunner().invoke(build_app(), ["validate", "--reference", "dtf"])
    assert bad.exit_code == 2
    assert "'dtf' is not one of experiment, dft" in bad.output


def test_report_section_says_which_descriptor_ranks_like_dft(tmp_path):
    from alloyscreen.report import write_report

    comps = dr.stored_comparisons(dr.load_reference(_stored_reference(tmp_path)))
    verdicts = {(c.calculator, c.descriptor): dr.ranking_verdict(c) for c in comps}
    assert "does not rank reliably" in verdicts["off", "barrier_eV"]
    assert "ranks like DFT" in verdicts["exact", "barrier_eV"]
    files = write_report([], tmp_path / "rep", dft_comparisons=comps)
    md = files.markdown.read_text()
    assert "ML potentials against DFT on the descriptors" in md
    assert verdicts["off", "barrier_eV"] in md
    assert (tmp_path / "rep" / "parity_ml_vs_dft.png").is_file()


SHIPPED = dr.shipped_reference_path()
needs_shipped = pytest.mark.skipif(not SHIPPED.is_file(), reason="reference set not generated")


@needs_shipped
def test_shipped_reference_set_spans_the_classes_and_records_its_settings():
    ref = dr.load_reference()
    assert len(ref["interfaces"]) >= 8
    assert len(ref["hops"]) >= 5
    meta = ref["meta"]
    assert meta["gpaw_version"]
    assert meta["gpaw_data_version"]
    assert {"ecut_eV", "kpt_density_A", "max_atoms"} <= set(meta["settings"])
    w = {k: r["w_sep_dft_J_m2"] for k, r in ref["interfaces"].items()}
    # every interface binds; Li binds metals more strongly than the ionic SEI phases (DFT)
    assert all(v > 0 for v in w.values())
    metals = [w[k] for k in ("Li-bcc", "Cu-fcc", "Al-fcc", "LiAl-B32", "LiAg-B2") if k in w]
    ionic = [w[k] for k in ("Li2S-C1", "Li2O-C1", "LiF-B1") if k in w]
    assert min(metals) > max(ionic)
    assert all(r["barrier_dft_eV"] > 0 for r in ref["hops"].values())
    # both ML potentials are stored for the report, for both descriptors
    comps = dr.stored_comparisons(ref)
    assert {(c.calculator, c.descriptor) for c in comps} >= {
        ("sevenn", "w_sep_J_m2"),
        ("sevenn", "barrier_eV"),
        ("chgnet", "w_sep_J_m2"),
        ("chgnet", "barrier_eV"),
    }


@needs_shipped
@pytest.mark.dft
def test_gpaw_reproduces_the_shipped_li_on_li_work_of_separation():
    """The reference route end to end on its smallest system: GPAW at the shipped geometry with
    the shipped settings gives the shipped value (regenerability)."""
    pytest.importorskip("gpaw")
    from ase.io.jsonio import decode

    from alloyscreen.calculators import get_calculator

    ref = dr.load_reference()
    s = ref["meta"]["settings"]
    calc, _ = get_calculator(
        "gpaw", preset=s["preset"], ecut_eV=s["ecut_eV"], kpt_density_A=s["kpt_density_A"]
    )
    row = ref["interfaces"]["Li-bcc"]
    sep = work_of_separation(decode(row["atoms"]), calc)
    assert sep.w_sep_J_m2 == pytest.approx(row["w_sep_dft_J_m2"], abs=2e-3)


def _termination_reference(tmp_path):
    """A set with a terminations section: B32 LiAl (111) faces relaxed with LJ, 'DFT' = the same
    LJ at those structures, and two stored 'potentials': the same LJ (must agree) and one whose
    interface energies are reversed in order (must select another face)."""
    from ase.calculators.lj import LennardJones
    from ase.spacegroup import crystal

    from alloyscreen.properties.adhesion import work_of_adhesion
    from alloyscreen.properties.interface_energy import termination_energetics_at

    calc = LennardJones(sigma=2.3, epsilon=0.1, rc=6.0, smooth=True)
    # B32 LiAl seed a = 6.37 A (Villars & Calvert, Pearson's Handbook, ASM 1991)
    lial = crystal(
        ["Li", "Al"], [(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=227, cellpar=[6.37] * 3 + [90] * 3
    )
    res = work_of_adhesion(
        lial,
        calc,
        millers=[[1, 1, 1]],
        li_millers=[[1, 0, 0]],
        substrate_layers=3,
        li_layers=3,
        fixed_layers=1,
        registry_grid=1,
        gap_factors=[1.0],
        n_relax=1,
        max_steps=10,
        li_lattice_A=3.44,
        max_atoms=40,
        max_terminations=0,
        keep_geometries=True,
    )
    check = termination_energetics_at(res.geometries, lial, calc, li_lattice_A=3.44)
    ref = _reference(EMT())
    ref["terminations"] = {"LiAl-B32": dr.termination_entry(res, lial, check)}
    same = dr.evaluate_terminations(ref, calc)["LiAl-B32"]
    defined = sorted(
        v["interface_energy_J_m2"] for v in same if v["interface_energy_J_m2"] is not None
    )
    flipped = [
        {**v, "interface_energy_J_m2": None if g is None else defined[-1] + defined[0] - g}
        for v in same
        for g in [v["interface_energy_J_m2"]]
    ]
    ref["ml_termination_values"] = {"same": {"LiAl-B32": same}, "flipped": {"LiAl-B32": flipped}}
    exact = dr.evaluate_reference(ref, EMT())
    ref["ml_values"] = {"same": exact, "flipped": exact}
    path = tmp_path / "ref_terms.json"
    path.write_text(json.dumps(ref))
    return path, res


def test_termination_choice_is_compared_with_dft(tmp_path):
    path, res = _termination_reference(tmp_path)
    ref = dr.load_reference(path)
    row = ref["terminations"]["LiAl-B32"]
    assert row["dft_selected"] == row["ml_selected"] == res.termination
    by_calc = {a.calculator: a for a in dr.termination_agreements(ref)}
    assert by_calc["same"].agrees
    assert by_calc["same"].selected.endswith(res.termination)
    for _, w, wd, g, gd in by_calc["same"].rows:
        assert w == pytest.approx(wd, abs=1e-9)
        assert (g is None) == (gd is None)
    # reversing the order of the interface energies makes the potential pick another face
    assert not by_calc["flipped"].agrees
    assert by_calc["flipped"].selected != by_calc["flipped"].selected_dft
    text = dr.format_terminations(list(by_calc.values()))
    assert "same as DFT" in text
    assert "DFT selects" in text
    from alloyscreen.report import write_report

    files = write_report(
        [],
        tmp_path / "rep",
        dft_comparisons=dr.stored_comparisons(ref),
        dft_terminations=list(by_calc.values()),
    )
    md = files.markdown.read_text()
    assert "Termination of LiAl-B32 (flipped)" in md
    assert "(a different face)" in md
    assert "(the same)" in md
    # the structures round-trip through the file: re-evaluating gives the stored 'DFT' values
    from ase.calculators.lj import LennardJones

    again = dr.evaluate_terminations(ref, LennardJones(sigma=2.3, epsilon=0.1, rc=6.0, smooth=True))
    for v, r in zip(again["LiAl-B32"], row["rows"], strict=True):
        assert v["w_adh_J_m2"] == pytest.approx(r["dft"]["w_adh_J_m2"], abs=1e-9)


def test_validate_reference_dft_prints_the_termination_check(tmp_path):
    from typer.testing import CliRunner

    from alloyscreen.cli import build_app

    path, _ = _termination_reference(tmp_path)
    args = ["validate", "--reference", "dft", "--dft-set", str(path), "--calculators"]
    res = CliRunner().invoke(build_app(), [*args, "flipped"])
    assert res.exit_code == 0, res.output
    assert "flipped vs DFT, termination of LiAl-B32" in res.output
    assert "DFT selects" in res.output
    res = CliRunner().invoke(build_app(), [*args, "same", "--json"])
    assert res.exit_code == 0, res.output
    (term,) = json.loads(res.stdout)["terminations"]
    assert term["agrees"] is True


@needs_shipped
def test_shipped_set_checks_the_termination_choice_of_b32_lial():
    # GPAW at the SevenNet-0 structures of every B32 LiAl termination: the face that forms
    # against Li metal (lowest interface energy) is not the strongest-binding Al face, and both
    # stored potentials select DFT's face.
    ref = dr.load_reference()
    row = ref["terminations"]["LiAl-B32"]
    assert len(row["rows"]) >= 4
    assert sum(r["dft"]["interface_energy_J_m2"] is not None for r in row["rows"]) >= 3
    assert row["dft_selected"] != row["dft_strongest"]
    strongest = next(r for r in row["rows"] if r["termination"] == row["dft_strongest"])
    assert strongest["top_species"] == ["Al"]
    agreements = {a.calculator: a for a in dr.termination_agreements(ref) if a.system == "LiAl-B32"}
    assert set(agreements) == {"sevenn", "chgnet"}
    assert all(a.agrees for a in agreements.values())
    assert agreements["sevenn"].selected == row["ml_selected"]
    # every system of the section: the stored DFT choice is the one recomputed from its rows
    for a in dr.termination_agreements(ref):
        assert a.selected_dft == ref["terminations"][a.system]["dft_selected"]
