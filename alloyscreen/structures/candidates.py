"""Candidates and candidate-set files (JSON, structures as pymatgen dicts).

A candidate set is what every campaign starts from: ``alloyscreen candidates generate`` writes one,
``alloyscreen run``/``relax``/``adhesion``/``migration`` read one. The file is plain JSON whose
structures are ``pymatgen.core.Structure.as_dict()`` dictionaries, so
``monty.serialization.loadfn`` returns real ``Structure`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ase import Atoms
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from alloyscreen.errors import InputError

SCHEMA = "alloyscreen.candidates"
SCHEMA_VERSION = 1

#: What a candidate is, for ranking and comparisons ("metal X wets Li better than Li2S").
CATEGORIES = ("alloy", "li_metal", "metal", "sei", "element", "other")


@dataclass(frozen=True)
class Candidate:
    """One structure to screen.

    Attributes
    ----------
    id : str
        Unique, stable identifier within a set (e.g. ``LiAl-B32``).
    formula : str
        Reduced formula (``LiAl``).
    structure : pymatgen.core.Structure
        The crystal structure.
    prototype : str
        Structure type (``B32``, ``B2``, ``D03``, ``bcc``, ``SQS``, ``file``...).
    source : str
        Where it came from: ``known``, ``reference``, ``prototype``, ``solid_solution``, ``mp``,
        ``file``.
    category : str
        One of :data:`CATEGORIES` (``alloy``: Li–M compound; ``metal``: non-alloying metal
        reference; ``sei``: ionic interphase phase; ``li_metal``: Li itself).
    provenance : mapping
        Citation, generator parameters, source file...
    """

    id: str
    formula: str
    structure: Structure
    prototype: str = "unknown"
    source: str = "file"
    category: str = "other"
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id or any(c.isspace() for c in self.id):
            raise InputError(f"candidate id {self.id!r} must be a non-empty string without spaces")
        if self.category not in CATEGORIES:
            raise InputError(
                f"candidate {self.id}: category {self.category!r} is not one of {', '.join(CATEGORIES)}"
            )

    @property
    def natoms(self) -> int:
        """Number of sites in the structure."""
        return len(self.structure)

    @property
    def elements(self) -> tuple[str, ...]:
        """Element symbols, sorted."""
        return tuple(sorted(el.symbol for el in self.structure.composition.elements))

    def to_atoms(self) -> Atoms:
        """The structure as ``ase.Atoms``."""
        return AseAtomsAdaptor.get_atoms(self.structure)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the structure as a pymatgen dict)."""
        return {
            "id": self.id,
            "formula": self.formula,
            "prototype": self.prototype,
            "source": self.source,
            "category": self.category,
            "natoms": self.natoms,
            "provenance": dict(self.provenance),
            "structure": self.structure.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        """Inverse of :meth:`as_dict` (``natoms`` is derived, not read)."""
        structure = data["structure"]
        if not isinstance(structure, Structure):
            structure = Structure.from_dict(structure)
        return cls(
            id=str(data["id"]),
            formula=str(data.get("formula") or structure.composition.reduced_formula),
            structure=structure,
            prototype=str(data.get("prototype", "unknown")),
            source=str(data.get("source", "file")),
            category=str(data.get("category", "other")),
            provenance=dict(data.get("provenance", {})),
        )

    @classmethod
    def from_atoms(cls, atoms: Atoms, id: str, **kwargs: Any) -> Candidate:
        """Build a candidate from ``ase.Atoms`` (formula derived)."""
        structure = AseAtomsAdaptor.get_structure(atoms)
        return cls(
            id=id, formula=structure.composition.reduced_formula, structure=structure, **kwargs
        )


@dataclass(frozen=True)
class CandidateSet(Sequence[Candidate]):
    """An ordered collection of candidates with unique ids, plus how it was generated."""

    candidates: tuple[Candidate, ...]
    generator: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for cand in self.candidates:
            if cand.id in seen:
                raise InputError(f"duplicate candidate id '{cand.id}' in candidate set")
            seen.add(cand.id)

    def __len__(self) -> int:
        return len(self.candidates)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return self.candidates[index]

    def __iter__(self) -> Iterator[Candidate]:
        return iter(self.candidates)

    def by_id(self, candidate_id: str) -> Candidate:
        """The candidate called ``candidate_id``; the error lists close matches."""
        for cand in self.candidates:
            if cand.id == candidate_id:
                return cand
        import difflib

        close = difflib.get_close_matches(candidate_id, [c.id for c in self.candidates], n=5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(f"no candidate with id '{candidate_id}'{hint}")

    def select(self, ids: Iterable[str] | None) -> CandidateSet:
        """Subset in the order given (``None`` keeps everything)."""
        if ids is None:
            return self
        return CandidateSet(tuple(self.by_id(i) for i in ids), self.generator)

    def as_dict(self, *, created: str | None = None) -> dict[str, Any]:
        """JSON-ready form; ``created`` is the only field that varies between identical runs."""
        doc: dict[str, Any] = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION}
        if created is not None:
            doc["created"] = created
        doc["generator"] = dict(self.generator)
        doc["candidates"] = [c.as_dict() for c in self.candidates]
        return doc


def save_candidates(cands: CandidateSet, path: str | Path, *, created: str | None = None) -> Path:
    """Write ``cands`` to ``path`` as JSON (atomically: a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(cands.as_dict(created=created), indent=1, sort_keys=False) + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def is_candidate_file(data: Any) -> bool:
    """True when decoded JSON ``data`` looks like a candidate set."""
    return isinstance(data, Mapping) and data.get("schema") == SCHEMA


def load_candidates(path: str | Path) -> CandidateSet:
    """Read a candidate-set JSON file; errors name the file (and the candidate at fault)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: candidate file not found")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from exc
    if not is_candidate_file(data):
        raise InputError(
            f'{path}: not an alloyscreen candidate set (expected "schema": "{SCHEMA}"); '
            "create one with 'alloyscreen candidates generate'"
        )
    if data.get("schema_version", 1) > SCHEMA_VERSION:
        raise InputError(
            f"{path}: written by a newer alloyscreen (schema {data['schema_version']})"
        )
    out = []
    for i, entry in enumerate(data.get("candidates", [])):
        try:
            out.append(Candidate.from_dict(entry))
        except InputError as exc:
            raise InputError(f"{path}: candidate #{i}: {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: candidate #{i} is malformed ({exc!r})") from exc
    try:
        return CandidateSet(tuple(out), data.get("generator", {}))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
