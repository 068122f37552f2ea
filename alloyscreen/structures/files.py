"""Read structures from files: CIF, POSCAR/CONTCAR, extxyz, pymatgen JSON, candidate sets.

``read_candidates(paths)`` imports every readable file and reports the bad ones separately, so a
malformed CIF in a directory does not stop the others from being imported.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ase import Atoms
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from alloyscreen.errors import InputError
from alloyscreen.structures.candidates import Candidate, is_candidate_file, load_candidates

logger = logging.getLogger(__name__)

#: File name patterns tried when a directory is given.
STRUCTURE_PATTERNS = ("*.cif", "*.json", "*.extxyz", "*.xyz", "*.vasp", "POSCAR*", "CONTCAR*")


@dataclass(frozen=True)
class FileError:
    """A file that could not be imported and why."""

    path: str
    message: str


def _from_json(path: Path) -> list[Candidate]:
    data = json.loads(path.read_text())
    if is_candidate_file(data):
        return list(load_candidates(path))
    if isinstance(data, dict) and data.get("@class") == "Structure":
        structure = Structure.from_dict(data)
        return [_candidate(structure, path.stem, path)]
    raise InputError(
        f"{path}: JSON is neither an alloyscreen candidate set nor a pymatgen Structure dict"
    )


def _candidate(structure: Structure, cid: str, path: Path) -> Candidate:
    return Candidate(
        id=cid.replace(" ", "_"),
        formula=structure.composition.reduced_formula,
        structure=structure,
        prototype="file",
        source="file",
        category=_guess_category(structure),
        provenance={"file": str(path)},
    )


def _guess_category(structure: Structure) -> str:
    elements = {el.symbol for el in structure.composition.elements}
    if elements == {"Li"}:
        return "li_metal"
    if len(elements) == 1:
        return "element"
    if "Li" in elements and all(el.is_metal or el.is_metalloid for el in structure.composition):
        return "alloy"
    return "other"


def read_structure_file(path: str | Path) -> list[Candidate]:
    """Read one file into candidates (several for multi-frame extxyz or candidate sets).

    Raises
    ------
    InputError
        The file is missing, empty, truncated or not a structure; the message names it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    try:
        if path.suffix.lower() == ".json":
            return _from_json(path)
        from ase.io import read

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pymatgen/ASE warn about CIF details we re-check
            frames = read(path, index=":")
    except InputError:
        raise
    except Exception as exc:  # ASE raises many types for bad files; all mean "unreadable"
        raise InputError(f"{path}: cannot read structure ({type(exc).__name__}: {exc})") from exc
    if not frames:
        raise InputError(f"{path}: no structure found")
    out = []
    for i, atoms in enumerate(frames):
        _check_atoms(atoms, path)
        cid = path.stem if len(frames) == 1 else f"{path.stem}-{i}"
        out.append(_candidate(AseAtomsAdaptor.get_structure(atoms), cid, path))
    return out


def _check_atoms(atoms: Atoms, path: Path) -> None:
    if len(atoms) == 0:
        raise InputError(f"{path}: structure has no atoms")
    if not all(atoms.pbc) or atoms.cell.rank < 3:
        raise InputError(f"{path}: structure is not periodic in 3D (a bulk crystal is needed)")
    if atoms.get_volume() <= 1e-6:
        raise InputError(f"{path}: cell volume is zero")
    if len(atoms) > 1:
        from ase.geometry import get_distances

        _, dist = get_distances(atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        dist[range(len(atoms)), range(len(atoms))] = float("inf")
        if dist.min() < 0.5:
            raise InputError(f"{path}: atoms closer than 0.5 Å (overlapping sites); check the file")


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories expanded to the structure files they contain (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = {f for pattern in STRUCTURE_PATTERNS for f in p.glob(pattern) if f.is_file()}
            out.extend(sorted(found))
        else:
            out.append(p)
    return out


def read_candidates(paths: Iterable[str | Path]) -> tuple[list[Candidate], list[FileError]]:
    """Import every readable structure under ``paths``.

    Returns
    -------
    candidates : list of Candidate
        From the good files, ids made unique by suffixing ``-2``, ``-3``...
    errors : list of FileError
        One entry per bad file; the good files are imported regardless.
    """
    candidates: list[Candidate] = []
    errors: list[FileError] = []
    used: set[str] = set()
    for path in expand_paths(paths):
        try:
            found = read_structure_file(path)
        except InputError as exc:
            logger.warning("%s", exc)
            errors.append(FileError(str(path), str(exc)))
            continue
        for cand in found:
            cid, k = cand.id, 1
            while cid in used:
                k += 1
                cid = f"{cand.id}-{k}"
            used.add(cid)
            if cid != cand.id:
                cand = Candidate(
                    cid,
                    cand.formula,
                    cand.structure,
                    cand.prototype,
                    cand.source,
                    cand.category,
                    cand.provenance,
                )
            candidates.append(cand)
    return candidates, errors
