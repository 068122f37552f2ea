"""The screening funnel: stage decisions, kept-with-reason candidates, keys, a tiny campaign."""

from __future__ import annotations

import textwrap

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from alloyscreen.errors import InputError
from alloyscreen.funnel import (
    FunnelSettings,
    affinity_stage,
    mobility_stage,
    score_bounds,
    stability_stage,
)
from alloyscreen.properties.adhesion import (
    TerminationSummary,
    _best_terminations,
    margin_rescue,
    screen_keep,
    select_termination,
    work_of_adhesion,
)
from alloyscreen.ranking import CandidateDescriptors, rank_candidates
from alloyscreen.tasks import CalculatorSpec, make_task
from alloyscreen.workflow import workflow_from_dict


def _d(cid, w=None, barrier=None, e_hull=0.0, margin=None):
    values = {
        "w_adh_J_m2": w,
        "network_barrier_eV": barrier,
        "e_above_hull_eV_atom": e_hull,
        "percolation_margin": margin,
    }
    status = {k: "ok" if v is not None else "missing" for k, v in values.items()}
    return CandidateDescriptors(cid, cid, "alloy", values, status)


# ------------------------------------------------------------------ stage decisions (pure)


def test_stability_stage_stops_only_above_threshold_and_keeps_unknowns():
    passed, stopped = stability_stage(["a", "b", "c", "d"], {"a": 0.0, "b": 0.3, "c": 0.2}, 0.2)
    assert passed == ["a", "c", "d"]  # c is at the threshold, d has no hull energy
    assert [s.id for s in stopped] == ["b"]
    assert stopped[0].stage == "stability"
    assert "0.300" in stopped[0].reason
    off, none = stability_stage(["a", "b"], {"b": 5.0}, -1.0)
    assert off == ["a", "b"]
    assert not none


def test_affinity_stage_threshold_and_failed_adhesion_passes():
    passed, stopped = affinity_stage(["a", "b", "c"], {"a": 0.1, "b": 0.9, "c": None}, 0.5)
    assert passed == ["b", "c"]
    assert stopped[0].id == "a"
    assert stopped[0].stage == "affinity"
    assert affinity_stage(["a"], {"a": 0.1}, 0.0)[0] == ["a"]


def test_score_bounds_bracket_the_final_score_whatever_the_barrier():
    cands = [_d("a", 1.0), _d("b", 0.5), _d("c", 0.2)]
    bounds = score_bounds(cands)
    for barriers in ((0.1, 0.5, 0.9), (0.9, 0.1, 0.5), (0.3, 0.3, 0.3)):
        done = [_d(c.id, c.values["w_adh_J_m2"], b) for c, b in zip(cands, barriers, strict=True)]
        for r in rank_candidates(done):
            lo, hi = bounds[r.id]
            assert lo - 1e-12 <= r.score <= hi + 1e-12


def test_mobility_stage_stops_only_those_that_cannot_reach_the_top():
    # Stability weighted 0.15 and affinity 0.35; a candidate whose affinity is worst and whose
    # hull energy is worst cannot reach the top 2 even with the best barrier.
    cands = [
        _d("good1", 1.0, e_hull=0.0),
        _d("good2", 0.95, e_hull=0.0),
        _d("good3", 0.9, e_hull=0.01),
        _d("bad", 0.0, e_hull=0.2),
    ]
    ids = [c.id for c in cands]
    passed, stopped = mobility_stage(ids, cands, protect_top=2)
    assert [s.id for s in stopped] == ["bad"]
    assert stopped[0].stage == "mobility"
    assert "no CI-NEB" in stopped[0].reason
    assert passed == ["good1", "good2", "good3"]
    # The guarantee: whatever barriers the passing ones get, "bad" (scored worst for mobility)
    # is never in the top 2 of the final ranking.
    for barriers in ((0.9, 0.9, 0.9), (0.1, 0.9, 0.5)):
        final = [
            _d(c.id, c.values["w_adh_J_m2"], b, c.values["e_above_hull_eV_atom"])
            for c, b in zip(cands[:3], barriers, strict=True)
        ] + [cands[3]]
        assert "bad" not in [r.id for r in rank_candidates(final)[:2]]
    # protect_top 0 or larger than the set: nobody is stopped
    assert mobility_stage(ids, cands, protect_top=0)[1] == []
    assert mobility_stage(ids, cands, protect_top=10)[1] == []


