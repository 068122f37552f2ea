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
