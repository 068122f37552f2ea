"""Elemental reference relaxations of a campaign and the formation energies they give.

A campaign relaxes one elemental reference per element next to the candidates, stored under the
candidate id ``element:<symbol>``; formation energies (eV/atom) follow from those rows with the
same calculator. Shared by the campaign (which creates the rows) and the ranking (which reads
them back), so neither imports the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from alloyscreen.properties.bulk import formation_energy_per_atom
from alloyscreen.store import StoredResult

#: Candidate-id prefix of the elemental reference relaxations.
ELEMENT_PREFIX = "element:"

__all__ = ["ELEMENT_PREFIX", "formation_energies", "is_element_reference"]


def is_element_reference(candidate_id: str) -> bool:
    """True for the ids of elemental reference relaxations (``element:Li``)."""
    return candidate_id.startswith(ELEMENT_PREFIX)


def formation_energies(results: Sequence[StoredResult]) -> dict[str, float]:
    """Formation energy per atom (eV/atom) of each relaxed candidate with all references done."""
    refs = {
        r.candidate_id[len(ELEMENT_PREFIX) :]: r.result["energy_per_atom_eV"]
        for r in results
        if r.done and is_element_reference(r.candidate_id)
    }
    out: dict[str, float] = {}
    for r in results:
        if not r.done or is_element_reference(r.candidate_id):
            continue
        counts = Counter(r.atoms.get_chemical_symbols())
        if set(counts) <= set(refs):
            out[r.candidate_id] = formation_energy_per_atom(
                counts, r.result["energy_per_atom_eV"], refs
            )
    return out
