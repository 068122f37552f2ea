"""Experimentally known Li–M phases and elemental reference states (shipped data, not code).

The numbers live in ``alloyscreen/structures/data/known_phases.json``: space group, Wyckoff sites
with coordinates, lattice parameters, temperature when known and, on every row, the citation and
the document the numbers were read from. Structures are built with
``pymatgen.core.Structure.from_spacegroup`` (conventional cell).

To add a phase, append a row with all of its Wyckoff sites and a citation; the tests check that
every row builds, has the stated space group and composition, and carries a citation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ase import Atoms
from pymatgen.core import Lattice, Structure

from alloyscreen.errors import InputError
from alloyscreen.structures.candidates import CATEGORIES, Candidate

logger = logging.getLogger(__name__)

DATA_PACKAGE = "alloyscreen.structures.data"
KNOWN_PHASES_FILE = "known_phases.json"

#: Keys every phase row must have.
REQUIRED_KEYS = (
    "id",
    "formula",
    "prototype",
    "category",
    "spacegroup_number",
    "lattice",
    "sites",
    "citation",
    "read_from",
)


@dataclass(frozen=True)
class PhaseRecord:
    """One crystallographic description with its source.

    Attributes
    ----------
    id, formula, prototype, category : str
        Identifier (``LiAl-B32``), reduced formula, structure type and candidate category.
    spacegroup_number : int
        International Tables number; ``spacegroup_symbol`` the Hermann–Mauguin symbol.
    lattice : mapping
        ``a`` (Å) and, where the crystal system needs them, ``b``, ``c`` (Å) and ``alpha``,
        ``beta``, ``gamma`` (degrees). Missing lengths/angles follow from the crystal system.
    sites : tuple of mapping
        ``{"element", "wyckoff", "xyz"}`` for every symmetry-independent site.
    temperature_K : float or None
        Measurement temperature when the source gives it.
    citation, doi, read_from, notes : str
        Reference of the numbers, its DOI (or None), the document actually read, remarks.
    """

    id: str
    formula: str
    prototype: str
    category: str
    spacegroup_number: int
    spacegroup_symbol: str
    lattice: Mapping[str, float]
    sites: tuple[Mapping[str, Any], ...]
    citation: str
    read_from: str
    doi: str | None = None
    temperature_K: float | None = None
    strukturbericht: str | None = None
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any], *, source: str = "") -> PhaseRecord:
        """Validate and convert one JSON row; errors name the row and the file."""
        where = f"{source}: phase {row.get('id', '?')!r}"
        missing = [k for k in REQUIRED_KEYS if row.get(k) in (None, "", [], {})]
        if missing:
            raise InputError(f"{where} lacks {', '.join(missing)}")
        if row["category"] not in CATEGORIES:
            raise InputError(f"{where}: category {row['category']!r} not in {CATEGORIES}")
        known = set(REQUIRED_KEYS) | {
            "spacegroup_symbol",
            "doi",
            "temperature_K",
            "strukturbericht",
            "notes",
        }
        return cls(
            id=str(row["id"]),
            formula=str(row["formula"]),
            prototype=str(row["prototype"]),
            category=str(row["category"]),
            spacegroup_number=int(row["spacegroup_number"]),
            spacegroup_symbol=str(row.get("spacegroup_symbol") or ""),
            lattice={k: float(v) for k, v in row["lattice"].items()},
            sites=tuple(dict(s) for s in row["sites"]),
            citation=str(row["citation"]),
            read_from=str(row["read_from"]),
            doi=row.get("doi"),
            temperature_K=None if row.get("temperature_K") is None else float(row["temperature_K"]),
            strukturbericht=row.get("strukturbericht"),
            notes=str(row.get("notes") or ""),
            extra={k: v for k, v in row.items() if k not in known},
        )

    @property
    def elements(self) -> tuple[str, ...]:
        """Element symbols on the sites, sorted."""
        return tuple(sorted({str(s["element"]) for s in self.sites}))

    def build_lattice(self) -> Lattice:
        """Conventional lattice from the stored parameters and the crystal system."""
        p = dict(self.lattice)
        n = self.spacegroup_number
        a = p["a"]
        if n >= 195:  # cubic
            return Lattice.cubic(a)
        if 168 <= n <= 194 or (143 <= n <= 167 and "alpha" not in p):  # hexagonal axes
            return Lattice.hexagonal(a, p["c"])
        if 143 <= n <= 167:  # rhombohedral axes
            return Lattice.rhombohedral(a, p["alpha"])
        if 75 <= n <= 142:
            return Lattice.tetragonal(a, p["c"])
        if 16 <= n <= 74:
            return Lattice.orthorhombic(a, p["b"], p["c"])
        if 3 <= n <= 15:
            return Lattice.monoclinic(a, p["b"], p["c"], p["beta"])
        return Lattice.from_parameters(a, p["b"], p["c"], p["alpha"], p["beta"], p["gamma"])

    def structure(self) -> Structure:
        """Conventional cell from the space group and the Wyckoff sites."""
        species = [str(s["element"]) for s in self.sites]
        coords = [[float(x) for x in s["xyz"]] for s in self.sites]
        return structure_from_spacegroup(
            self.spacegroup_number, self.build_lattice(), species, coords
        )

    def provenance(self) -> dict[str, Any]:
        """Citation and crystallographic description for a candidate's provenance."""
        return {
            "citation": self.citation,
            "doi": self.doi,
            "read_from": self.read_from,
            "temperature_K": self.temperature_K,
            "spacegroup_number": self.spacegroup_number,
            "spacegroup_symbol": self.spacegroup_symbol,
            "lattice_A_deg": dict(self.lattice),
            "wyckoff_sites": [dict(s) for s in self.sites],
            "notes": self.notes,
        }

    def candidate(self, *, source: str) -> Candidate:
        """This phase as a :class:`Candidate` (id = record id)."""
        structure = self.structure()
        return Candidate(
            id=self.id,
            formula=structure.composition.reduced_formula,
            structure=structure,
            prototype=self.prototype,
            source=source,
            category=self.category,
            provenance=self.provenance(),
        )


