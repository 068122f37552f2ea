"""A ranked shortlist against experiment: rank correlations of W_ad and barriers with the shipped
(and the user's) measurements, and ordinal agreement of predicted contact angles with stated
wetting. Systems are matched by reduced formula; when two candidates share a formula the first in
rank order is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alloyscreen.ranking import RankedCandidate

__all__ = ["experimental_validation", "wetting_ordinal_validation"]


def _by_formula(ranked: Sequence[RankedCandidate], name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in ranked:
        v = r.values.get(name)
        if v is not None and math.isfinite(v):
            out.setdefault(r.formula, float(v))
    return out


def experimental_validation(
    ranked: Sequence[RankedCandidate], reference_csvs: Sequence[str | Path] = ()
) -> list[Any]:
    """Compare computed W_ad and barriers with the shipped (plus user) experimental data.

    Systems are matched by reduced formula; when two candidates share a formula the first in
    rank order is used. Barriers are compared with measured diffusion coefficients with the
    expected sign -1 (higher barrier, slower diffusion).
    """
    from alloyscreen.experiments.comparison import diffusion_validation, wetting_validation
    from alloyscreen.experiments.reference_data import load_reference_data

    records = load_reference_data(list(reference_csvs))

    return [
        wetting_validation(_by_formula(ranked, "w_adh_J_m2"), records),
        diffusion_validation(
            _by_formula(ranked, "network_barrier_eV"),
            records,
            descriptor="network_barrier_eV",
            expected_sign=-1,
        ),
    ]


def wetting_ordinal_validation(
    ranked: Sequence[RankedCandidate], statement_csvs: Sequence[str | Path] = ()
) -> Any:
    """Predicted contact angles vs stated wetting classes (shipped statements, measured angles as
    classes, plus user statement files), first candidate per formula in rank order."""
    from alloyscreen.experiments.reference_data import load_contact_angles
    from alloyscreen.experiments.wetting_statements import (
        load_wetting_statements,
        ordinal_wetting_agreement,
        statements_from_angles,
    )

    statements = load_wetting_statements() + statements_from_angles(load_contact_angles())
    for p in statement_csvs:
        statements += load_wetting_statements(p)
    angles = _by_formula(ranked, "contact_angle_self_consistent_deg")
    return ordinal_wetting_agreement(angles, statements)
