"""Symmetric vs asymmetric cell: would the symmetric test alone have misled?

DESIGN.md §1: symmetric Li|ISE|Li cells with thick foils only show rising polarization while Li is
being consumed (and a mixed-conducting interphase can even look better than an SEI there); an
asymmetric cell (thin vs thick Li) reveals the consumption as depletion of the thin side, with the
voltage jumping to the instrument limit.

Rule used here: the symmetric test was **misleading** when the asymmetric cell of the same
interphase depleted (Li is being consumed) while the symmetric cell did not fail (no depletion, no
soft short) within its test, whatever its polarization trend did: a stable trend looks benign and a
rising one cannot be told apart from a resistive but self-limiting SEI.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from alloyscreen.experiments.cells.analysis import LI_MAH_CM2_PER_UM, CellAnalysis


@dataclass(frozen=True)
class CellVerdict:
    """Outcome of :func:`compare_cells`.

    Attributes
    ----------
    symmetric_misleading
        True when the asymmetric cell depleted but the symmetric one did not fail.
    li_consumption_detected
        The asymmetric cell depleted its thin electrode.
    symmetric_reading, asymmetric_reading
        What each test shows on its own, in words.
    interphase_assessment
        ``"Li-consuming (detrimental, MCI-like)"``, ``"no Li consumption detected (SEI/MI-SEI-like)"``
        or ``"inconclusive"``.
    li_loss_rate_mAh_cm2_per_h
        Li lost from the thin electrode per hour up to its depletion (inventory balance), if any.
    predicted_symmetric_depletion_h
        Rough time at which the symmetric cell's foil would be used up at that rate (h), assuming
        a constant loss rate; None without depletion in the asymmetric cell.
    reasons
        The observations behind the verdict.
    """

    symmetric_misleading: bool
    li_consumption_detected: bool
    symmetric_reading: str
    asymmetric_reading: str
    interphase_assessment: str
    li_loss_rate_mAh_cm2_per_h: float | None
    predicted_symmetric_depletion_h: float | None
    reasons: tuple[str, ...]


def _reading(a: CellAnalysis) -> str:
    if a.depleted:
        return f"depleted at {a.depletion_time_h:.1f} h (cycle {a.depletion_cycle})"
    if a.soft_short:
        return f"soft short at {a.soft_short_time_h:.1f} h (cycle {a.soft_short_cycle})"
    trend = a.polarization_trend
    if trend.relative_change is None:
        return f"survived {a.duration_h:.0f} h; polarization trend: {trend.label}"
    return (
        f"survived {a.duration_h:.0f} h; polarization {trend.label} "
        f"({100 * trend.relative_change:+.0f} %)"
    )


def compare_cells(symmetric: CellAnalysis, asymmetric: CellAnalysis) -> CellVerdict:
    """Judge a symmetric and an asymmetric cell with the same interphase.

    Parameters
    ----------
    symmetric
        Analysis of the symmetric cell (thick Li on both sides).
    asymmetric
        Analysis of the asymmetric cell (thin working electrode vs thick Li).

    Returns
    -------
    CellVerdict
    """
    reasons: list[str] = []
    consumed = asymmetric.depleted
    sym_failed = symmetric.depleted or symmetric.soft_short
    misleading = consumed and not sym_failed
    sym_text, asym_text = _reading(symmetric), _reading(asymmetric)
    rate = predicted = None
    if consumed:
        reasons.append(f"asymmetric cell: {asym_text}: the thin electrode ran out of Li")
        if asymmetric.depletion_time_h and asymmetric.depletion_time_h > 0:
            q_t = asymmetric.protocol.thin_li_um * LI_MAH_CM2_PER_UM
            q_s = (asymmetric.last_strip_mAh or 0.0) / asymmetric.protocol.area_cm2
            rate = (q_t - q_s) / asymmetric.depletion_time_h
            if rate > 0:
                predicted = symmetric.protocol.thin_li_um * LI_MAH_CM2_PER_UM / rate
        assessment = "Li-consuming (detrimental, MCI-like)"
    elif asymmetric.soft_short:
        reasons.append(f"asymmetric cell: {asym_text}")
        assessment = "inconclusive"
    else:
        reasons.append(
            f"asymmetric cell: no depletion within {asymmetric.duration_h:.0f} h"
            + (
                f" (average CE >= {asymmetric.average_ce_lower_bound:.4f})"
                if asymmetric.average_ce_lower_bound is not None
                else ""
            )
        )
        assessment = "no Li consumption detected (SEI/MI-SEI-like)"
    reasons.append(f"symmetric cell: {sym_text}")
    if misleading:
        if symmetric.polarization_trend.label == "rising":
            reasons.append(
                "the symmetric cell only shows rising polarization, which a resistive but "
                "self-limiting SEI shows as well: it does not reveal the Li consumption"
            )
        else:
            reasons.append(
                "the symmetric cell looks stable although Li is being consumed: its thick foils "
                "hide the loss"
            )
        if predicted is not None:
            reasons.append(
                f"at the asymmetric cell's loss rate ({rate:.3g} mAh/cm2 per h) the symmetric "
                f"cell's {symmetric.protocol.thin_li_um:g} um foil would last about "
                f"{predicted:.0f} h; it ran {symmetric.duration_h:.0f} h"
            )
    elif consumed and sym_failed:
        reasons.append("both tests show failure: the symmetric test was not misleading here")
    elif sym_failed and not consumed:
        reasons.append(
            "the symmetric cell failed without Li depletion in the asymmetric cell: the failure is "
            "not from Li consumption (e.g. a short or contact loss)"
        )
    if not consumed and asymmetric.duration_h < symmetric.duration_h:
        reasons.append(
            "the asymmetric test ran shorter than the symmetric one; run it longer before "
            "concluding that no Li is consumed"
        )
    return CellVerdict(
        symmetric_misleading=misleading,
        li_consumption_detected=consumed,
        symmetric_reading=sym_text,
        asymmetric_reading=asym_text,
        interphase_assessment=assessment,
        li_loss_rate_mAh_cm2_per_h=rate,
        predicted_symmetric_depletion_h=predicted,
        reasons=tuple(reasons),
    )


@dataclass(frozen=True)
class ProtocolVerdict:
    """The asymmetric-cell protocol's verdict over one symmetric and several asymmetric cells.

    Attributes
    ----------
    outcome
        ``benign`` (no asymmetric cell depleted), ``detrimental`` (some thin electrode ran out of
        Li) or ``inconclusive`` (an asymmetric cell shorted without depleting, or none given).
    symmetric_misleading
        Li is consumed but the symmetric cell did not fail.
    verdict
        Paper-style sentence, e.g. ``"symmetric looks stable, asymmetric 20 um depleted at 37 h:
        detrimental; the symmetric test misleads"``.
    pairs
        ``(thin_li_um, CellVerdict)`` per asymmetric cell.
    notes
        Consistency checks (a thinner foil should deplete first; test durations).
    """

    outcome: str
    symmetric_misleading: bool
    verdict: str
    pairs: tuple[tuple[float, CellVerdict], ...]
    notes: tuple[str, ...]

    @property
    def label(self) -> str:
        """``"detrimental, symmetric misleading"``, ``"detrimental"``, ``"benign"`` or
        ``"inconclusive"``."""
        if self.outcome == "detrimental" and self.symmetric_misleading:
            return "detrimental, symmetric misleading"
        return self.outcome

    def record(self) -> dict[str, object]:
        """JSON-ready record."""
        return {
            "outcome": self.outcome,
            "label": self.label,
            "symmetric_misleading": self.symmetric_misleading,
            "verdict": self.verdict,
            "cells": [
                {
                    "thin_li_um": thin,
                    "symmetric_reading": v.symmetric_reading,
                    "asymmetric_reading": v.asymmetric_reading,
                    "li_consumption_detected": v.li_consumption_detected,
                    "interphase_assessment": v.interphase_assessment,
                    "li_loss_rate_mAh_cm2_per_h": v.li_loss_rate_mAh_cm2_per_h,
                    "predicted_symmetric_depletion_h": v.predicted_symmetric_depletion_h,
                    "reasons": list(v.reasons),
                }
                for thin, v in self.pairs
            ],
            "notes": list(self.notes),
        }


def _symmetric_phrase(symmetric: CellAnalysis) -> str:
    if symmetric.depleted:
        return f"symmetric depleted at {symmetric.depletion_time_h:.0f} h"
    if symmetric.soft_short:
        return f"symmetric soft-shorted at {symmetric.soft_short_time_h:.0f} h"
    trend = symmetric.polarization_trend.label
    if trend == "rising":
        return "symmetric shows only a rising polarization"
    return "symmetric looks stable"


def compare_protocol(
    symmetric: CellAnalysis | None, asymmetric: list[CellAnalysis] | tuple[CellAnalysis, ...]
) -> ProtocolVerdict:
    """Judge an interphase from a symmetric cell and one or more asymmetric cells (DESIGN.md §1).

    Detrimental when any thin electrode ran out of Li; benign when none did; the symmetric test
    misleads when Li is consumed but the symmetric cell did not fail. Without a symmetric cell
    (None) the verdict rests on the asymmetric cells alone.
    """
    from alloyscreen.errors import InputError

    if not asymmetric:
        raise InputError("the protocol needs at least one asymmetric cell (thin vs thick Li)")
    pairs = (
        ()
        if symmetric is None
        else tuple((a.protocol.thin_li_um, compare_cells(symmetric, a)) for a in asymmetric)
    )
    depleted = [(a.protocol.thin_li_um, a) for a in asymmetric if a.depleted]
    shorted = [a for a in asymmetric if a.soft_short and not a.depleted]
    sym_failed = symmetric is not None and (symmetric.depleted or symmetric.soft_short)
    misleading = bool(depleted) and symmetric is not None and not sym_failed
    notes: list[str] = []
    sym = "no symmetric cell" if symmetric is None else _symmetric_phrase(symmetric)
    if depleted:
        outcome = "detrimental"
        parts = ", ".join(
            f"{thin:g} um depleted at {a.depletion_time_h:.0f} h"
            for thin, a in sorted(depleted, key=lambda p: p[0])
        )
        verdict = f"{sym}, asymmetric {parts}: detrimental"
        verdict += "; the symmetric test misleads" if misleading else ""
        ordered = sorted(depleted, key=lambda p: p[0])
        for (t1, a1), (t2, a2) in pairwise(ordered):
            if t1 < t2 and a1.depletion_time_h > a2.depletion_time_h:
                notes.append(
                    f"the {t1:g} um cell depleted after the {t2:g} um one: a thinner foil should "
                    "deplete first; check the foil thicknesses"
                )
        for a in asymmetric:
            if not a.depleted and a.duration_h < max(x.depletion_time_h for _, x in depleted):
                notes.append(
                    f"the {a.protocol.thin_li_um:g} um cell ended at {a.duration_h:.0f} h, before "
                    "the others depleted"
                )
    elif shorted:
        outcome = "inconclusive"
        verdict = f"{sym}; an asymmetric cell soft-shorted without depleting: inconclusive"
    else:
        outcome = "benign"
        hours = min(a.duration_h for a in asymmetric)
        verdict = f"{sym}, asymmetric cells survived {hours:.0f} h without depletion: benign"
        if symmetric is not None and hours < symmetric.duration_h:
            notes.append(
                "the asymmetric tests ran shorter than the symmetric one; run them longer before "
                "concluding that no Li is consumed"
            )
    return ProtocolVerdict(outcome, misleading, verdict, pairs, tuple(notes))
