"""Content keys, the ASE-db results store and the runner's resume semantics."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.db import connect

from alloyscreen.engines import LocalEngine
from alloyscreen.engines.worker import execute_task
from alloyscreen.errors import InputError
from alloyscreen.runner import get_or_compute, run_tasks
from alloyscreen.store import ResultStore
from alloyscreen.tasks import CalculatorSpec, canonical_structure, make_task

EMT = CalculatorSpec.make("emt")


def test_key_ignores_atom_order_and_tiny_noise_but_not_physics():
    a = bulk("Cu", "fcc", a=3.6, cubic=True)
    b = a[[3, 1, 0, 2]]
    c = a.copy()
    c.positions += 1e-8
    k = make_task("relax", "x", a, EMT).key
    assert make_task("relax", "x", b, EMT).key == k
    assert make_task("relax", "x", c, EMT).key == k
    assert make_task("relax", "x", a, EMT, {"fmax": 0.01}).key != k
    assert make_task("relax", "x", a, CalculatorSpec.make("chgnet")).key != k
    d = a.copy()
    d.positions[0, 0] += 0.01
    assert make_task("relax", "x", d, EMT).key != k
    assert make_task("adhesion", "x", a, EMT).key != k


def test_canonical_structure_wraps_periodic_images():
    a = bulk("Cu", "fcc", a=3.6, cubic=True)
    b = a.copy()
    b.positions[0] += a.cell[0]  # same crystal, atom in the next cell
    assert canonical_structure(a) == canonical_structure(b)


def test_unknown_task_kind_is_input_error():
    with pytest.raises(InputError, match="unknown task kind"):
        make_task("nosuchkind", "x", bulk("Cu"), EMT)


def test_store_round_trip_and_plain_ase_db(tmp_path):
    store = ResultStore(tmp_path / "r.db")
    task = make_task("relax", "Cu-fcc", bulk("Cu", "fcc", a=3.7), EMT)
    row = get_or_compute(store, task)
    assert row.done
    assert not row.cached
    assert row.result["converged"] is True
    assert row.atoms.get_volume() == pytest.approx(row.result["volume_A3"])
    again = get_or_compute(store, task, compute=lambda t: pytest.fail("recomputed a done key"))
    assert again.cached
    assert again.result == row.result
    # A normal ASE database: the standard tools can read it.
    db = connect(str(tmp_path / "r.db"))
    (r,) = list(db.select(task="relax"))
    assert r.status == "done"
    assert r.candidate == "Cu-fcc"
    assert r.energy == pytest.approx(row.result["energy_eV"])
    assert r.data["provenance"]["versions"]["ase"]


def test_failed_then_done_replaces_row_without_duplicate(tmp_path):
    store = ResultStore(tmp_path / "r.db")
    li = bulk("Li", "bcc", a=3.5)
    failing = make_task("relax", "Li", li, EMT)  # EMT has no Li: fails
    row = get_or_compute(store, failing)
    assert row.status == "failed"
    assert "Li" in row.error
    outcome = execute_task(make_task("relax", "Cu", bulk("Cu"), EMT))
    # Pretend the failed key now succeeded: the row is replaced, not duplicated.
    fixed = type(outcome)(**{**outcome.__dict__, "key": failing.key})
    store.put(fixed)
    assert len(store) == 1
    assert store.get(failing.key).done


def test_runner_resumes_and_counts(tmp_path):
    store = ResultStore(tmp_path / "r.db")
    tasks = [
        make_task("relax", f"Cu{i}", bulk("Cu", "fcc", a=3.5 + 0.05 * i), EMT) for i in range(3)
    ]
    tasks.append(tasks[0])  # duplicate key computed once
    first = run_tasks(tasks, store, LocalEngine(1))
    assert (first.n_computed, first.n_cached, first.n_failed) == (3, 0, 0)
    assert len(first.results) == 4
    second = run_tasks(tasks, store, LocalEngine(1))
    assert (second.n_computed, second.n_cached) == (0, 3)
    assert len(store) == 3
    lattice = [r.result["volume_per_atom_A3"] for r in second.results[:3]]
    assert np.ptp(lattice) < 0.05  # all relax to the same EMT minimum


def test_process_pool_engine_matches_in_process(tmp_path):
    tasks = [
        make_task("relax", f"Cu{i}", bulk("Cu", "fcc", a=3.5 + 0.05 * i), EMT) for i in range(3)
    ]
    pooled = run_tasks(tasks, ResultStore(tmp_path / "a.db"), LocalEngine(2))
    serial = run_tasks(tasks, ResultStore(tmp_path / "b.db"), LocalEngine(1))
    for p, s in zip(pooled.results, serial.results, strict=True):
        assert p.key == s.key
        assert p.result["energy_eV"] == pytest.approx(s.result["energy_eV"], abs=1e-8)
        assert p.provenance["pid"] != s.provenance["pid"]


def test_store_rejects_unusable_paths(tmp_path):
    with pytest.raises(InputError, match=r"\.db"):
        ResultStore(tmp_path / "results.txt")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(InputError, match="directory"):
        ResultStore(tmp_path / "dir.db")
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="cannot open"):
        ResultStore(bad)


def test_verdict_failures_are_reused_and_error_failures_retried(tmp_path, monkeypatch):
    from alloyscreen.engines import worker

    store = ResultStore(tmp_path / "r.db")
    # the answer for these inputs: EMT has no Li parameters for the Li film (InputError)
    verdict = make_task("adhesion", "Cu-on-Li", bulk("Cu", "fcc", a=3.6), EMT)
    # an error of the run, not an answer: the calculator could not be built this time
    flaky = make_task("relax", "Cu", bulk("Cu", "fcc", a=3.6), EMT)
    build = worker.worker_calculator

    def lost_device(spec):
        raise RuntimeError("CUDA error: device lost")

    monkeypatch.setattr(worker, "worker_calculator", lost_device)
    first = run_tasks([verdict, flaky], store, LocalEngine(1))
    assert (first.n_computed, first.n_failed) == (2, 2)
    assert not any(r.verdict for r in first.results)  # nothing ran: both are errors
    monkeypatch.setattr(worker, "worker_calculator", build)
    second = run_tasks([verdict, flaky], store, LocalEngine(1))
    assert (second.n_computed, second.n_failed) == (2, 1)
    cu_on_li, cu = second.results
    assert cu_on_li.verdict
    assert "no parameters for element(s) Li" in cu_on_li.error
    assert cu.done
    assert not cu.verdict
    third = run_tasks([verdict, flaky], store, LocalEngine(1))
    assert (third.n_computed, third.n_cached, third.n_failed) == (0, 2, 1)
    assert store.get(verdict.key).verdict  # the flag survives the store round trip
    forced = run_tasks([verdict, flaky], store, LocalEngine(1), retry_verdicts=True)
    assert (forced.n_computed, forced.n_cached) == (1, 1)
    assert len(store) == 2