def test_settings_validation_names_key():
    assert FunnelSettings.from_options({}) == FunnelSettings()
    with pytest.raises(InputError, match="protect_top"):
        FunnelSettings.from_options({"protect_top": -1})
    with pytest.raises(InputError, match="max_e_hull_eV_atom"):
        FunnelSettings.from_options({"max_e_hull_eV_atom": "high"})
    with pytest.raises(InputError, match="unknown key"):
        FunnelSettings.from_options({"top_k": 3})
    with pytest.raises(InputError, match=r"steps\.funnel"):
        workflow_from_dict({"steps": {"funnel": {"relax_terminations": 1.5}}}, "wf.toml")
    with pytest.raises(InputError, match="relax_margin_J_m2"):
        FunnelSettings.from_options({"relax_margin_J_m2": -0.1})
    assert FunnelSettings.from_options({"relax_margin_J_m2": 0}).relax_margin_J_m2 == 0.0
    with pytest.raises(InputError, match="unknown key"):
        workflow_from_dict({"steps": {"funnel": {"nope": 1}}}, "wf.toml")


def _t(label, w, gamma_sub):
    return TerminationSummary(
        (1, 1, 0), label, ("Li",), (1, 1, 0), w, gamma_sub, 0.45,
        None if gamma_sub is None else gamma_sub + 0.45 - w, True,
    )  # fmt: skip


def test_best_terminations_follow_the_selection_rule_in_turn():
    ts = [_t("a", 1.0, 0.9), _t("b", 0.9, 0.5), _t("c", 2.0, 2.5), _t("d", 3.0, None)]
    assert _best_terminations(ts, 1, "interface_energy") == {1}
    assert _best_terminations(ts, 2, "interface_energy") == {0, 1}
    assert _best_terminations(ts, 2, "max_w_adh") == {3, 2}
    assert _best_terminations(ts, 10, "interface_energy") == {0, 1, 2, 3}
    i, _ = select_termination(ts)
    assert i in _best_terminations(ts, 1, "interface_energy")


def _rigid_t(label, w, gamma_int):
    """A rigid summary with a given W_sep and interface energy (None: asymmetric slab)."""
    gamma_sub = None if gamma_int is None else gamma_int - 0.31 + w
    return TerminationSummary(
        (1, 1, 1), label, ("Sn",), (1, 1, 0), w, gamma_sub, 0.31, gamma_int, True
    )


def _lisn_rigid():
    """Rigid (W_sep, interface energy) of LiSn-B32's six terminations, CHGNet (J/m2)."""
    return [
        _rigid_t("(110) t0", 0.799, -0.264),
        _rigid_t("(111) t3", 0.301, 0.270),
        _rigid_t("(100) t0", 1.032, -0.347),
        _rigid_t("(111) t0", 0.261, None),
        _rigid_t("(111) t2", 0.726, None),
        _rigid_t("(111) t1", 0.841, 0.046),
    ]


def test_margin_keeps_the_termination_that_relaxation_promotes():
    """LiSn-B32 with CHGNet (bench_throughput n=20): the rigid values of its six terminations
    (W_sep, interface energy, J/m2) and the relaxed interface energies of the full route. Rigidly
    the (100) face is best; relaxed, the reconstructing (111) Sn face is (-0.98 J/m2), 0.41 J/m2
    behind rigidly. The 2 best alone miss it; a margin covering the relaxation shifts keeps it."""
    rigid = _lisn_rigid()
    relaxed_interface = {0: -0.381, 1: -0.411, 2: -0.432, 5: -0.979}
    reported = min(relaxed_interface, key=relaxed_interface.get)
    assert reported == 5
    assert reported not in screen_keep(rigid, 2, "interface_energy", 0.0)
    keep = screen_keep(rigid, 2, "interface_energy", 1.05)
    assert reported in keep
    # terminations that can never be reported (no interface energy) are not added by the margin
    assert 3 not in keep
    assert 4 not in keep
    # a margin just below the rigid gap (0.393) still misses it, just above keeps it
    assert reported not in screen_keep(rigid, 1, "interface_energy", 0.39)
    assert reported in screen_keep(rigid, 1, "interface_energy", 0.40)
    # under max_w_adh the margin is on W_sep (larger is better)
    assert screen_keep(rigid, 1, "max_w_adh", 0.0) == {2}
    assert screen_keep(rigid, 1, "max_w_adh", 0.25) == {2, 5, 0}
    # with no interface energy anywhere, the interface_energy rule falls back to W_sep
    undefined = [_rigid_t(t.termination, t.w_adh_J_m2, None) for t in rigid]
    assert screen_keep(undefined, 1, "interface_energy", 0.25) == {2, 5, 0}


