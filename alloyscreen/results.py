"""Typed read-back: stored result dictionaries turned back into the frozen result dataclasses.

A worker stores ``to_jsonable(result)`` (:mod:`alloyscreen.serialization`); :func:`from_record`
inverts it for any result dataclass, using the field types: nested dataclasses
(``tuple[HopResult, ...]``), tuples (JSON lists), optional fields, ``Atoms``. Fields absent from
the record (the partial data of a failed task, a record from an older result type) are
``None`` unless the dataclass gives a default, so callers read ``result.barrier_eV`` instead
of ``result.get("barrier_eV")``. :func:`typed_result` picks the dataclass of a stored row from its
task kind (:attr:`alloyscreen.tasks.TaskKind.result`).

Nothing is recomputed or validated here: the values are the stored ones.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from ase import Atoms

from alloyscreen.serialization import from_jsonable
from alloyscreen.tasks import task_kind

T = TypeVar("T")

_MISSING = dataclasses.MISSING


def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules.get(cls.__module__)
    return typing.get_type_hints(cls, vars(module) if module else None)


def _convert(tp: Any, value: Any) -> Any:
    """``value`` (JSON-ready data) as an instance of the annotated type ``tp``."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _convert(non_none[0], value) if len(non_none) == 1 else value
    if dataclasses.is_dataclass(tp) and isinstance(value, Mapping):
        return from_record(tp, value)
    if tp is Atoms:
        return value if isinstance(value, Atoms) else from_jsonable(value)
    if origin is tuple and isinstance(value, list | tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        if args and len(args) == len(value):
            return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)
    return value


def from_record(cls: type[T], record: Mapping[str, Any]) -> T:
    """The dataclass ``cls`` rebuilt from its stored dictionary ``record``.

    Parameters
    ----------
    cls : type
        A result dataclass (``MigrationResult``, ``AdhesionResult``, ``BulkRelaxResult``...).
    record : mapping
        ``StoredResult.result`` (or any ``to_jsonable`` output of ``cls``); unknown keys are
        ignored, missing ones become the field default or ``None``.
    """
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in record:
            values[f.name] = _convert(hints.get(f.name, Any), record[f.name])
        elif f.default is not _MISSING:
            values[f.name] = f.default
        elif f.default_factory is not _MISSING:
            values[f.name] = f.default_factory()
        else:
            values[f.name] = None
    return cls(**values)


def result_type(kind: str) -> type | None:
    """The result dataclass of task kind ``kind`` (``None`` when the kind names none)."""
    path = task_kind(kind).result
    if not path:
        return None
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def typed_result(row: Any) -> Any:
    """The result of a stored row (``StoredResult``) as its kind's dataclass, or ``None``.

    ``None`` when the row holds no result; a failed row's partial data is converted too (read its
    ``status`` before trusting the values).
    """
    if row.result is None:
        return None
    cls = result_type(row.kind)
    if cls is None:
        raise TypeError(f"task kind '{row.kind}' declares no result type")
    return from_record(cls, row.result)
