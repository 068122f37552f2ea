"""The screening funnel: cheap filters first, full cost only for candidates that can still matter.

Declared in the workflow as ``[steps.funnel]`` (options below, defaults chosen conservatively:
the aim is the same top-ranked candidates as the full treatment). The campaign
(:func:`alloyscreen.campaign.run_campaign`) applies the stages in order:

1. **stability** — after the relaxations: candidates whose energy above the hull of the same
   calculator (:func:`alloyscreen.ranking.hull_energies`) exceeds ``max_e_hull_eV_atom`` get no
   adhesion and no migration. Candidates without a hull energy (no elemental references) pass.
2. **affinity** — adhesion runs with ``relax_best = relax_terminations``: every termination is
   screened by rigid single points (ideal work of separation of the unrelaxed interface) and only
   the best ``relax_terminations`` by the reported-termination rule (``selection``), plus every
   termination within ``relax_margin_J_m2`` of the best rigid value, are relaxed
   (:func:`alloyscreen.properties.adhesion.work_of_adhesion`). Optionally
   (``min_w_adh_J_m2``) candidates with a relaxed W_ad below a threshold get no migration.
3. **mobility** — CI-NEB only for candidates that could still reach the top ``protect_top`` of the
   ranking: with the descriptors known so far, a candidate's score without mobility is a lower
   bound of its final score and that plus the whole mobility weight an upper bound; a candidate
   whose upper bound is below the ``protect_top``-th largest lower bound cannot enter the top
   ``protect_top`` whatever its barrier, and is stopped.

Every stopped candidate stays in the ranking (its missing descriptors count as worst, status
``screened``) with the stage and the reason, stored as the ``funnel`` document of the store.
The decisions here are pure functions of descriptor values; the campaign runs the tasks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from alloyscreen.errors import InputError
from alloyscreen.ranking import DESCRIPTORS, CandidateDescriptors, parse_weights, rank_candidates

__all__ = [
    "FUNNEL_OPTIONS",
    "FunnelSettings",
    "StopDecision",
    "affinity_stage",
    "mobility_stage",
    "stability_stage",
]

#: Stage names in the order they are applied.
STAGES = ("stability", "affinity", "mobility")


@dataclass(frozen=True)
class FunnelSettings:
    """Options of ``[steps.funnel]``.

    Attributes
    ----------
    max_e_hull_eV_atom : float
        Stability stage: stop candidates above this energy above hull (eV/atom). Default 0.2,
        about three times the 90th percentile of DFT metastability of known crystals (67
        meV/atom; W. Sun et al., Sci. Adv. 2, e1600225 (2016), doi:10.1126/sciadv.1600225), so
        that only clearly unstable prototypes are stopped. A negative value switches the stage
        off.
    relax_terminations : int
        Affinity stage: terminations relaxed per candidate after the rigid screen of all of them
        (default 2; 0 relaxes every computed termination, i.e. no termination screen).
    relax_margin_J_m2 : float
        Affinity stage: also relax every termination whose rigid value (interface energy, or
        W_sep under ``max_w_adh``) is within this margin of the best rigid value (J/m^2). Default
        1.05: two terminations can swap order on relaxation only when their rigid gap is smaller
        than the difference of their relaxation shifts, and measured with CHGNet on the
        20-candidate subset of ``benchmarks/bench_throughput.py`` (44 terminations with a
        defined interface energy) the shift rigid minus relaxed interface energy ranged from
        -0.01 to +1.02 J/m^2 (median 0.10; open (111) faces that reconstruct shift most, e.g.
        LiSn-B32 (111) Sn 1.02, LiSi-B32 (111) Si 1.00). With margin 0 and 2 terminations, the
        screen dropped the reported termination of LiSn-B32 (rigid gap 0.41 J/m^2, W_ad off by
        0.57 J/m^2). Terminations that the rule can never report (no defined interface energy
        while another has one) are still screened out, which is most of the saving. When a
        relaxed termination moves by more than the margin, the screened ones that shift could
        promote are relaxed as well (:func:`alloyscreen.properties.adhesion.margin_rescue`).
    min_w_adh_J_m2 : float
        Affinity stage: candidates with a relaxed W_ad below this (J/m^2) get no migration
        (default 0: off, W_ad is >= 0 for every bound interface).
    protect_top : int
        Mobility stage: candidates that could still reach this many top ranks get CI-NEB
        (default 10, twice the top 5 that the funnel is checked against; 0 switches the stage off).
    """

    max_e_hull_eV_atom: float = 0.2
    relax_terminations: int = 2
    relax_margin_J_m2: float = 1.05
    min_w_adh_J_m2: float = 0.0
    protect_top: int = 10

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], where: str = "[steps.funnel]"
    ) -> FunnelSettings:
        """Validated settings; a bad value raises :class:`InputError` naming key and value."""
        unknown = sorted(set(options) - set(FUNNEL_OPTIONS))
        if unknown:
            raise InputError(
                f"{where}: unknown key(s) {', '.join(unknown)}; allowed: enabled, "
                f"{', '.join(FUNNEL_OPTIONS)}"
            )
        values: dict[str, Any] = {}
        for key in ("max_e_hull_eV_atom", "min_w_adh_J_m2", "relax_margin_J_m2"):
            if key in options:
                v = options[key]
                if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                    raise InputError(f"{where}: {key} = {v!r}: expected a finite number")
                values[key] = float(v)
        if values.get("relax_margin_J_m2", 0.0) < 0:
            raise InputError(
                f"{where}: relax_margin_J_m2 = {options['relax_margin_J_m2']!r}: expected >= 0"
            )
        for key in ("relax_terminations", "protect_top"):
            if key in options:
                v = options[key]
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise InputError(f"{where}: {key} = {v!r}: expected a whole number >= 0")
                values[key] = v
        return cls(**values)


#: The keys ``[steps.funnel]`` accepts (besides ``enabled``): the fields of FunnelSettings.
FUNNEL_OPTIONS: tuple[str, ...] = tuple(f.name for f in fields(FunnelSettings))


@dataclass(frozen=True)
class StopDecision:
    """A candidate stopped by the funnel: the stage it stopped at and why."""

    id: str
    stage: str
    reason: str

    def as_record(self) -> dict[str, str]:
        """JSON-ready ``{"stage", "reason"}``."""
        return {"stage": self.stage, "reason": self.reason}


def stability_stage(
    ids: Iterable[str], e_hull_eV_atom: Mapping[str, float], max_e_hull_eV_atom: float
) -> tuple[list[str], list[StopDecision]]:
    """Candidates passing the stability filter (input order) and those stopped.

    A candidate without a hull energy passes (nothing to judge it by). A negative threshold
    switches the stage off.
    """
    passed: list[str] = []
    stopped: list[StopDecision] = []
    for cid in ids:
        e = e_hull_eV_atom.get(cid)
        if max_e_hull_eV_atom >= 0 and e is not None and e > max_e_hull_eV_atom:
            stopped.append(
                StopDecision(
                    cid,
                    "stability",
                    f"E_hull = {e:.3f} eV/atom > {max_e_hull_eV_atom:g} eV/atom: "
                    "no adhesion, no migration",
                )
            )
        else:
            passed.append(cid)
    return passed, stopped


def affinity_stage(
    ids: Iterable[str], w_adh_J_m2: Mapping[str, float | None], min_w_adh_J_m2: float
) -> tuple[list[str], list[StopDecision]]:
    """Candidates whose relaxed W_ad reaches ``min_w_adh_J_m2`` (0: everyone passes).

    A candidate whose adhesion failed or was not computed passes (its migration is still
    informative); only a computed W_ad below the threshold stops it.
    """
    passed: list[str] = []
    stopped: list[StopDecision] = []
    for cid in ids:
        w = w_adh_J_m2.get(cid)
        if min_w_adh_J_m2 > 0 and w is not None and w < min_w_adh_J_m2:
            stopped.append(
                StopDecision(
                    cid,
                    "affinity",
                    f"W_ad = {w:.3f} J/m2 < {min_w_adh_J_m2:g} J/m2: no migration",
                )
            )
        else:
            passed.append(cid)
    return passed, stopped


def score_bounds(
    candidates: Sequence[CandidateDescriptors], weights: Mapping[str, float] | None = None
) -> dict[str, tuple[float, float]]:
    """``id -> (lower, upper)`` bounds of each candidate's final weighted score before migration.

    The lower bound scores mobility as worst (0), the upper bound as best (1); the other
    descriptors are scored as :func:`alloyscreen.ranking.rank_candidates` does.
    """
    w = parse_weights(weights)
    total = sum(w[d.group] for d in DESCRIPTORS if w.get(d.group, 0) > 0) or 1.0
    w_mob = w.get("mobility", 0.0)
    without = {**w, "mobility": 0.0}
    total_without = total - w_mob
    if total_without <= 0:
        return {c.id: (0.0, 1.0) for c in candidates}
    ranked = rank_candidates(candidates, without)
    return {
        r.id: (r.score * total_without / total, r.score * total_without / total + w_mob / total)
        for r in ranked
    }


def mobility_stage(
    ids: Iterable[str],
    candidates: Sequence[CandidateDescriptors],
    protect_top: int,
    weights: Mapping[str, float] | None = None,
) -> tuple[list[str], list[StopDecision]]:
    """Candidates (of ``ids``) that could still reach the top ``protect_top``; the others stopped.

    ``candidates`` are every ranked candidate's descriptors known before migration (the
    threshold is the ``protect_top``-th largest lower bound among all of them).
    """
    ids = list(ids)
    if protect_top <= 0:
        return ids, []
    bounds = score_bounds(candidates, weights)
    lowers = sorted((lo for lo, _ in bounds.values()), reverse=True)
    if len(lowers) < protect_top:
        return ids, []
    threshold = lowers[protect_top - 1]
    passed: list[str] = []
    stopped: list[StopDecision] = []
    for cid in ids:
        if cid not in bounds:
            passed.append(cid)
            continue
        upper = bounds[cid][1]
        if upper < threshold:
            stopped.append(
                StopDecision(
                    cid,
                    "mobility",
                    f"score <= {upper:.3f} even with the best barrier, below {threshold:.3f} "
                    f"(the {protect_top}th best score reached without one): no CI-NEB",
                )
            )
        else:
            passed.append(cid)
    return passed, stopped
