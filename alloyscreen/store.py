"""The results store: an ASE database (SQLite file by default, any ASE db URL accepted).

One row per task content key. Only the driver process writes. Rows are normal ASE db rows, so
``ase db results/alloyscreen.db`` lists them; the key-value pairs hold the task kind, status,
candidate id, calculator and the scalar results, and ``row.data`` holds the full result,
provenance, parameters and error text.

Typical use::

    store = ResultStore("results/alloyscreen.db")
    row = store.get(task.key)                 # None until a runner has stored it

A store refuses what is not its own before anything is computed: an SQLite file of another
program (tables, but not ASE's), a file or folder it cannot write (``write=True``), and, with
``create=False``, a path where no store exists yet. Processes that compute into the same store
take turns through :meth:`ResultStore.exclusive` (a lock file next to an SQLite store, an advisory
lock on a PostgreSQL server), so two campaigns on one store never compute a key twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import time
import warnings
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.db import connect
from ase.db.core import reserved_keys

from alloyscreen.errors import InputError
from alloyscreen.serialization import atoms_to_dict, from_jsonable, to_jsonable
from alloyscreen.tasks import TaskOutcome

logger = logging.getLogger(__name__)

DEFAULT_DB = Path("results") / "alloyscreen.db"

STATUSES = ("done", "failed")

_WORD = re.compile(r"^[a-zA-Z_][a-zA-Z_0-9]*$")
_NUMBERLIKE = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^(True|False)$")


@dataclass(frozen=True, eq=False)
class StoredResult:
    """A row of the store, decoded.

    Attributes
    ----------
    key, kind, candidate_id, formula, status : str
    result : dict or None
        The science result (``Atoms`` restored); partial data for failed tasks.
    atoms : ase.Atoms
        Final structure (input structure for failed tasks).
    error : str or None
    calculator, params, provenance : dict
    meta : dict
        Descriptive data of the candidate (category, prototype, source) — not part of the key.
    wall_time_s : float
    cached : bool
        True when this result came from the store rather than being computed now.
    row_id : int
        ASE db row id.
    """

    key: str
    kind: str
    candidate_id: str
    formula: str
    status: str
    result: dict[str, Any] | None
    atoms: Atoms
    error: str | None
    calculator: dict[str, Any]
    params: dict[str, Any]
    provenance: dict[str, Any]
    meta: dict[str, Any]
    wall_time_s: float
    cached: bool
    row_id: int
    verdict: bool = False

    @property
    def done(self) -> bool:
        """True for a successful result."""
        return self.status == "done"


def _scalar_kvps(result: Any) -> dict[str, Any]:
    """Top-level scalar results as ASE key-value pairs (for ``ase db`` browsing and queries)."""
    out: dict[str, Any] = {}
    if not isinstance(result, dict):
        return out
    for key, value in result.items():
        if not _WORD.match(key) or key in reserved_keys:
            continue
        if (
            isinstance(value, bool)
            or (isinstance(value, int | float) and value == value)
            or (isinstance(value, str) and len(value) < 80 and not _NUMBERLIKE.match(value))
        ):
            out[key] = value
    return out


class ResultStore:
    """Results database behind one small interface; the URL is the only deployment choice.

    Parameters
    ----------
    url : str or Path
        SQLite file path (created with its folder) or any ASE db URL (``postgresql://...``).
    create : bool
        Create the store when it does not exist (default). With False a missing SQLite file is an
        :class:`~alloyscreen.errors.InputError` (commands that only read: ``db summary``).
    write : bool
        Check now that the store can be written (default), so that a read-only file fails
        before any compute rather than after it.

    Raises
    ------
    InputError
        The path is a folder, has the wrong suffix, is another program's SQLite file, cannot be
        written (``write=True``), does not exist (``create=False``), or the server refuses.
    """

    def __init__(self, url: str | Path = DEFAULT_DB, *, create: bool = True, write: bool = True):
        text = str(url)
        self._path: Path | None = None
        if "://" not in text:
            path = Path(text)
            if path.suffix not in (".db", ".sqlite", ".sqlite3"):
                raise InputError(f"store path '{path}' should end in .db (an ASE SQLite database)")
            if path.exists() and path.is_dir():
                raise InputError(
                    f"store path '{path}' is a directory; give a file such as results/alloyscreen.db"
                )
            if not path.exists() and not create:
                raise InputError(
                    f"no results store at '{path}' (check the path; stores are created by "
                    "`alloyscreen run` or `alloyscreen relax`)"
                )
            if path.exists():
                _check_sqlite_is_ase(path)
            if write:
                _check_writable(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = str(path)
            self._path = path
        self.url = text
        try:
            self._db = connect(text, type="db" if "://" not in text else "extract_from_name")
            self._db.count()  # opens/creates the schema now, so a bad file fails here
        except Exception as exc:  # sqlite3/psycopg raise various types for unusable stores
            raise InputError(f"cannot open results store '{_redact(text)}': {exc}") from exc

    @property
    def is_server(self) -> bool:
        """True for a database server URL (PostgreSQL...), False for an SQLite file."""
        return self._path is None

    # ----- taking turns between processes ----------------------------------------------------
    @contextlib.contextmanager
    def exclusive(self, poll_s: float = 0.5) -> Iterator[None]:
        """Hold the store's writer lock: one computing process per store at a time.

        Waits (logging once who holds it) while another process holds it; Ctrl-C interrupts the
        wait. SQLite: ``fcntl`` lock on ``<store>.writer.lock`` (processes on machines sharing
        the file system through NFS may not see each other's locks); PostgreSQL: a session
        advisory lock on the server, seen by every client.
        """
        if self._path is None:
            with self._server_lock(poll_s):
                yield
            return
        import fcntl

        lock_path = self._path.with_name(self._path.name + ".writer.lock")  # ASE uses .lock
        with open(lock_path, "a+") as fh:
            announced = False
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not announced:
                        fh.seek(0)
                        holder = fh.read().strip() or "another process"
                        logger.warning(
                            "store %s is in use by %s; waiting for it to finish its tasks "
                            "(what it computes is then reused, not repeated)",
                            self.url,
                            holder,
                        )
                        announced = True
                    time.sleep(poll_s)
            try:
                fh.seek(0)
                fh.truncate()
                fh.write(f"pid {os.getpid()}\n")
                fh.flush()
                yield
            finally:
                with contextlib.suppress(OSError):
                    fh.seek(0)
                    fh.truncate()
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _server_lock(self, poll_s: float) -> Iterator[None]:
        if not self.url.startswith(("postgresql://", "postgres://")):
            yield  # other servers: no lock (documented)
            return
        import psycopg2

        key = zlib.crc32(b"alloyscreen-results-store")
        con = psycopg2.connect(self.url)
        con.autocommit = True
        try:
            announced = False
            with con.cursor() as cur:
                while True:
                    cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
                    if cur.fetchone()[0]:
                        break
                    if not announced:
                        logger.warning(
                            "store %s is in use by another process; waiting for it to finish "
                            "its tasks",
                            _redact(self.url),
                        )
                        announced = True
                    time.sleep(poll_s)
            try:
                yield
            finally:
                with con.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
        finally:
            con.close()

    # ----- reading -------------------------------------------------------------------------
    def _decode(self, row: Any, cached: bool = True) -> StoredResult:
        data = row.data if hasattr(row, "data") else {}
        return StoredResult(
            key=row.task_key,
            kind=row.task,
            candidate_id=data.get("candidate_id", row.get("candidate", "")),
            formula=data.get("formula") or row.formula,
            status=row.status,
            result=from_jsonable(data.get("result")),
            atoms=row.toatoms(),
            error=data.get("error"),
            calculator=dict(data.get("calculator", {})),
            params=dict(data.get("params", {})),
            provenance=dict(data.get("provenance", {})),
            meta=dict(data.get("meta", {})),
            wall_time_s=float(row.get("wall_time_s", 0.0)),
            cached=cached,
            row_id=row.id,
            verdict=bool(data.get("verdict", False)),
        )

    def get(self, key: str) -> StoredResult | None:
        """The stored result for ``key`` (done or failed), or ``None``."""
        rows = list(self._db.select(task_key=key))
        if not rows:
            return None
        if len(rows) > 1:
            logger.warning("store has %d rows for key %s; using the newest", len(rows), key[:12])
        return self._decode(max(rows, key=lambda r: r.id))

    def status_of(self, keys: Iterable[str]) -> dict[str, str]:
        """Map each stored key among ``keys`` to its status (one query, no data loaded)."""
        wanted = set(keys)
        out: dict[str, str] = {}
        for row in self._db.select("task_key", include_data=False):
            if row.task_key in wanted:
                out[row.task_key] = row.status
        return out

    def rows(
        self,
        kind: str | None = None,
        status: str | None = None,
        candidate_id: str | None = None,
        calculator: str | None = None,
    ) -> Iterator[StoredResult]:
        """Iterate over stored results, filtered by kind/status/candidate/calculator name."""
        query: dict[str, Any] = {}
        if kind:
            query["task"] = kind
        if status:
            query["status"] = status
        if calculator:
            query["calc"] = calculator
        for row in self._db.select(**query):
            if row.get("task") == "document":
                continue
            decoded = self._decode(row)
            if candidate_id is None or decoded.candidate_id == candidate_id:
                yield decoded

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts by task kind and status: ``{"relax": {"done": 3, "failed": 1}}``."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for row in self._db.select(include_data=False):
            if row.get("task") != "document":
                counts[row.get("task", "?")][row.get("status", "?")] += 1
        return {kind: dict(c) for kind, c in sorted(counts.items())}

    def __len__(self) -> int:
        return self._db.count()

    # ----- writing (driver only) -----------------------------------------------------------
    def put(
        self,
        outcome: TaskOutcome,
        input_atoms: Atoms | None = None,
        meta: dict[str, Any] | None = None,
    ) -> StoredResult:
        """Write ``outcome``, replacing any earlier row with the same key, in one transaction.

        ``input_atoms`` (the task's structure) is kept for failed tasks and for provenance;
        ``meta`` is descriptive data of the candidate (not part of the key).
        """
        atoms = outcome.atoms if outcome.atoms is not None else input_atoms
        if atoms is None:
            atoms = Atoms()
        atoms = atoms.copy()
        energy = (outcome.result or {}).get("energy_eV") if outcome.status == "done" else None
        if isinstance(energy, int | float):
            atoms.calc = SinglePointCalculator(atoms, energy=float(energy))
        kvp: dict[str, Any] = {}
        if outcome.status == "done":
            kvp.update(_scalar_kvps(outcome.result))
        kvp.update(
            task_key=outcome.key,
            task=outcome.kind,
            status=outcome.status,
            calc=str(outcome.calculator.get("name", "?")),
            model=str(outcome.calculator.get("model", "-")),
            wall_time_s=float(outcome.wall_time_s),
        )
        if not _NUMBERLIKE.match(outcome.candidate_id):
            kvp["candidate"] = outcome.candidate_id
        data = {
            "candidate_id": outcome.candidate_id,
            "formula": outcome.formula,
            "result": to_jsonable(outcome.result),
            "error": outcome.error,
            "calculator": to_jsonable(outcome.calculator),
            "params": to_jsonable(outcome.params),
            "provenance": to_jsonable(outcome.provenance),
            "meta": to_jsonable(dict(meta or {})),
            "verdict": bool(outcome.verdict) and outcome.status == "failed",
        }
        if input_atoms is not None and outcome.atoms is not None:
            data["input_structure"] = atoms_to_dict(input_atoms)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ASE warns about keys that look like formulas
            row_id = self._replace(outcome.key, atoms, kvp, data)
        return self._decode(self._db.get(id=row_id), cached=False)

    def _replace(self, key: str, atoms: Atoms, kvp: dict[str, Any], data: dict[str, Any]) -> int:
        """Write one row for ``key``, deleting earlier ones, in one transaction (never two, never zero)."""
        with self._db as db:
            old = [row.id for row in db.select(task_key=key, include_data=False)]
            if old:
                db.delete(old)
            return db.write(atoms, key_value_pairs=kvp, data=data)

    # ----- campaign documents (derived, non-atomistic results such as an interphase design) ----
    def put_document(self, name: str, data: Any) -> None:
        """Store a JSON-able document under ``name`` (replacing an earlier one)."""
        key = f"document:{name}"
        kvp = {"task_key": key, "task": "document", "status": "done", "document": name}
        self._replace(key, Atoms(), kvp, {"document": to_jsonable(data)})

    def get_document(self, name: str) -> Any | None:
        """The document stored under ``name``, or ``None``."""
        rows = list(self._db.select(task_key=f"document:{name}"))
        if not rows:
            return None
        return from_jsonable(max(rows, key=lambda r: r.id).data.get("document"))

    def delete(self, keys: Iterable[str]) -> int:
        """Remove the rows of ``keys``; returns how many rows were deleted."""
        wanted = set(keys)
        ids = [
            r.id for r in self._db.select("task_key", include_data=False) if r.task_key in wanted
        ]
        if ids:
            self._db.delete(ids)
        return len(ids)


def store_exists(url: str | Path) -> bool:
    """True for a server URL or an existing SQLite file (nothing is opened or created)."""
    text = str(url)
    return "://" in text or Path(text).is_file()


def check_new_store(url: str | Path) -> None:
    """The checks :class:`ResultStore` makes before creating a new SQLite store, creating nothing.

    Raises
    ------
    InputError
        Wrong suffix, a folder, or a location that cannot be written.
    """
    text = str(url)
    if "://" in text:
        return
    path = Path(text)
    if path.suffix not in (".db", ".sqlite", ".sqlite3"):
        raise InputError(f"store path '{path}' should end in .db (an ASE SQLite database)")
    if path.is_dir():
        raise InputError(
            f"store path '{path}' is a directory; give a file such as results/alloyscreen.db"
        )
    _check_writable(path)


def _redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


def _check_sqlite_is_ase(path: Path) -> None:
    """Refuse a file that is not SQLite, or an SQLite database of another program."""
    if path.stat().st_size == 0:
        return
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(
            f"cannot open results store '{path}': not an SQLite database ({exc}); give a new "
            "file name or an existing alloyscreen store"
        ) from None
    if tables and "systems" not in tables:
        listed = ", ".join(sorted(tables)[:5])
        raise InputError(
            f"store '{path}' is an SQLite database of another program (tables: {listed}), not an "
            "alloyscreen/ASE results store; it was left untouched. Give another --db path"
        )


def _check_writable(path: Path) -> None:
    """Fail now (not after hours of compute) when results could not be written to ``path``."""
    if path.exists():
        if not os.access(path, os.W_OK):
            raise InputError(
                f"store '{path}' is read-only; nothing was computed. Make it writable "
                "(chmod u+w) or give another --db path"
            )
        folder = path.parent
    else:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
    # SQLite writes a journal next to the database: the folder must be writable too.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(
            f"store '{path}': folder '{folder}' is not writable; nothing was computed. Give "
            "another --db path"
        )
