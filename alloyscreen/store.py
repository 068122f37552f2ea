"""The results store: an ASE database (SQLite file by default, any ASE db URL accepted).

One row per task content key. Only the driver process writes. Rows are normal ASE db rows, so
``ase db results/alloyscreen.db`` lists them; the key-value pairs hold the task kind, status,
candidate id, calculator and the scalar results, and ``row.data`` holds the full result,
provenance, parameters and error text.

Typical use::

    store = ResultStore("results/alloyscreen.db")
    row = store.get_or_compute(task)          # computes only if the key is not done yet
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.db import connect
from ase.db.core import reserved_keys

from alloyscreen.errors import InputError
from alloyscreen.serialization import atoms_to_dict, from_jsonable, to_jsonable
from alloyscreen.tasks import Task, TaskOutcome

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
    """

    def __init__(self, url: str | Path = DEFAULT_DB) -> None:
        text = str(url)
        if "://" not in text:
            path = Path(text)
            if path.suffix not in (".db", ".sqlite", ".sqlite3"):
                raise InputError(f"store path '{path}' should end in .db (an ASE SQLite database)")
            if path.exists() and path.is_dir():
                raise InputError(
                    f"store path '{path}' is a directory; give a file such as results/alloyscreen.db"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            text = str(path)
        self.url = text
        try:
            self._db = connect(text, type="db" if "://" not in text else "extract_from_name")
            self._db.count()  # opens/creates the schema now, so a bad file fails here
        except Exception as exc:  # sqlite3/psycopg raise various types for unusable stores
            raise InputError(f"cannot open results store '{text}': {exc}") from exc

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

    def get_or_compute(
        self, task: Task, compute: Callable[[Task], TaskOutcome] | None = None
    ) -> StoredResult:
        """Stored done result for ``task.key`` or compute it now (in this process) and store it."""
        found = self.get(task.key)
        if found is not None and found.done:
            return found
        if compute is None:
            from alloyscreen.engines.worker import execute_task as compute
        return self.put(compute(task), input_atoms=task.atoms, meta=dict(task.meta))

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
