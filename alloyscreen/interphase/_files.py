"""The user's extra data files of the interphase tables (reduction reactions, products)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError


def iter_json_files(
    extra: Iterable[str | Path] | str | Path | None, what: str
) -> Iterator[tuple[Path, Any]]:
    """Each file of ``extra`` (None, one path or several) with its parsed JSON, in order.

    Files are read one at a time as the caller iterates. ``what`` names the kind of file in
    error messages (``"reaction file"``).

    Raises
    ------
    InputError
        A file does not exist or is not valid JSON.
    """
    if extra is None:
        paths: list[str | Path] = []
    elif isinstance(extra, str | Path):
        paths = [extra]
    else:
        paths = list(extra)
    for path in paths:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{what} {p} does not exist") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{what} {p} is not valid JSON: {exc}") from None
        yield p, data
