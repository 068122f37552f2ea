"""Elemental reference structures for formation energies (ground-state phases at 0 K).

ASE's ``bulk(symbol)`` gives the experimental reference state of most metals (bcc Li, fcc Al,
hcp Mg/Zn/Cd, diamond Si/Ge, A7 Sb/Bi, bct In/Sn...) with tabulated lattice constants
(``ase.data.reference_states``, from Kittel, Introduction to Solid State Physics). Elements whose
reference state needs a basis ASE does not build (Ga, S, P, Cl, O, F, N) come from the shipped
known-phases data when it provides them.
"""

from __future__ import annotations

from ase import Atoms
from ase.build import bulk

from alloyscreen.errors import InputError


def elemental_reference(symbol: str) -> Atoms:
    """Reference structure of element ``symbol`` for formation energies.

    Raises
    ------
    InputError
        No reference structure is known for the element.
    """
    try:
        from alloyscreen.structures.known_phases import elemental_phase
    except ImportError:  # the known-phases module is optional for this lookup
        elemental_phase = None
    if elemental_phase is not None:
        atoms = elemental_phase(symbol)
        if atoms is not None:
            return atoms
    try:
        return bulk(symbol)
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise InputError(
            f"no elemental reference structure for {symbol} ({exc}); "
            "provide one in the candidate set (category 'element')"
        ) from exc
