"""Read structures from files: CIF, POSCAR/CONTCAR, extxyz, pymatgen JSON, candidate sets.

``read_candidates(paths)`` imports every readable file and reports the bad ones separately, so a
malformed CIF in a directory does not stop the others from being imported.

Cells are screening inputs (bulk crystals of a few to a few hundred atoms). A cell above
:data:`WARN_ATOMS` atoms is read with a warning; one above :data:`MAX_ATOMS` (or the
``ALLOYSCREEN_MAX_ATOMS`` environment variable) is refused before anything expensive happens: for a
CIF the atom count is taken from the parsed file before ASE expands its symmetry (quadratic in the
number of atoms: ~16 s for 1,024 atoms), and the overlap check uses a cell-list neighbour search
whose memory grows linearly with the number of atoms (never an all-pairs distance matrix).
"""

from __future__ import annotations

import json
import logging
import os
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

#: Cells larger than this are read with a warning (relaxation cost grows with the atom count).
WARN_ATOMS = 200

#: Cells larger than this are refused (override with the ``ALLOYSCREEN_MAX_ATOMS`` variable).
MAX_ATOMS = 1000

#: Closest allowed distance between two atoms of an input structure (Å).
MIN_DISTANCE_A = 0.5

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
    limit = max_atoms()
    try:
        if path.suffix.lower() == ".json":
            return _from_json(path)
        if path.suffix.lower() == ".cif":
            _check_cif_size(path, limit)
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
        _check_size(len(atoms), path, limit)
        _check_atoms(atoms, path)
        cid = path.stem if len(frames) == 1 else f"{path.stem}-{i}"
        out.append(_candidate(AseAtomsAdaptor.get_structure(atoms), cid, path))
    return out


def max_atoms() -> int:
    """The largest cell accepted: :data:`MAX_ATOMS` or ``ALLOYSCREEN_MAX_ATOMS`` when set."""
    text = os.environ.get("ALLOYSCREEN_MAX_ATOMS")
    if not text:
        return MAX_ATOMS
    try:
        value = int(text)
    except ValueError:
        raise InputError(
            f"ALLOYSCREEN_MAX_ATOMS = {text!r}: give a whole number of atoms"
        ) from None
    if value < 1:
        raise InputError(f"ALLOYSCREEN_MAX_ATOMS = {value}: must be >= 1")
    return value


def _too_big(n: int, path: Path, limit: int, how: str = "") -> InputError:
    return InputError(
        f"{path}: {n} atoms{how} is more than the {limit} atoms a screening cell may have; give "
        "the primitive or conventional cell (alloyscreen builds supercells, slabs and interfaces "
        "itself), or raise the limit with ALLOYSCREEN_MAX_ATOMS if you mean it"
    )


def _check_size(n: int, path: Path, limit: int) -> None:
    if n > limit:
        raise _too_big(n, path, limit)
    if n > WARN_ATOMS:
        logger.warning(
            "%s: large cell (%d atoms); relaxations and adhesion slabs of it will be slow",
            path,
            n,
        )


def _check_cif_size(path: Path, limit: int) -> None:
    """Refuse a CIF whose cell would exceed ``limit`` atoms, before ASE expands its symmetry.

    With ``_atom_site_symmetry_multiplicity`` the count is exact; without it, the sites times
    the symmetry operations bound it from above, and the sites alone bound it from below.
    """
    from ase.io.cif import parse_cif

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blocks = [b for b in parse_cif(str(path)) if b.has_structure()]
    for block in blocks:
        labels = block.get("_atom_site_label") or block.get("_atom_site_type_symbol") or []
        n_sites = len(labels)
        multiplicity = block.get("_atom_site_symmetry_multiplicity")
        ops = (
            block.get("_space_group_symop_operation_xyz")
            or block.get("_symmetry_equiv_pos_as_xyz")
            or ["x,y,z"]
        )
        if multiplicity and len(multiplicity) == n_sites:
            try:
                n = int(sum(int(m) for m in multiplicity))
            except (TypeError, ValueError):
                n = n_sites
            if n > limit:
                raise _too_big(n, path, limit)
        elif n_sites > limit:
            raise _too_big(n_sites, path, limit, " in the asymmetric unit alone")
        elif n_sites * len(ops) > 8 * limit:
            raise _too_big(
                n_sites * len(ops), path, limit, f" at most ({n_sites} sites x {len(ops)} ops)"
            )


def _check_atoms(atoms: Atoms, path: Path) -> None:
    if len(atoms) == 0:
        raise InputError(f"{path}: structure has no atoms")
    if not all(atoms.pbc) or atoms.cell.rank < 3:
        raise InputError(f"{path}: structure is not periodic in 3D (a bulk crystal is needed)")
    if atoms.get_volume() <= 1e-6:
        raise InputError(f"{path}: cell volume is zero")
    if len(atoms) > 1:
        # Cell-list neighbour search: memory ~ number of atoms, not its square.
        from ase.neighborlist import neighbor_list

        i, j = neighbor_list("ij", atoms, MIN_DISTANCE_A, self_interaction=False)
        if len(i):
            raise InputError(
                f"{path}: atoms {i[0]} and {j[0]} are closer than {MIN_DISTANCE_A} Å "
                "(overlapping sites); check the file"
            )


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
            logger.debug("%s", exc)  # the caller reports the bad files (once)
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
