"""Li–M phase discovery: structure prototypes decorated with Li and M, ready to relax.

A binary chemical system Li–M is explored by putting Li and M on the sites of known structure
prototypes:

* the project's four cubic prototypes (B2, B32, D0_3, L1_2 of :mod:`alloyscreen.structures.prototypes`);
* a selection of binary prototypes of the AFLOW Library of Crystallographic Prototypes
  (M. J. Mehl et al., Comput. Mater. Sci. 136, S1 (2017), doi:10.1016/j.commatsci.2017.01.017),
  copied from the library bundled with pymatgen into ``data/aflow_binary_prototypes.json``
  with the structure paper the library cites for each entry (rock salt, zincblende, L1_0, L1_1,
  NiAs, CrB, fluorite/antifluorite C1, Laves C15, AlB2, MoSi2, Cu2Sb, CdI2, Ni3Sn D0_19,
  TiAl3 D0_22, Na3As D0_18, Li3N, Cr3Si A15, ZrAl3 D0_23, Ni4Mo D1_a, BaAl4 D1_3, Ca7Ge,
  Ni2Al3 D5_13, Mo2B5 D8_i, Pt3O4).

Decoration: the sites of a prototype's primitive cell fall into symmetry orbits (Wyckoff
positions); every assignment of Li or M to whole orbits that uses both elements is a candidate.
Assigning whole orbits keeps the prototype's space group (or a supergroup), so each distinct
decoration is a symmetry-distinct ordered structure; this gives both orderings of every AB_n
prototype and, for prototypes with more than two orbits, further stoichiometries (e.g. B2 from
D0_3). Decorations are reduced to their primitive cell, those above ``max_atoms`` are dropped,
and duplicates (pymatgen ``StructureMatcher`` with the volume scaled out, among structures of the
same composition) are removed keeping the first in prototype order.

The starting volume is the Vegard guess of :mod:`alloyscreen.structures.prototypes` (sum of
elemental atomic volumes); the prototype's own cell shape (c/a, angles) is kept. The structures
must be relaxed before use; :mod:`alloyscreen.structures.hull` builds the convex hull from the
relaxed energies.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from pymatgen.core import Structure

from alloyscreen.errors import InputError
from alloyscreen.structures.candidates import Candidate

logger = logging.getLogger(__name__)

DATA_PACKAGE = "alloyscreen.structures.data"
AFLOW_FILE = "aflow_binary_prototypes.json"

#: Library citation (the AFLOW prototype encyclopedia).
AFLOW_CITATION = (
    "M. J. Mehl, D. Hicks, C. Toher, O. Levy, R. M. Hanson, G. Hart and S. Curtarolo, The AFLOW "
    "Library of Crystallographic Prototypes: Part 1, Comput. Mater. Sci. 136, S1-S828 (2017), "
    "doi:10.1016/j.commatsci.2017.01.017"
)

#: Default size limit (atoms in the primitive cell of a decoration). Chosen so that one binary
#: system relaxes in minutes with SevenNet-0 on two CPU cores (benchmarks/bench_discovery.py).
DEFAULT_MAX_ATOMS = 8

#: Orbits per prototype above which decorations are not enumerated (2^k - 2 assignments).
MAX_ORBITS = 5


@dataclass(frozen=True)
class Prototype:
    """A structure prototype with its source.

    Attributes
    ----------
    name : str
        Short name (``B32``, ``D0_19``...).
    aflow_label : str
        AFLOW prototype label (``AB_cF16_227_a_b``).
    strukturbericht : str or None
    pearson : str
    compound : str
        The prototype compound (``NaTl``).
    structure : pymatgen.core.Structure
        A cell of the prototype with the compound's elements (any volume).
    source : str
        Where the structure comes from (library and original structure paper).
    """

    name: str
    aflow_label: str
    strukturbericht: str | None
    pearson: str
    compound: str
    structure: Structure
    source: str


def _project_prototypes() -> list[Prototype]:
    from alloyscreen.structures.prototypes import PROTOTYPES, prototype_structure

    out = []
    for p in PROTOTYPES.values():
        # A = Na/Bi..., B = the other: any two distinct elements serve as placeholders.
        structure = prototype_structure(p.name, "Na", "Cl", 4.0)
        out.append(
            Prototype(
                name=p.name,
                aflow_label=p.aflow_label,
                strukturbericht=p.strukturbericht,
                pearson="",
                compound=p.description.split()[0],
                structure=structure,
                source=(
                    f"alloyscreen.structures.prototypes ({p.strukturbericht}, {p.description}, "
                    f"AFLOW {p.aflow_label}; {AFLOW_CITATION})"
                ),
            )
        )
    return out


@lru_cache(maxsize=1)
def prototype_library() -> tuple[Prototype, ...]:
    """The project's four prototypes followed by the shipped AFLOW binary prototypes."""
    text = resources.files(DATA_PACKAGE).joinpath(AFLOW_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    out = _project_prototypes()
    names = {p.name for p in out}
    for row in data["prototypes"]:
        if row["name"] in names:
            continue
        names.add(row["name"])
        out.append(
            Prototype(
                name=str(row["name"]),
                aflow_label=str(row["aflow_label"]),
                strukturbericht=row.get("strukturbericht"),
                pearson=str(row.get("pearson") or ""),
                compound=str(row["compound"]),
                structure=Structure.from_dict(row["structure"]),
                source=(
                    f"AFLOW prototype {row['aflow_label']} ({row['compound']}-type), "
                    f"{AFLOW_CITATION}, via pymatgen's bundled library; structure from "
                    f"{row['original_reference']}"
                ),
            )
        )
    return tuple(out)


def parse_system(system: str) -> str:
    """The alloying element M of a system ``Li-M`` (``Li-Ge``, ``Ge-Li`` or ``Ge``)."""
    from alloyscreen.structures.prototypes import check_element

    parts = [p.strip() for p in system.replace("–", "-").split("-") if p.strip()]
    others = [p for p in parts if p != "Li"]
    if len(others) != 1 or len(parts) > 2:
        raise InputError(
            f"--system {system!r}: give one binary system with Li, e.g. Li-Ge (systems are "
            "comma separated: Li-Al,Li-Ge)"
        )
    return check_element(others[0])


def select_prototypes(names: Sequence[str] | None) -> tuple[Prototype, ...]:
    """Library prototypes by name (case and underscores ignored); ``None`` gives all."""
    lib = prototype_library()
    if not names:
        return lib

    def key(text: str) -> str:
        return text.strip().upper().replace("_", "")

    by_key = {key(p.name): p for p in lib}
    out = []
    for name in names:
        if key(name) not in by_key:
            raise InputError(
                f"unknown prototype {name!r}; available: {', '.join(p.name for p in lib)}"
            )
        out.append(by_key[key(name)])
    return tuple(out)


def _orbits(structure: Structure) -> tuple[Structure, list[list[int]], list[str]]:
    """Primitive cell, its symmetry orbits (site indices) and their Wyckoff symbols."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    sga = SpacegroupAnalyzer(structure, symprec=1e-3)
    prim = sga.find_primitive() or structure
    sym = SpacegroupAnalyzer(prim, symprec=1e-3).get_symmetrized_structure()
    return prim, [list(x) for x in sym.equivalent_indices], list(sym.wyckoff_symbols)


def _vegard_scaled(structure: Structure) -> Structure:
    from alloyscreen.structures.prototypes import vegard_volume_per_atom

    counts = {el.symbol: int(n) for el, n in structure.composition.items()}
    out = structure.copy()
    out.scale_lattice(vegard_volume_per_atom(counts) * len(out))
    return out


def decorate(
    proto: Prototype, element: str, *, max_atoms: int = DEFAULT_MAX_ATOMS
) -> list[Candidate]:
    """Every Li/``element`` decoration of ``proto``'s symmetry orbits within ``max_atoms``.

    Returns candidates (source ``prototype``, category ``alloy``) in a deterministic order; the
    provenance names the prototype, its source, the orbit occupation and the lattice guess.
    Decorations of one prototype that are equivalent are not removed here (see
    :func:`enumerate_system`).
    """
    from alloyscreen.structures.known_phases import clean_structure

    prim, orbits, wyckoffs = _orbits(proto.structure)
    if len(orbits) > MAX_ORBITS:
        logger.info("%s: %d orbits, decorations not enumerated", proto.name, len(orbits))
        return []
    out = []
    for choice in itertools.product(("Li", element), repeat=len(orbits)):
        if len(set(choice)) < 2:
            continue
        species = [""] * len(prim)
        for orbit, sp in zip(orbits, choice, strict=True):
            for i in orbit:
                species[i] = sp
        decorated = Structure(prim.lattice, species, prim.frac_coords)
        reduced = decorated.get_primitive_structure(tolerance=1e-3)
        if len(reduced) > max_atoms:
            continue
        structure = clean_structure(_vegard_scaled(reduced))
        formula = structure.composition.reduced_formula
        occupation = {
            f"{w}#{k}": sp for k, (w, sp) in enumerate(zip(wyckoffs, choice, strict=True))
        }
        out.append(
            Candidate(
                id=f"{formula}-{proto.name}",
                formula=formula,
                structure=structure,
                prototype=proto.name,
                source="prototype",
                category="alloy",
                provenance={
                    "prototype": proto.name,
                    "aflow_label": proto.aflow_label,
                    "strukturbericht": proto.strukturbericht,
                    "prototype_compound": proto.compound,
                    "prototype_source": proto.source,
                    "orbit_occupation": occupation,
                    "lattice_guess": "Vegard: sum of elemental atomic volumes; prototype cell "
                    "shape kept",
                    "note": "predicted structure: relax before use",
                },
            )
        )
    return out


@dataclass(frozen=True)
class Enumeration:
    """Decorated prototypes of one system.

    Attributes
    ----------
    system : str
        ``Li-M``.
    candidates : tuple of Candidate
        Distinct structures, unique ids.
    duplicates : tuple of dict
        ``{"dropped": id, "duplicate_of": id}`` for every decoration removed as a duplicate.
    n_too_large : int
        Decorations above the size limit are not generated; prototypes skipped for the limit.
    max_atoms : int
    """

    system: str
    candidates: tuple[Candidate, ...]
    duplicates: tuple[dict[str, str], ...]
    max_atoms: int


def enumerate_system(
    element: str,
    *,
    max_atoms: int = DEFAULT_MAX_ATOMS,
    prototypes: Sequence[str] | None = None,
) -> Enumeration:
    """Symmetry-distinct Li–``element`` decorations of the prototype library.

    Parameters
    ----------
    element
        Alloying element M.
    max_atoms
        Largest primitive cell kept (atoms).
    prototypes
        Prototype names (default: the whole library, :func:`prototype_library`).
    """
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from alloyscreen.structures.prototypes import MATCHER_KWARGS, check_element

    element = check_element(element)
    if max_atoms < 2:
        raise InputError(f"--max-atoms must be at least 2, got {max_atoms}")
    matcher = StructureMatcher(**MATCHER_KWARGS)
    kept: list[Candidate] = []
    duplicates: list[dict[str, str]] = []
    ids: set[str] = set()
    for proto in select_prototypes(prototypes):
        for cand in decorate(proto, element, max_atoms=max_atoms):
            comp = cand.structure.composition.reduced_composition
            match = next(
                (
                    i
                    for i, other in enumerate(kept)
                    if other.structure.composition.reduced_composition == comp
                    and len(other.structure) <= 2 * len(cand.structure)
                    and matcher.fit(cand.structure, other.structure)
                ),
                None,
            )
            if match is not None:
                other = kept[match]
                prov = dict(other.provenance)
                prov["also_generated_as"] = [*prov.get("also_generated_as", []), cand.prototype]
                kept[match] = replace(other, provenance=prov)
                duplicates.append({"dropped": cand.id, "duplicate_of": other.id})
                continue
            new_id, n = cand.id, 2
            while new_id in ids:
                new_id, n = f"{cand.id}-{n}", n + 1
            ids.add(new_id)
            kept.append(replace(cand, id=new_id))
    return Enumeration(f"Li-{element}", tuple(kept), tuple(duplicates), max_atoms)


def predicted_label(prototype: str, e_hull_eV_atom: float) -> str:
    """``predicted (prototype X, E_hull = N meV/atom)``."""
    return f"predicted (prototype {prototype}, E_hull = {1000 * e_hull_eV_atom:.0f} meV/atom)"


def discovered_candidate(
    cand: Candidate,
    relaxed: Structure,
    *,
    e_hull_eV_atom: float,
    formation_energy_eV_atom: float,
    calculator: str,
    also_relaxed_from: Sequence[str] = (),
) -> Candidate:
    """The relaxed structure of ``cand`` as a discovered candidate (source ``discovered``)."""
    from alloyscreen.structures.known_phases import clean_structure

    prov: dict[str, Any] = dict(cand.provenance)
    prov.update(
        {
            "label": predicted_label(cand.prototype, e_hull_eV_atom),
            "e_above_hull_eV_atom": round(float(e_hull_eV_atom), 6),
            "formation_energy_eV_atom": round(float(formation_energy_eV_atom), 6),
            "relaxed_with": calculator,
            "unrelaxed_candidate": cand.id,
            "same_phase_after_relaxation": list(also_relaxed_from),
            "note": "predicted structure (prototype discovery), relaxed with the calculator "
            "named in relaxed_with under the prototype's symmetry; not an experimental phase",
        }
    )
    return Candidate(
        id=cand.id,
        formula=relaxed.composition.reduced_formula,
        structure=clean_structure(relaxed),
        prototype=cand.prototype,
        source="discovered",
        category="alloy",
        provenance=prov,
    )


#: Discovered phases shipped with the package (a candidate set written by
#: ``alloyscreen candidates discover``; provenance on every row).
DISCOVERED_FILE = "discovered_phases.json"


@lru_cache(maxsize=1)
def _shipped_discovered() -> tuple[Candidate, ...]:
    from alloyscreen.structures.candidates import SCHEMA

    path = resources.files(DATA_PACKAGE).joinpath(DISCOVERED_FILE)
    if not path.is_file():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise InputError(f"{DISCOVERED_FILE}: not a candidate set")
    return tuple(Candidate.from_dict(row) for row in data["candidates"])


def shipped_discovered(element: str | None = None) -> tuple[Candidate, ...]:
    """Shipped discovered Li–M phases (all, or those of the system Li–``element``)."""
    rows = _shipped_discovered()
    if element is None:
        return rows
    return tuple(c for c in rows if set(c.elements) == {"Li", element})


#: Two relaxed structures are the same phase when they match (pymatgen ``StructureMatcher``,
#: default tolerances, volume not scaled) and their energies differ by less than this (eV/atom).
SAME_PHASE_TOL_EV_ATOM = 0.002


def merge_relaxed(
    candidates: Sequence[Candidate],
    relaxed: dict[str, Structure],
    energies_eV_atom: dict[str, float],
    *,
    tol_eV_atom: float = SAME_PHASE_TOL_EV_ATOM,
) -> dict[str, str]:
    """Map candidates that relaxed into an earlier candidate's structure onto that one.

    A prototype relaxed under its own symmetry can end in a higher-symmetry structure (B19 or
    L1_0 LiAg relax to B2); such copies would otherwise sit on the hull side by side. Candidates
    are compared in input order (the project's prototypes first), so the kept one is the first
    prototype that gives the structure.

    Returns
    -------
    dict
        ``{dropped id: kept id}``; candidates without a relaxed structure are ignored.
    """
    from pymatgen.analysis.structure_matcher import StructureMatcher

    matcher = StructureMatcher(primitive_cell=True, scale=False, attempt_supercell=True)
    kept: list[str] = []
    merged: dict[str, str] = {}
    for cand in candidates:
        if cand.id not in relaxed:
            continue
        s, e = relaxed[cand.id], energies_eV_atom[cand.id]
        comp = s.composition.reduced_composition
        for other in kept:
            o = relaxed[other]
            if (
                o.composition.reduced_composition == comp
                and abs(energies_eV_atom[other] - e) < tol_eV_atom
                and matcher.fit(s, o)
            ):
                merged[cand.id] = other
                break
        else:
            kept.append(cand.id)
    return merged
