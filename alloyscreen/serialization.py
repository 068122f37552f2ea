"""Convert result objects (frozen dataclasses, numpy arrays, ASE Atoms) to JSON-safe data and back.

Results travel from workers to the driver and into the store as plain dictionaries; structures are
encoded as ``{"@atoms": {...}}`` so that they can be restored exactly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

ATOMS_TAG = "@atoms"


def atoms_to_dict(atoms: Atoms) -> dict[str, Any]:
    """Encode the parts of ``atoms`` that define the structure (no calculator, no constraints)."""
    return {
        "numbers": [int(z) for z in atoms.numbers],
        "positions": np.asarray(atoms.positions, dtype=float).round(10).tolist(),
        "cell": np.asarray(atoms.cell.array, dtype=float).round(10).tolist(),
        "pbc": [bool(p) for p in atoms.pbc],
    }


def atoms_from_dict(data: Mapping[str, Any]) -> Atoms:
    """Inverse of :func:`atoms_to_dict`."""
    return Atoms(
        numbers=data["numbers"],
        positions=data["positions"],
        cell=data["cell"],
        pbc=data["pbc"],
    )


def to_jsonable(obj: Any) -> Any:
    """Recursively convert ``obj`` into JSON-compatible Python objects.

    Dataclasses become dicts, numpy scalars/arrays become numbers/lists, ``Atoms`` become
    ``{"@atoms": ...}``; NaN and infinities become ``None`` (JSON has no NaN).
    """
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Atoms):
        return {ATOMS_TAG: atoms_to_dict(obj)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return [to_jsonable(x) for x in obj.tolist()]
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "as_dict"):  # pymatgen / monty objects
        return to_jsonable(obj.as_dict())
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")


def from_jsonable(obj: Any) -> Any:
    """Restore ``Atoms`` encoded by :func:`to_jsonable`; everything else is returned as is."""
    if isinstance(obj, Mapping):
        if set(obj) == {ATOMS_TAG}:
            return atoms_from_dict(obj[ATOMS_TAG])
        return {k: from_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_jsonable(x) for x in obj]
    return obj
