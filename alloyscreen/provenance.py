"""Provenance records: software versions, host and timestamps attached to every stored result."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
import socket
from functools import cache
from typing import Any

_PACKAGES = (
    "alloyscreen",
    "ase",
    "pymatgen",
    "numpy",
    "scipy",
    "torch",
    "chgnet",
    "sevenn",
    "gpaw",
)


@cache
def software_versions() -> dict[str, str]:
    """Installed versions of the packages that can influence a result (absent ones omitted)."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def utc_now() -> str:
    """Current UTC time in ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def provenance_record(**extra: Any) -> dict[str, Any]:
    """Host, platform and package versions, plus any ``extra`` fields."""
    record: dict[str, Any] = {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "versions": software_versions(),
    }
    record.update(extra)
    return record
