"""Writes per second of the results store: SQLite file vs a PostgreSQL server.

Run from the repository root (the PostgreSQL part needs a server, e.g. the local one of
``scripts/local-postgres.sh``, and the ``postgres`` extra; it is skipped with a message otherwise)::

    .venv/bin/python benchmarks/bench_store.py [--rows 300] [--url postgresql://...]

Each write is what the campaign driver does per finished task: :meth:`ResultStore.put` of one
outcome (a relaxed 8-atom cell, scalar key-value pairs, the JSON result, provenance) in one
transaction that replaces any earlier row of the key. Printed: writes/s of each backend, and the
PostgreSQL figure as a ratio to SQLite measured in the same process. The PostgreSQL database is a
scratch database created and dropped here.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from ase.build import bulk

from alloyscreen.engines.worker import execute_task
from alloyscreen.store import ResultStore
from alloyscreen.tasks import CalculatorSpec, make_task

DEFAULT_URL = "postgresql://alloyscreen:alloyscreen@127.0.0.1:5432/alloyscreen_test"


def outcomes(n: int) -> list:
    """``n`` outcomes with distinct keys, built from one real EMT relaxation."""
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 1, 1))
    spec = CalculatorSpec.make("emt")
    template = execute_task(make_task("relax", "Cu", atoms, spec))
    out = []
    for i in range(n):
        out.append(type(template)(**{**template.__dict__, "key": f"{i:08d}" + template.key[8:]}))
    return out, atoms


def writes_per_s(store: ResultStore, items: list, atoms) -> float:
    t0 = time.perf_counter()
    for outcome in items:
        store.put(outcome, input_atoms=atoms, meta={"category": "metal"})
    return len(items) / (time.perf_counter() - t0)


def postgres_scratch(url: str):
    """(scratch URL, drop function) or (None, reason)."""
    try:
        import ase_db_backends  # noqa: F401
        import psycopg2
    except ImportError:
        return None, "postgres extra not installed (pip install 'alloyscreen[postgres]')"
    try:
        admin = psycopg2.connect(url, connect_timeout=3)
    except psycopg2.Error as exc:
        return None, f"no server at {url}: {str(exc).strip()[:100]}"
    admin.autocommit = True
    name = f"alloyscreen_bench_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()

    return (url.rsplit("/", 1)[0] + "/" + name, drop), None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (any database)")
    args = parser.parse_args()
    items, atoms = outcomes(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = writes_per_s(ResultStore(Path(tmp) / "bench.db"), items, atoms)
    print(f"SQLite file      : {sqlite:8.1f} writes/s ({args.rows} rows)")
    scratch, why = postgres_scratch(args.url)
    if scratch is None:
        print(f"PostgreSQL       : skipped ({why})")
        return
    url, drop = scratch
    try:
        pg = writes_per_s(ResultStore(url), items, atoms)
    finally:
        drop()
    print(f"PostgreSQL server: {pg:8.1f} writes/s ({args.rows} rows); {pg / sqlite:.2f} x SQLite")


if __name__ == "__main__":
    main()
