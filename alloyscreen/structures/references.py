"""Reference phases for Li affinity: non-alloying metals and ionic SEI phases.

Li-affinity rankings compare alloys against two classes of references: non-alloying metals
(Cu, Ni, Fe; category ``metal``) and the lithiophobic ionic phases an SEI is made of
(category ``sei``). The data (with a citation per row) is
``alloyscreen/structures/data/reference_phases.json``.
"""

from __future__ import annotations

from collections.abc import Iterable

from alloyscreen.errors import InputError
from alloyscreen.structures.candidates import Candidate
from alloyscreen.structures.known_phases import PhaseRecord, load_phase_table

REFERENCE_PHASES_FILE = "reference_phases.json"

#: Categories a reference phase can have.
REFERENCE_CATEGORIES = ("metal", "sei")


def reference_phases() -> tuple[PhaseRecord, ...]:
    """All shipped reference phases (metals first, then SEI phases, as in the data file)."""
    return load_phase_table(REFERENCE_PHASES_FILE, "phases")


def reference_candidates(categories: Iterable[str] = REFERENCE_CATEGORIES) -> list[Candidate]:
    """Reference phases of the given categories as candidates (source ``reference``).

    Raises
    ------
    InputError
        A category is not ``metal`` or ``sei``.
    """
    cats = tuple(categories)
    bad = [c for c in cats if c not in REFERENCE_CATEGORIES]
    if bad:
        raise InputError(
            f"unknown reference category {', '.join(bad)}; choose from "
            f"{', '.join(REFERENCE_CATEGORIES)}"
        )
    return [r.candidate(source="reference") for r in reference_phases() if r.category in cats]
