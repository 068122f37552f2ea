"""The results store and campaigns against a real PostgreSQL server.

CI starts one with ``scripts/local-postgres.sh install && scripts/local-postgres.sh start``; the
tests skip when no server answers at ``ALLOYSCREEN_TEST_POSTGRES_URL`` (default: the URL that
script prints) or when the ``postgres`` extra is not installed. Each test module works in a
scratch database of its own, created here and dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import pytest
from ase.build import bulk
from ase.io import write

from alloyscreen.engines import LocalEngine
from alloyscreen.engines.worker import execute_task
from alloyscreen.runner import get_or_compute, run_tasks
from alloyscreen.store import ResultStore
from alloyscreen.tasks import CalculatorSpec, make_task

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
URL = os.environ.get(
    "ALLOYSCREEN_TEST_POSTGRES_URL",
    "postgresql://alloyscreen:alloyscreen@127.0.0.1:5432/alloyscreen_test",
)
EMT = CalculatorSpec.make("emt")


def _server() -> str | None:
    """Why the tests cannot run, or None when a server answers."""
    try:
        import ase_db_backends  # noqa: F401  (ASE's PostgreSQL backend)
        import psycopg2
    except ImportError:
        return "the postgres extra is not installed: pip install 'alloyscreen[postgres]'"
    try:
        psycopg2.connect(URL, connect_timeout=3).close()
    except psycopg2.Error as exc:
        return f"no PostgreSQL server at {URL} ({str(exc).strip()[:80]}); start one: " + (
            "scripts/local-postgres.sh install && scripts/local-postgres.sh start"
        )
    return None


REASON = _server()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def pg_url():
    """URL of a fresh scratch database (dropped at the end of the module)."""
    import psycopg2

    name = f"alloyscreen_t_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    url = URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.close()


def _clear(url: str) -> ResultStore:
    store = ResultStore(url)
    store.delete(r.key for r in store.rows())
    for doc in ("design", "margins", "x"):
        store._db.delete([r.id for r in store._db.select(task_key=f"document:{doc}")])
    return store


def test_store_round_trip_documents_and_replacement(pg_url):
    store = _clear(pg_url)
    assert store.is_server
    task = make_task("relax", "Cu-fcc", bulk("Cu", "fcc", a=3.7), EMT)
    row = get_or_compute(store, task)
    assert row.done
    assert not row.cached
    assert row.result["converged"] is True
    again = get_or_compute(store, task, compute=lambda t: pytest.fail("recomputed a done key"))
    assert again.cached
    assert again.result == row.result
    assert store.summary() == {"relax": {"done": 1}}
    # A failed key that later succeeds is replaced, never duplicated.
    failing = make_task("relax", "Li", bulk("Li", "bcc", a=3.5), EMT)  # EMT has no Li
    assert get_or_compute(store, failing).status == "failed"
    ok = execute_task(make_task("relax", "Cu2", bulk("Cu"), EMT))
    store.put(type(ok)(**{**ok.__dict__, "key": failing.key}))
    assert store.get(failing.key).done
    assert len(list(store.rows())) == 2
    store.put_document("x", {"a": [1, 2]})
    assert store.get_document("x") == {"a": [1, 2]}
    assert store.delete([task.key]) == 1
    assert store.get(task.key) is None


def test_runner_resumes_and_two_stores_on_one_server_take_turns(pg_url):
    store = _clear(pg_url)
    tasks = [make_task("relax", f"Cu{i}", bulk("Cu", "fcc", a=3.5 + 0.05 * i), EMT) for i in (0, 1)]
    first = run_tasks(tasks, store, LocalEngine(1))
    assert (first.n_computed, first.n_cached) == (2, 0)
    second = run_tasks(tasks, ResultStore(pg_url), LocalEngine(1))
    assert (second.n_computed, second.n_cached) == (0, 2)
    with store.exclusive():  # the advisory lock is held and released
        pass
    with ResultStore(pg_url).exclusive():
        pass


def _campaign(tmp_path: Path, url: str, engine: str) -> Path:
    folder = tmp_path / "structures"
    folder.mkdir(exist_ok=True)
    for el, a in (("Cu", 3.6), ("Al", 4.05), ("Ni", 3.52)):
        write(folder / f"{el}.vasp", bulk(el, "fcc", a=a), format="vasp")
    extra = ""
    if engine == "slurm":
        extra = textwrap.dedent(
            """
            [engine.slurm]
            queue = "debug"
            walltime = "00:10:00"
            cores = 1
            processes = 1
            memory = "1GB"
            jobs = 1
            interface = "lo"
            """
        )
    wf = tmp_path / f"{engine}.toml"
    wf.write_text(
        textwrap.dedent(
            f"""
            [campaign]
            name = "pg-{engine}"
            candidates = ["{folder}"]
            db = "{url}"
            output = "{tmp_path / "out"}"

            [calculator]
            name = "emt"

            [engine]
            kind = "{engine}"
            workers = 2
            """
        )
        + extra
        + textwrap.dedent(
            """
            [steps.relax]
            fmax = 0.05
            formation_energy = false
            """
        )
    )
    return wf


def _run(wf: Path, tmp_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    res = subprocess.run(
        [sys.executable, "-m", "alloyscreen", "run", str(wf), "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)["steps"]["relax"]


def _keys(url: str) -> Counter:
    return Counter(r.key for r in ResultStore(url).rows())


def test_local_campaign_into_postgres_then_rerun_is_all_cached(pg_url, tmp_path):
    _clear(pg_url)
    wf = _campaign(tmp_path, pg_url, "local")
    first = _run(wf, tmp_path)
    assert (first["computed"], first["failed"]) == (3, 0)
    again = _run(wf, tmp_path)
    assert (again["computed"], again["cached"]) == (0, 3)
    assert set(_keys(pg_url).values()) == {1}


def _slurm_answers() -> bool:
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slurm
@pytest.mark.skipif(not _slurm_answers(), reason="no SLURM answers (sinfo)")
def test_slurm_campaign_into_postgres(pg_url, tmp_path):
    _clear(pg_url)
    wf = _campaign(tmp_path, pg_url, "slurm")
    first = _run(wf, tmp_path)
    assert (first["computed"], first["failed"]) == (3, 0)
    rows = list(ResultStore(pg_url).rows())
    assert all(r.provenance.get("slurm_job_id") for r in rows)  # computed inside SLURM jobs
    again = _run(wf, tmp_path)
    assert (again["computed"], again["cached"]) == (0, 3)
