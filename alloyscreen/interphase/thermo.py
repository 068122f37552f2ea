"""Thermodynamic route: reduction products from a grand-potential phase diagram open to Li.

At the Li-metal potential (``mu_Li = E(Li metal)`` per atom, same calculator) the equilibrium
products of a composition are the decomposition of its non-Li part in the grand-potential phase
diagram ``Phi = E - N_Li mu_Li`` (pymatgen :class:`GrandPotentialPhaseDiagram`). The Li consumed
follows from the Li content of the products.

Entries come from

* relaxed energies of the shipped crystal structures (``thermo_phases``: known Li–M phases and
  elemental phases of :mod:`alloyscreen.structures.known_phases`, reference SEI phases of
  :mod:`alloyscreen.structures.references`, this package's ``data/thermo_phases.json`` and
  ASE elemental references), computed with the chosen calculator through the ``relax`` task kind
  (the CLI runs the tasks through the results store, so energies are cached), or
* Materials Project entries (``mp`` extra, :func:`materials_project_entries`).

When the shipped data has no known Li–M compound for an element M of the composition,
:func:`thermo_phases` adds the *discovered* Li–M phases shipped in
``alloyscreen/structures/data/discovered_phases.json`` (prototype discovery,
:mod:`alloyscreen.structures.discovery`; ids ``predicted:<id>``, source ``discovered``), and the
reaction notes name every predicted product, so a result never passes off a predicted structure
as a known one.

The products can only be phases in the entry set: the route decides *among the phases it is
given* (e.g. which Li–Ge phase is Li-richest and stable, whether a ternary survives), and a
chemistry whose Li-rich phases are missing gives an element or a Li-poor phase instead. The
electrolyte itself need not be in the set (its energy changes the reaction energy, not the
products at the Li potential).

This module builds tasks and reads results but never opens the store or runs an engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ase import Atoms
from pymatgen.core import Composition, Element

from alloyscreen.errors import InputError
from alloyscreen.interphase.composition import (
    ElectrolyteInput,
    formula_key,
    parse_composition,
    parse_formula,
)
from alloyscreen.interphase.reactions import (
    ReductionReaction,
    ReductionResult,
    combine,
    make_reaction,
)

logger = logging.getLogger(__name__)

DATA_PACKAGE = "alloyscreen.interphase.data"
THERMO_PHASES_FILE = "thermo_phases.json"
#: Candidate-id prefix of the thermodynamic route's relax tasks.
TASK_PREFIX = "interphase:"
#: Id prefix of discovered (predicted) phases in the phase set.
PREDICTED_PREFIX = "predicted:"


@dataclass(frozen=True)
class ThermoPhase:
    """A crystal structure entering the phase diagram.

    Attributes
    ----------
    id : str
        Unique id (the data row's id, or ``element:<symbol>``).
    formula : str
        Reduced formula.
    atoms : ase.Atoms
        Starting structure (primitive cell where possible).
    source : str
        ``known``, ``reference``, ``interphase``, ``discovered`` (predicted by prototype
        discovery) or ``ase``.
    citation : str
    """

    id: str
    formula: str
    atoms: Atoms
    source: str
    citation: str


def _records_in_system(records: Iterable[Any], system: set[str]) -> list[Any]:
    return [r for r in records if set(r.elements) <= system]


def _primitive_atoms(structure: Any) -> Atoms:
    from pymatgen.io.ase import AseAtomsAdaptor

    try:
        prim = structure.get_primitive_structure(tolerance=1e-3)
    except Exception:  # pymatgen symmetry failures: keep the conventional cell (still valid)
        prim = structure
    return Atoms(AseAtomsAdaptor.get_atoms(prim))


def _own_records() -> list[Any]:
    from alloyscreen.structures.known_phases import PhaseRecord

    text = resources.files(DATA_PACKAGE).joinpath(THERMO_PHASES_FILE).read_text(encoding="utf-8")
    return [
        PhaseRecord.from_dict(row, source=THERMO_PHASES_FILE) for row in json.loads(text)["phases"]
    ]


def thermo_phases(
    elements: Iterable[str],
    *,
    include_own: bool = True,
    include_ase_elements: bool = True,
    include_discovered: bool = True,
) -> list[ThermoPhase]:
    """Shipped structures in the chemical system Li + ``elements``.

    Known Li–M phases and elemental phases (issue-4 data), reference SEI/metal phases, this
    package's thermo phases (Li2S, Li3P starting structures) and ASE elemental references for
    elements ``ase.build.bulk`` can build (others, like S and Cl, are skipped: the
    grand-potential diagram does not need them, their Li compounds are its terminal phases).

    With ``include_discovered``, every element M without a known Li–M compound in the shipped
    data gets the shipped discovered Li–M phases instead (:func:`discovered_phases`); this is
    logged, and their ids start with :data:`PREDICTED_PREFIX`.
    """
    from alloyscreen.structures.known_phases import elemental_phases, known_phases
    from alloyscreen.structures.references import reference_phases

    system = {str(e) for e in elements} | {"Li"}
    out: list[ThermoPhase] = []
    seen: set[str] = set()
    groups = [
        ("known", known_phases()),
        ("known", elemental_phases()),
        ("reference", reference_phases()),
    ]
    if include_own:
        groups.append(("interphase", _own_records()))
    formulas_with_structure: set[str] = set()
    for source, records in groups:
        for rec in _records_in_system(records, system):
            if rec.id in seen:
                continue
            seen.add(rec.id)
            structure = rec.structure()
            formula = formula_key(structure.composition)
            formulas_with_structure.add(formula)
            out.append(
                ThermoPhase(rec.id, formula, _primitive_atoms(structure), source, rec.citation)
            )
    if include_discovered:
        for phase in discovered_phases(elements, out):
            out.append(phase)
            formulas_with_structure.add(phase.formula)
    if include_ase_elements:
        from ase.build import bulk

        for el in sorted(system):
            if el in formulas_with_structure:
                continue
            try:
                atoms = bulk(el)
            except (ValueError, KeyError, NotImplementedError, TypeError):
                logger.info("no ASE reference structure for %s; skipped in the phase diagram", el)
                continue
            out.append(
                ThermoPhase(
                    f"element:{el}",
                    el,
                    atoms,
                    "ase",
                    "ase.build.bulk reference state (ase.data.reference_states; Ashcroft and "
                    "Mermin / Kittel lattice constants)",
                )
            )
    return out


def discovered_phases(
    elements: Iterable[str], known: Sequence[ThermoPhase] = ()
) -> list[ThermoPhase]:
    """Shipped discovered Li–M phases for the elements M that have no known Li–M compound.

    ``known`` is the phase set so far; an element with a Li–M compound there (any source but
    ``ase``) gets none. Each phase's citation is its prediction label, calculator and the
    prototype's source.
    """
    from alloyscreen.structures.discovery import shipped_discovered

    out = []
    for el in sorted({str(e) for e in elements} - {"Li"}):
        has_known = any(set(Composition(p.formula).get_el_amt_dict()) == {"Li", el} for p in known)
        if has_known:
            continue
        found = shipped_discovered(el)
        if not found:
            continue
        logger.info(
            "no known Li-%s phase is shipped: using %d discovered (predicted) phases: %s",
            el,
            len(found),
            ", ".join(c.id for c in found),
        )
        for cand in found:
            prov = cand.provenance
            out.append(
                ThermoPhase(
                    PREDICTED_PREFIX + cand.id,
                    formula_key(cand.structure.composition),
                    _primitive_atoms(cand.structure),
                    "discovered",
                    f"{prov.get('label', 'predicted')}, relaxed with "
                    f"{prov.get('relaxed_with', '?')} (alloyscreen prototype discovery); "
                    f"prototype: {prov.get('prototype_source', '?')}",
                )
            )
    return out


def entries_from_results(results: Iterable[Any]) -> list[Any]:
    """Phase-diagram entries (pymatgen ``PDEntry``) from done relax results.

    ``results`` are objects with ``done``, ``candidate_id``, ``result`` (dict with
    ``energy_per_atom_eV``) and ``atoms`` (the store's ``StoredResult``); failed ones are
    skipped with a warning.
    """
    from pymatgen.analysis.phase_diagram import PDEntry

    entries = []
    for r in results:
        if not getattr(r, "done", False):
            logger.warning("relaxation of %s failed; left out of the phase diagram", r.candidate_id)
            continue
        atoms = r.atoms
        comp = Composition(atoms.get_chemical_formula())
        energy = float(r.result["energy_per_atom_eV"]) * comp.num_atoms
        name = str(r.candidate_id).removeprefix(TASK_PREFIX)
        entries.append(PDEntry(comp, energy, name=name))
    return entries


def li_chemical_potential(entries: Sequence[Any]) -> float:
    """Energy per atom of the lowest pure-Li entry (eV/atom): the Li-metal potential."""
    li = [e.energy_per_atom for e in entries if set(map(str, e.composition.elements)) == {"Li"}]
    if not li:
        raise InputError("the phase set has no Li metal entry; cannot fix the Li potential")
    return min(li)


def thermo_reaction(
    formula: str,
    entries: Sequence[Any],
    *,
    mu_li_eV: float | None = None,
    route: str = "thermo",
    source: str = "",
) -> ReductionReaction:
    """Equilibrium reduction products of one compound at the Li potential.

    Parameters
    ----------
    formula
        The compound (any formula unit; products are per formula unit as written).
    entries
        Phase-diagram entries (pymatgen ``PDEntry``/``ComputedEntry``) of the chemical system.
    mu_li_eV
        Li chemical potential (eV/atom); default: Li metal from the entries.
    route, source
        Labels stored in the reaction.

    Raises
    ------
    InputError
        An element of ``formula`` has no entry, or there is no Li metal entry.
    """
    from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram

    amounts = dict(parse_formula(formula).get_el_amt_dict())
    others = {el: n for el, n in amounts.items() if el != "Li"}
    if not others:
        return make_reaction(formula, {"Li": amounts.get("Li", 0.0)}, route=route, source=source)
    available = {str(el) for e in entries for el in e.composition.elements}
    missing = sorted(set(others) - available)
    if missing:
        raise InputError(
            f"the thermodynamic phase set has no phase with {', '.join(missing)}; add "
            "structures (known phases / candidate files) or use --route curated"
        )
    mu = li_chemical_potential(entries) if mu_li_eV is None else float(mu_li_eV)
    system = {Element(el) for el in others} | {Element("Li")}
    in_system = [e for e in entries if set(e.composition.elements) <= system]
    gppd = GrandPotentialPhaseDiagram(in_system, {Element("Li"): mu})
    decomposition = gppd.get_decomposition(Composition(others))
    n_other = sum(others.values())
    products: dict[str, float] = {}
    names: list[str] = []
    for gentry, frac in decomposition.items():
        if frac < 1e-10:
            continue
        original = gentry.original_entry
        rc = original.composition.reduced_composition
        n_other_e = sum(v for el, v in rc.get_el_amt_dict().items() if el != "Li")
        rf = formula_key(rc)
        products[rf] = products.get(rf, 0.0) + frac * n_other / n_other_e
        names.append(getattr(original, "name", rf))
    return make_reaction(
        formula,
        products,
        route=route,
        source=source or f"grand-potential phase diagram of {len(in_system)} entries",
        basis=f"equilibrium at mu_Li = {mu:.4f} eV/atom (Li metal)",
        citation="pymatgen GrandPotentialPhaseDiagram (S. P. Ong et al., Comput. Mater. Sci. "
        "68, 314 (2013), doi:10.1016/j.commatsci.2012.10.028)",
        notes=_predicted_note(names) + "products chosen among: " + ", ".join(
            sorted({formula_key(e.composition) for e in in_system})),
    )  # fmt: skip


def _predicted_note(names: Sequence[str]) -> str:
    """Sentence naming the predicted (discovered) products, or an empty string."""
    predicted = sorted({n.removeprefix(PREDICTED_PREFIX) for n in names
                        if str(n).startswith(PREDICTED_PREFIX)})  # fmt: skip
    if not predicted:
        return ""
    return (
        "PREDICTED product structure(s) from prototype discovery, no known phase shipped: "
        + ", ".join(predicted)
        + "; "
    )


def reduce_thermo(
    composition: str | ElectrolyteInput,
    entries: Sequence[Any],
    *,
    mu_li_eV: float | None = None,
    route: str = "thermo",
    source: str = "",
) -> ReductionResult:
    """Thermodynamic reduction products of a formula, doped formula or blend."""
    inp = parse_composition(composition) if isinstance(composition, str) else composition
    mu = li_chemical_potential(entries) if mu_li_eV is None else mu_li_eV
    reactions = [
        thermo_reaction(c.formula, entries, mu_li_eV=mu, route=route, source=source)
        for c in inp.components
    ]
    return combine(inp, reactions, route)


def materials_project_entries(elements: Iterable[str], api_key: str | None = None) -> list[Any]:
    """Materials Project entries of the chemical system Li + ``elements`` (``mp`` extra).

    Raises
    ------
    MissingExtraError
        ``mp-api`` is not installed.
    InputError
        No API key (``MP_API_KEY``), or the query failed.
    """
    import importlib.util
    import os

    from alloyscreen.errors import MissingExtraError

    if importlib.util.find_spec("mp_api") is None:
        raise MissingExtraError("mp-api", "mp", "the Materials Project route")
    if not (api_key or os.environ.get("MP_API_KEY")):  # checked before the slow mp-api import
        raise InputError(
            "the Materials Project route needs an API key: set the environment variable "
            "MP_API_KEY (get a key at https://next-gen.materialsproject.org/api) and rerun"
        )
    from alloyscreen.structures.materials_project import make_client

    system = sorted({str(e) for e in elements} | {"Li"})
    client = make_client(api_key)
    try:
        with client as mpr:
            entries = mpr.get_entries_in_chemsys(system)
    except (InputError, ImportError):
        raise
    except Exception as exc:  # mp-api raises requests/MPRestError subclasses
        raise InputError(
            f"Materials Project query for {'-'.join(system)} failed ({type(exc).__name__}: "
            f"{exc}); check network access and MP_API_KEY"
        ) from exc
    return list(entries)