@lru_cache(maxsize=64)
def _spacegroup(number: int) -> Any:
    from pymatgen.symmetry.groups import SpaceGroup

    return SpaceGroup.from_int_number(number)


def structure_from_spacegroup(
    number: int,
    lattice: Lattice,
    species: Sequence[str],
    coords: Sequence[Sequence[float]],
    *,
    tol: float = 1e-4,
) -> Structure:
    """``Structure.from_spacegroup`` with the space-group object cached.

    Same steps as :meth:`pymatgen.core.Structure.from_spacegroup` (orbit of every site under
    the operations of ``SpaceGroup.from_int_number``, i.e. pymatgen's default setting, origin
    choice 1 where there are two); building the ``SpaceGroup`` is slow in recent pymatgen
    versions, so it is built once per number. The result is passed through
    :func:`clean_structure`.
    """
    spg = _spacegroup(int(number))
    if not spg.is_compatible(lattice):
        raise InputError(
            f"lattice {lattice.parameters} is incompatible with space group {spg.symbol}"
        )
    all_species: list[str] = []
    all_coords: list[Any] = []
    for sp, c in zip(species, coords, strict=True):
        orbit = spg.get_orbit([float(x) for x in c], tol=tol)
        all_species.extend([sp] * len(orbit))
        all_coords.extend(orbit)
    return clean_structure(Structure(lattice, all_species, all_coords))


def clean_structure(structure: Structure, decimals: int = 10) -> Structure:
    """Round lattice vectors and fractional coordinates (removes 1e-16 noise; stable files).

    Coordinates are wrapped into [0, 1) after rounding so that equivalent inputs give
    identical structures.
    """
    import numpy as np

    matrix = np.round(structure.lattice.matrix, decimals) + 0.0
    frac = np.round(structure.frac_coords, decimals) % 1.0
    frac = np.round(frac, decimals) % 1.0 + 0.0
    return Structure(
        Lattice(matrix),
        [site.species for site in structure],
        frac,
        site_properties=structure.site_properties or None,
    )


@lru_cache(maxsize=8)
def _load_table(filename: str) -> dict[str, tuple[PhaseRecord, ...]]:
    text = resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    data = json.loads(text)
    out: dict[str, tuple[PhaseRecord, ...]] = {}
    seen: set[str] = set()
    for section in ("phases", "elements"):
        rows = []
        for row in data.get(section, []):
            rec = PhaseRecord.from_dict(row, source=filename)
            if rec.id in seen:
                raise InputError(f"{filename}: duplicate phase id {rec.id!r}")
            seen.add(rec.id)
            rows.append(rec)
        out[section] = tuple(rows)
    return out


def load_phase_table(filename: str, section: str = "phases") -> tuple[PhaseRecord, ...]:
    """Rows of a shipped phase table (``known_phases.json``, ``reference_phases.json``)."""
    return _load_table(filename)[section]


def known_phases() -> tuple[PhaseRecord, ...]:
    """All experimentally known Li–M phases (and Li metal) shipped with the package."""
    return load_phase_table(KNOWN_PHASES_FILE, "phases")


def elemental_phases() -> tuple[PhaseRecord, ...]:
    """Elemental reference states that ``ase.build.bulk`` cannot build."""
    return load_phase_table(KNOWN_PHASES_FILE, "elements")


def known_phase_candidates(
    elements: Iterable[str] | None = None, *, include_li_metal: bool = True
) -> list[Candidate]:
    """Known Li–M phases as candidates.

    Parameters
    ----------
    elements : iterable of str, optional
        Alloying elements M; a phase is included when all its non-Li elements are among them.
        ``None`` includes every phase.
    include_li_metal : bool
        Include bcc Li.

    Returns
    -------
    list of Candidate
        In data-file order (deterministic); source ``known``.
    """
    wanted = None if elements is None else {e for e in elements}
    out = []
    for rec in known_phases():
        others = set(rec.elements) - {"Li"}
        if not others:
            if include_li_metal:
                out.append(rec.candidate(source="known"))
            continue
        if wanted is None or others <= wanted:
            out.append(rec.candidate(source="known"))
    return out


def find_known_phase(phase_id: str) -> PhaseRecord:
    """The known phase (or elemental phase) called ``phase_id``."""
    for rec in (*known_phases(), *elemental_phases()):
        if rec.id == phase_id:
            return rec
    raise InputError(f"no known phase with id {phase_id!r}")


def elemental_phase(symbol: str) -> Atoms | None:
    """Reference structure of element ``symbol`` when the shipped data provides one.

    Covers elements whose 0 K reference state ``ase.build.bulk`` cannot build (alpha-Ga,
    black P); returns ``None`` for every other element (the caller falls back to ASE).
    """
    for rec in elemental_phases():
        if rec.elements == (symbol,):
            from pymatgen.io.ase import AseAtomsAdaptor

            return Atoms(AseAtomsAdaptor.get_atoms(rec.structure()))
    return None


def phase_ids(records: Sequence[PhaseRecord]) -> list[str]:
    """Ids of ``records`` (helper for messages)."""
    return [r.id for r in records]