def _relaxed_t(rigid_t, gamma_int):
    """The relaxed summary of ``rigid_t`` with interface energy ``gamma_int`` (same gamma_Li/sub)."""
    return TerminationSummary(
        rigid_t.miller, rigid_t.termination, rigid_t.top_species, rigid_t.li_miller,
        rigid_t.w_adh_J_m2 + rigid_t.interface_energy_J_m2 - gamma_int,
        rigid_t.substrate_surface_energy_J_m2, rigid_t.li_surface_energy_J_m2, gamma_int, True,
    )  # fmt: skip


def test_margin_rescue_widens_the_screen_only_when_a_measured_shift_exceeds_the_margin():
    """The LiSn-B32 values of the test above. Relaxed (100) and (110) shift by 0.085 and 0.117
    J/m2: within a 0.3 margin, nothing to rescue (the check cannot see the large shift of the
    unrelaxed (111) Sn face itself). Had the (111) Sn face been relaxed (shift 1.025 J/m2) with a
    0.3 margin, the (110) face, which that shift could carry below the best relaxed value, is
    rescued; (111) t3 and the asymmetric faces are not."""
    rigid = _lisn_rigid()
    relaxed = {0: _relaxed_t(rigid[0], -0.381), 2: _relaxed_t(rigid[2], -0.432)}
    shift, rescue = margin_rescue(rigid, relaxed, "interface_energy", 0.3)
    assert shift == pytest.approx(0.117)
    assert rescue == set()
    relaxed = {2: _relaxed_t(rigid[2], -0.432), 5: _relaxed_t(rigid[5], -0.979)}
    shift, rescue = margin_rescue(rigid, relaxed, "interface_energy", 0.3)
    assert shift == pytest.approx(1.025)
    assert rescue == {0}
    # the margin covering the shift: nothing to do
    assert margin_rescue(rigid, relaxed, "interface_energy", 1.05)[1] == set()
    # under max_w_adh the shift is relaxed minus rigid W_ad and the rescue is on W_sep
    w_shift, w_rescue = margin_rescue(rigid, relaxed, "max_w_adh", 0.3)
    assert w_shift == pytest.approx(
        max(relaxed[i].w_adh_J_m2 - rigid[i].w_adh_J_m2 for i in relaxed)
    )
    best_w = max(r.w_adh_J_m2 for r in relaxed.values())
    assert w_rescue == {i for i in (0, 1, 3, 4) if rigid[i].w_adh_J_m2 + w_shift > best_w}
    assert margin_rescue(rigid, {}, "interface_energy", 0.0) == (0.0, set())


# ------------------------------------------------------------------ rigid screen in adhesion

FAST = {
    "millers": [[1, 0, 0], [1, 1, 0], [1, 1, 1]],
    "li_millers": [[1, 1, 0]],
    "substrate_layers": 3,
    "li_layers": 3,
    "fixed_layers": 1,
    "registry_grid": 1,
    "gap_factors": [1.0],
    "n_relax": 1,
    "max_steps": 10,
    "li_lattice_A": 3.44,
    "max_atoms": 60,
    "max_terminations": 0,
}


def lj():
    return LennardJones(sigma=2.3, epsilon=0.1, rc=6.0, smooth=True)


def test_relax_best_relaxes_k_terminations_and_keeps_the_others_as_screened():
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    full = work_of_adhesion(cu, lj(), **FAST)
    one = work_of_adhesion(cu, lj(), **FAST, relax_best=1)
    n_full = sum(s.status == "computed" for s in full.surfaces)
    assert n_full >= 2, "the test needs several terminations"
    statuses = [s.status for s in one.surfaces]
    assert statuses.count("computed") == 1
    assert statuses.count("screened") == n_full - 1
    screened = [s for s in one.surfaces if s.status == "screened"]
    assert all("rigid W_sep" in s.note for s in screened)
    # every termination was scanned, only one relaxed
    assert {r.termination for r in one.records if r.stage == "scan"} == {
        r.termination for r in full.records if r.stage == "scan"
    }
    assert sum(r.stage == "relaxed" for r in one.records) == 1
    assert one.n_force_calls < full.n_force_calls
    # the relaxed termination gives the same W_ad as in the full treatment
    same = next(t for t in full.terminations if t.termination == one.termination)
    assert one.w_adh_J_m2 == pytest.approx(same.w_adh_J_m2, abs=1e-9)
    # relax_best >= number of terminations is the full treatment
    again = work_of_adhesion(cu, lj(), **FAST, relax_best=n_full)
    assert again.w_adh_J_m2 == pytest.approx(full.w_adh_J_m2, abs=1e-9)
    with pytest.raises(InputError, match="relax_best"):
        work_of_adhesion(cu, lj(), **FAST, relax_best=-1)


