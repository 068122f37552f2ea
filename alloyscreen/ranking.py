"""Multi-criteria ranking of screened candidates: Pareto front and weighted score.

Descriptors and their direction (what "better" means):

================  ===========================  =========  ===============================
group             descriptor                   better     from
================  ===========================  =========  ===============================
affinity          ``w_adh_J_m2``               higher     adhesion (Li/substrate W_ad)
mobility          ``network_barrier_eV``       lower      migration (percolating CI-NEB)
safety            ``percolation_margin``       higher     interphase design (V_p - V_FM)
stability         ``e_above_hull_eV_atom``     lower      relax (hull of the same calculator)
================  ===========================  =========  ===============================

Safety: V_p is the upper bound of the observed V_p window of the host's interphase metal when
shipped observations bound it (the smallest V_FM observed detrimental, e.g. the LPSC:LGPS 4:1
interphase of Su, Fu et al. 2025), else the morphology model's V_p (the campaign's interphase
step decides; :func:`alloyscreen.interphase.design.alloy_margins`).

Default weights 0.35 / 0.35 / 0.15 / 0.15: Li affinity and Li mobility are the two screening
descriptors the perspective behind this project asks for; safety and stability break ties.

Scoring: each descriptor is min-max normalised over the candidates that have it (1 = best);
a missing or failed descriptor counts as 0 (worst) and is flagged, so incomplete candidates are
shown, never silently dropped or favoured. The Pareto front is computed over candidates having
every descriptor with non-zero weight; the others get ``pareto = None`` (unknown).

``descriptors_from_store`` reads a results store; ``rank_candidates`` is pure.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Descriptor:
    """A ranking criterion."""

    name: str
    group: str
    label: str
    direction: int  # +1: higher is better, -1: lower is better
    task: str


DESCRIPTORS: tuple[Descriptor, ...] = (
    Descriptor("w_adh_J_m2", "affinity", "W_ad with Li (J/m²)", +1, "adhesion"),
    Descriptor("network_barrier_eV", "mobility", "Li network barrier (eV)", -1, "migration"),
    Descriptor("percolation_margin", "safety", "percolation margin V_p − V_FM", +1, "interphase"),
    Descriptor("e_above_hull_eV_atom", "stability", "E above hull (eV/atom)", -1, "relax"),
)
DEFAULT_WEIGHTS: dict[str, float] = {
    "affinity": 0.35,
    "mobility": 0.35,
    "safety": 0.15,
    "stability": 0.15,
}

#: Reported alongside the scored descriptors (not scored).
EXTRA_FIELDS = (
    "interface_energy_J_m2",
    "contact_angle_self_consistent_deg",
    "predicted_contact_angle_deg",
    "D_298K_cm2_s",
    "formation_energy_eV_atom",
    "network_dimensionality",
)


@dataclass(frozen=True)
class CandidateDescriptors:
    """Descriptor values of one candidate.

    ``status[name]`` is ``ok``, ``missing`` (not computed) or ``failed`` (computed, failed; the
    reason is in ``errors[name]``).
    """

    id: str
    formula: str
    category: str
    values: Mapping[str, float | None]
    status: Mapping[str, str]
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedCandidate:
    """A row of the shortlist."""

    rank: int
    id: str
    formula: str
    category: str
    score: float
    pareto: bool | None
    complete: bool
    values: Mapping[str, float | None]
    normalised: Mapping[str, float]
    status: Mapping[str, str]
    errors: Mapping[str, str]

    def as_record(self) -> dict[str, Any]:
        """Flat JSON-ready record: rank, id, formula, score, pareto and every descriptor."""
        rec: dict[str, Any] = {
            "rank": self.rank,
            "id": self.id,
            "formula": self.formula,
            "category": self.category,
            "score": round(self.score, 4),
            "pareto": self.pareto,
            "complete": self.complete,
        }
        for name, value in self.values.items():
            rec[name] = value
        for name, st in self.status.items():
            rec[f"{name}_status"] = st
        if "funnel" in self.errors:
            rec["funnel"] = self.errors["funnel"]
        if self.errors:
            rec["errors"] = dict(self.errors)
        return rec


def parse_weights(text: str | Mapping[str, float] | None) -> dict[str, float]:
    """Weights by group (``affinity=0.5,mobility=0.3``) or descriptor name; others keep defaults.

    Raises
    ------
    InputError
        Unknown name, negative or non-numeric weight, or all weights zero.
    """
    weights = dict(DEFAULT_WEIGHTS)
    if not text:
        return weights
    items = (
        text.items()
        if isinstance(text, Mapping)
        else (
            part.split("=", 1) if "=" in part else (part, "")
            for part in str(text).split(",")
            if part.strip()
        )
    )
    by_name = {d.name: d.group for d in DESCRIPTORS}
    for key, value in items:
        key = str(key).strip()
        group = by_name.get(key, key)
        if group not in weights:
            raise InputError(
                f"unknown weight '{key}'; use groups {', '.join(DEFAULT_WEIGHTS)} "
                f"or descriptors {', '.join(by_name)} (e.g. --weights affinity=0.5,mobility=0.5)"
            )
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise InputError(f"weight '{key}={value}' is not a number") from None
        if w < 0 or not math.isfinite(w):
            raise InputError(f"weight '{key}' must be >= 0, got {value}")
        weights[group] = w
    if sum(weights.values()) <= 0:
        raise InputError("all weights are zero; give at least one positive weight")
    return weights


def _normalise(values: Mapping[str, float], direction: int) -> dict[str, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    if hi - lo < 1e-12:
        return dict.fromkeys(values, 1.0)
    return {
        k: ((v - lo) / (hi - lo) if direction > 0 else (hi - v) / (hi - lo))
        for k, v in values.items()
    }


def pareto_front(points: Mapping[str, Sequence[float]]) -> set[str]:
    """Ids not dominated by any other (all objectives to be maximised)."""
    front = set()
    for a, pa in points.items():
        dominated = False
        for b, pb in points.items():
            if a == b:
                continue
            if all(x >= y for x, y in zip(pb, pa, strict=True)) and any(
                x > y for x, y in zip(pb, pa, strict=True)
            ):
                dominated = True
                break
        if not dominated:
            front.add(a)
    return front


def rank_candidates(
    candidates: Sequence[CandidateDescriptors],
    weights: Mapping[str, float] | None = None,
    *,
    categories: Iterable[str] | None = None,
) -> list[RankedCandidate]:
    """Score and rank ``candidates`` (pure; see module docstring for the rules).

    Parameters
    ----------
    candidates : sequence of CandidateDescriptors
    weights : mapping, optional
        Weights by group (defaults :data:`DEFAULT_WEIGHTS`).
    categories : iterable of str, optional
        Only rank these categories (e.g. ``("alloy",)``); default all.
    """
    weights = parse_weights(weights)
    chosen = [c for c in candidates if categories is None or c.category in set(categories)]
    active = [d for d in DESCRIPTORS if weights.get(d.group, 0) > 0]
    norm: dict[str, dict[str, float]] = {}
    for d in active:
        vals = {c.id: float(c.values[d.name]) for c in chosen if _ok(c, d.name)}
        norm[d.name] = _normalise(vals, d.direction)
    total = sum(weights[d.group] for d in active) or 1.0
    complete = {c.id: all(_ok(c, d.name) for d in active) for c in chosen}
    points = {
        c.id: [d.direction * float(c.values[d.name]) for d in active]
        for c in chosen
        if complete[c.id]
    }
    front = pareto_front(points) if points else set()
    scored = []
    for c in chosen:
        score = sum(weights[d.group] * norm[d.name].get(c.id, 0.0) for d in active) / total
        scored.append((c, score))
    scored.sort(key=lambda cs: (-cs[1], not complete[cs[0].id], cs[0].id))
    out = []
    for rank, (c, score) in enumerate(scored, start=1):
        out.append(
            RankedCandidate(
                rank=rank,
                id=c.id,
                formula=c.formula,
                category=c.category,
                score=score,
                pareto=(c.id in front) if complete[c.id] else None,
                complete=complete[c.id],
                values=dict(c.values),
                normalised={d.name: norm[d.name].get(c.id, 0.0) for d in active},
                status=dict(c.status),
                errors=dict(c.errors),
            )
        )
    return out


def _ok(c: CandidateDescriptors, name: str) -> bool:
    v = c.values.get(name)
    return c.status.get(name) == "ok" and v is not None and math.isfinite(float(v))


# ----------------------------------------------------------------------------------------------
# reading the store
# ----------------------------------------------------------------------------------------------


def _newest(rows: Iterable[Any]) -> dict[str, Any]:
    by_id: dict[str, Any] = {}
    for r in rows:
        if r.candidate_id not in by_id or r.row_id > by_id[r.candidate_id].row_id:
            by_id[r.candidate_id] = r
    return by_id


def default_calculator(store: Any) -> str | None:
    """The calculator with the most stored relaxations (or any rows), for single-model stores."""
    counts = Counter(r.calculator.get("name") for r in store.rows(kind="relax"))
    if not counts:
        counts = Counter(r.calculator.get("name") for r in store.rows())
    return counts.most_common(1)[0][0] if counts else None


def hull_energies(relax_rows: Sequence[Any]) -> dict[str, float]:
    """Energy above the convex hull (eV/atom) of every done relaxation, from these rows only.

    The hull is built from the same calculator's relaxations (elemental references included), so
    systematic errors of the model largely cancel. Chemical systems lacking an elemental
    reference are left out.
    """
    from pymatgen.analysis.phase_diagram import PhaseDiagram
    from pymatgen.core import Composition
    from pymatgen.entries.computed_entries import ComputedEntry

    entries = []
    for r in relax_rows:
        if r.done and r.result and r.result.get("energy_eV") is not None:
            comp = Composition(r.atoms.get_chemical_formula())
            entries.append(
                ComputedEntry(comp, float(r.result["energy_eV"]), entry_id=r.candidate_id)
            )
    elements = {e.composition.elements[0] for e in entries if e.composition.is_element}
    out: dict[str, float] = {}
    by_system: dict[frozenset, list] = {}
    for e in entries:
        by_system.setdefault(frozenset(e.composition.elements), []).append(e)
    for system in by_system:
        if not system <= elements:
            continue
        pool = [e for e in entries if set(e.composition.elements) <= system]
        pd = PhaseDiagram(pool, elements=sorted(system))
        for e in by_system[system]:
            out[e.entry_id] = float(pd.get_e_above_hull(e, allow_negative=True))
    return out


def descriptors_from_store(
    store: Any,
    *,
    calculator: str | None = None,
    margins: Mapping[str, float] | None = None,
    funnel: Mapping[str, Mapping[str, str]] | None = None,
) -> list[CandidateDescriptors]:
    """Collect every candidate's descriptors from a results store.

    Parameters
    ----------
    store : ResultStore
    calculator : str, optional
        Only rows of this calculator (default: the one with most relaxations).
    margins : mapping, optional
        ``candidate id -> percolation margin`` from an interphase design (else ``missing``).
    funnel : mapping, optional
        ``candidate id -> {"stage", "reason"}`` of the candidates the screening funnel stopped
        (:mod:`alloyscreen.funnel`): their missing adhesion/migration descriptors get the status
        ``screened`` (still scored as worst) and ``errors["funnel"]`` says where and why.
    """
    calculator = calculator or default_calculator(store)
    rows = {
        kind: list(store.rows(kind=kind, calculator=calculator))
        for kind in ("relax", "adhesion", "migration")
    }
    relax = _newest(rows["relax"])
    adhesion = _newest(rows["adhesion"])
    migration = _newest(rows["migration"])
    hull = hull_energies(list(relax.values()))
    from alloyscreen.element_references import ELEMENT_PREFIX, formation_energies

    formation = formation_energies(list(relax.values()))
    ids = list(dict.fromkeys([*relax, *adhesion, *migration]))
    out = []
    for cid in ids:
        if cid.startswith(ELEMENT_PREFIX):
            continue
        values: dict[str, float | None] = {}
        status: dict[str, str] = {}
        errors: dict[str, str] = {}
        any_row = relax.get(cid) or adhesion.get(cid) or migration.get(cid)
        meta = any_row.meta
        formula = meta.get("formula") or any_row.formula
        for row, name in (
            (adhesion.get(cid), "w_adh_J_m2"),
            (adhesion.get(cid), "interface_energy_J_m2"),
            (adhesion.get(cid), "contact_angle_self_consistent_deg"),
            (adhesion.get(cid), "predicted_contact_angle_deg"),
            (migration.get(cid), "network_barrier_eV"),
            (migration.get(cid), "D_298K_cm2_s"),
            (migration.get(cid), "network_dimensionality"),
        ):
            values[name], status[name], error = _field(row, name)
            if error:
                errors[name] = error
        r = relax.get(cid)
        values["e_above_hull_eV_atom"] = hull.get(cid)
        values["formation_energy_eV_atom"] = formation.get(cid)
        if r is not None and r.done:
            if cid not in formation:
                errors["e_above_hull_eV_atom"] = (
                    "no elemental references in the store for this system"
                )
        elif r is not None:
            errors["e_above_hull_eV_atom"] = "relaxation failed"
        for name in ("e_above_hull_eV_atom", "formation_energy_eV_atom"):
            status[name] = (
                "ok"
                if values[name] is not None
                else ("failed" if r is not None and not r.done else "missing")
            )
        if margins is not None and cid in margins and margins[cid] is not None:
            values["percolation_margin"], status["percolation_margin"] = float(margins[cid]), "ok"
        else:
            values["percolation_margin"], status["percolation_margin"] = None, "missing"
        stop = (funnel or {}).get(cid)
        if stop:
            errors["funnel"] = f"stopped at {stop.get('stage')}: {stop.get('reason')}"
            for name in (
                "w_adh_J_m2",
                "interface_energy_J_m2",
                "contact_angle_self_consistent_deg",
                "predicted_contact_angle_deg",
                "network_barrier_eV",
                "D_298K_cm2_s",
                "network_dimensionality",
            ):
                if status.get(name) == "missing":
                    status[name] = "screened"
        out.append(
            CandidateDescriptors(
                id=cid,
                formula=formula,
                category=meta.get("category", "other"),
                values=values,
                status=status,
                errors=errors,
            )
        )
    return out


def mixing_note(ranked: Sequence[RankedCandidate]) -> str | None:
    """A sentence naming the candidates whose reported face has a negative interface energy.

    ``interface_energy_J_m2`` < 0 against Li metal (Li-rich limit): Li and that face would rather
    mix than keep a sharp interface, so W_ad includes the mixing. ``None`` when there is none.
    """
    mixing = [
        (r.id, g)
        for r in ranked
        if (g := r.values.get("interface_energy_J_m2")) is not None and g < 0
    ]
    if not mixing:
        return None
    return (
        "Negative interface energy against Li metal (γ_int, Li-rich limit) on the reported "
        "face: " + ", ".join(f"{cid} ({g:.2f} J/m²)" for cid, g in mixing) + ". Li and "
        "that face would rather mix than keep a sharp interface, so their W_ad includes "
        "that mixing (for a Li alloy: a driving force for further lithiation), not wetting "
        "alone; the more negative, the less W_ad compares with metals that stay separate."
    )


def _field(row: Any, name: str) -> tuple[float | None, str, str | None]:
    """(value, status, error) of result field ``name`` of a stored row (or its absence)."""
    if row is None:
        return None, "missing", None
    if not row.done:
        return None, "failed", (row.error or "failed").splitlines()[0]
    value = (row.result or {}).get(name)
    if value is None:
        return None, "missing", None
    return float(value), "ok", None
