"""Formula helpers shared by builders, results, tasks and the store (foundation layer)."""

from __future__ import annotations

from ase import Atoms
from pymatgen.core import Composition


def reduced_formula(atoms: Atoms) -> str:
    """Reduced formula in pymatgen's convention (``Li2S``, ``LiAl``; ``Li`` for bcc Li)."""
    if len(atoms) == 0:
        return ""
    return Composition(atoms.get_chemical_formula()).reduced_formula