def test_relax_margin_relaxes_every_termination_within_it():
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    full = work_of_adhesion(cu, lj(), **FAST)
    n_full = sum(s.status == "computed" for s in full.surfaces)
    wide = work_of_adhesion(cu, lj(), **FAST, relax_best=1, relax_margin_J_m2=10.0)
    # every termination here is symmetric: a wide margin relaxes all, as the full route does
    assert sum(s.status == "computed" for s in wide.surfaces) == n_full
    assert wide.termination == full.termination
    assert wide.w_adh_J_m2 == pytest.approx(full.w_adh_J_m2, abs=1e-9)
    # margin 0 is the plain k-best screen; the screened note names the margin
    one = work_of_adhesion(cu, lj(), **FAST, relax_best=1, relax_margin_J_m2=0.0)
    assert sum(s.status == "computed" for s in one.surfaces) == 1
    assert all("within 0 J/m2" in s.note for s in one.surfaces if s.status == "screened")
    with pytest.raises(InputError, match="relax_margin_J_m2"):
        work_of_adhesion(cu, lj(), **FAST, relax_best=1, relax_margin_J_m2=-1.0)


def test_rigid_values_are_recorded_and_a_rescued_termination_is_relaxed(monkeypatch):
    from alloyscreen.properties import adhesion

    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    full = work_of_adhesion(cu, lj(), **FAST)
    one = work_of_adhesion(cu, lj(), **FAST, relax_best=1)
    # every scanned termination carries its rigid values; the relaxed one moved by a shift > 0
    assert all(s.rigid_interface_energy_J_m2 is not None for s in one.surfaces)
    assert all(s.rigid_interface_energy_J_m2 is None for s in full.surfaces)  # no screen
    computed = next(s for s in one.surfaces if s.status == "computed")
    relaxed = next(t for t in one.terminations if t.termination == computed.termination)
    assert computed.rigid_interface_energy_J_m2 > relaxed.interface_energy_J_m2
    # a check that asks for every screened termination once: they are relaxed, noted, and the
    # result is the full route's
    calls = []

    def rescue_all(rigid, relaxed, selection, margin):
        calls.append(set(relaxed))
        if len(calls) > 1:
            return 0.9, set()
        return 0.9, set(range(len(rigid))) - set(relaxed)

    monkeypatch.setattr(adhesion, "margin_rescue", rescue_all)
    rescued = work_of_adhesion(cu, lj(), **FAST, relax_best=1)
    assert len(calls) == 2
    assert [s.status for s in rescued.surfaces] == [s.status for s in full.surfaces]
    notes = [s.note for s in rescued.surfaces if "relaxed after the screen" in s.note]
    assert len(notes) == len(full.terminations) - 1
    assert [t.termination for t in rescued.terminations] == [
        t.termination for t in full.terminations
    ]
    assert rescued.w_adh_J_m2 == pytest.approx(full.w_adh_J_m2, abs=1e-9)


# ------------------------------------------------------------------ content keys


def test_funnel_adhesion_key_is_pinned_and_existing_key_unchanged():
    """The funnel's adhesion task differs from the full one only by ``relax_best`` in the key."""
    import alloyscreen.calculators as calculators

    spec = CalculatorSpec.make("emt")
    atoms = bulk("Cu", "fcc", a=3.6)
    orig = calculators._version
    calculators._version = lambda package: f"{package}-pinned"
    try:
        base = {"max_terminations": 0, "selection": "interface_energy"}
        full = make_task("adhesion", "Cu", atoms, spec, base)
        funnel = make_task("adhesion", "Cu", atoms, spec, {**base, "relax_best": 2})
    finally:
        calculators._version = orig
    # the full treatment's key, computed on main before relax_best existed
    assert full.key == "35fbba006b196c88242df24ac86e62da450ca8c482b7859a6c5db8e97e9d6f03"
    assert funnel.key == "3c7a1949c5e40debe2d9d138be9e986fe9fdb4cf80594d67ee9e10bfd616e60f"


