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

from alloyscreen.errors import InputError
from alloyscreen.ranking import RankedCandidate

__all__ = ["experimental_validation", "plot_validation", "wetting_ordinal_validation"]


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


def plot_validation(report: Any, path: str | Path) -> Path:
    """Computed descriptor vs experimental quantity of one validation report.

    Experimental values on x (their unit, log scale for diffusion coefficients), computed values
    on y (their own unit, linear: a barrier in eV is never drawn on a D axis). No y = x line: the
    axes hold different quantities; the test is the rank correlation in the report.
    """
    from alloyscreen.experiments.comparison import as_triples

    triples = [t for t in as_triples(report.pairs) if math.isfinite(t[1]) and math.isfinite(t[2])]
    if not triples:
        raise InputError("validation plot needs at least one pair with finite values")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 4.2), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    x = [t[2] for t in triples]
    y = [t[1] for t in triples]
    ax.scatter(x, y, color="tab:blue", zorder=3)
    for name, yy, xx in triples:
        ax.annotate(name, (xx, yy), textcoords="offset points", xytext=(5, 3), fontsize=8)
    if str(report.experimental_property).startswith("diffusion") and min(x) > 0:
        ax.set_xscale("log")
    ax.set_xlabel(f"experimental: {report.experimental_quantity}")
    ax.set_ylabel(f"computed: {_DESCRIPTOR_LABELS.get(report.descriptor, report.descriptor)}")
    ax.set_title(f"{report.descriptor} vs experiment (n = {report.n_matched})", fontsize=9)
    ax.grid(alpha=0.3)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


#: Axis labels (with units) of the computed descriptors in validation plots.
_DESCRIPTOR_LABELS = {
    "w_adh_J_m2": "W_ad with Li (J/m²)",
    "network_barrier_eV": "network barrier E* (eV)",
}