# ------------------------------------------------------------------ a tiny campaign


def _workflow(tmp_path, funnel: str):
    from ase.io import write

    folder = tmp_path / "structures"
    folder.mkdir(exist_ok=True)
    write(folder / "Li.vasp", bulk("Li", "bcc", a=3.44, cubic=True), format="vasp")
    write(folder / "LiAl.vasp", bulk("LiAl", "rocksalt", a=5.2) * (1, 1, 1), format="vasp")
    write(folder / "Al.vasp", bulk("Al", "fcc", a=4.05), format="vasp")
    text = textwrap.dedent(
        f"""
        [campaign]
        candidates = ["{folder}"]
        db = "{tmp_path / "f.db"}"
        output = "{tmp_path / "out"}"

        [calculator]
        name = "ase.calculators.lj:LennardJones"
        options = {{ sigma = 2.3, epsilon = 0.1, rc = 6.0, smooth = true }}

        [steps.relax]
        max_steps = 20
        formation_energy = true

        [steps.adhesion]
        categories = ["other"]
        millers = [[1, 0, 0], [1, 1, 0]]
        li_millers = [[1, 1, 0]]
        substrate_layers = 3
        li_layers = 3
        fixed_layers = 1
        registry_grid = 1
        gap_factors = [1.0]
        n_relax = 1
        max_steps = 5
        li_lattice_A = 3.44
        max_atoms = 40
        max_terminations = 0

        [steps.rank]
        {funnel}
        """
    )
    import tomllib

    return workflow_from_dict(tomllib.loads(text), str(tmp_path / "wf.toml"))


@pytest.mark.slow
def test_tiny_campaign_with_the_funnel_keeps_stopped_candidates_with_stage_and_reason(tmp_path):
    from alloyscreen.campaign import run_campaign
    from alloyscreen.engines.local import LocalEngine
    from alloyscreen.store import ResultStore

    # A negative-free threshold that stops at least one candidate under LJ (its hull has every
    # composition's relaxed energy): -> the stopped one is ranked, flagged, not computed further.
    wf = _workflow(
        tmp_path,
        "[steps.funnel]\nmax_e_hull_eV_atom = 0.0\nrelax_terminations = 1\nprotect_top = 0\n",
    )
    store = ResultStore(str(tmp_path / "f.db"))
    result = run_campaign(wf, store, LocalEngine(1))
    assert result.funnel, "the threshold should stop at least one candidate"
    ids = {r.id for r in result.ranking}
    assert ids == {"Li", "LiAl", "Al"}  # nobody is dropped from the shortlist
    for cid, stop in result.funnel.items():
        assert stop["stage"] == "stability"
        row = next(r for r in result.ranking if r.id == cid)
        assert row.status["w_adh_J_m2"] == "screened"
        assert "stopped at stability" in row.as_record()["funnel"]
    adhesion_ids = {r.candidate_id for r in result.steps["adhesion"].results}
    assert adhesion_ids.isdisjoint(result.funnel)
    for r in result.steps["adhesion"].results:
        assert r.params.get("relax_best") == 1
    assert store.get_document("funnel") == result.funnel
    # the run summary and the report say who stopped where
    from alloyscreen.cli.campaign_output import print_campaign_summary
    from alloyscreen.report import write_report

    summary = print_campaign_summary(wf, result, store.url, json_out=True)
    assert summary["funnel"] == result.funnel
    assert summary["store"]["computed"] == result.n_computed > 0
    files = write_report(result.ranking, tmp_path / "report")
    text = files.markdown.read_text()
    assert "Screening funnel" in text
    assert all(cid in text for cid in result.funnel)
    # status/dry-run counts use the funnel's adhesion keys (done, not pending)
    from alloyscreen.campaign import task_counts

    counts = task_counts(wf, store)
    assert counts["adhesion"]["done"] == len(adhesion_ids)
    # a rerun is served from the store entirely
    again = run_campaign(wf, store, LocalEngine(1))
    assert again.n_computed == 0
    assert again.store_hit_rate == 1.0
    assert again.funnel == result.funnel
    # a campaign without the funnel on the same store: the earlier stops no longer annotate it
    plain = wf.model_copy(update={"steps": {"relax": wf.steps["relax"], "rank": wf.steps["rank"]}})
    ranked = run_campaign(plain, store, LocalEngine(1)).ranking
    assert store.get_document("funnel") == {}
    assert all("funnel" not in r.errors for r in ranked)
