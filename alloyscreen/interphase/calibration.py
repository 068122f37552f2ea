"""Calibrate the percolation threshold against benign/detrimental observations.

Each observation is a composition tested against Li (asymmetric cells, or interphase growth
followed by XPS/impedance) and judged ``benign`` (self-limiting: SEI or MI-SEI) or
``detrimental`` (continuous Li consumption: MCI). With V_FM of each composition from the
reduction products:

* benign with metal: the metal did not percolate, so ``V_p > V_FM``;
* detrimental: the metal percolated, so ``V_p <= V_FM``.

The window of V_p consistent with all observations is therefore
``(max V_FM of benign, min V_FM of detrimental]``. If it is empty, the observations contradict
the percolation picture (or each other); the conflicting pairs are reported and no window is
given. A detrimental observation without metal (V_FM = 0) cannot be explained by electronic
percolation at all; it is reported as unexplained and does not bound the window. Benign
observations without metal bound nothing (any V_p is consistent).

Morphologies of the percolation engine are consistent with the window when V_p +- 2 sigma
overlaps it.

Observation CSV columns: ``composition``, ``outcome`` (benign|detrimental); optional ``evidence``,
``citation``, ``doi``, ``notes``. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alloyscreen.errors import InputError
from alloyscreen.interphase.coupling import Morphology, PercolationModel, default_model
from alloyscreen.interphase.products import ProductTable, load_product_table
from alloyscreen.interphase.reactions import ReactionTable, load_reaction_table, reduce_curated
from alloyscreen.interphase.volumes import interphase_volumes

logger = logging.getLogger(__name__)

OUTCOMES = ("benign", "detrimental")
REQUIRED_COLUMNS = ("composition", "outcome")


@dataclass(frozen=True)
class Observation:
    """One observation and the V_FM computed for it.

    Attributes
    ----------
    composition : str
    outcome : str
        ``benign`` or ``detrimental``.
    v_fm : float
        Metal volume fraction of its fully reduced interphase.
    evidence, citation, doi, notes : str
    line : int
        Line in the CSV file (0 when built in code).
    """

    composition: str
    outcome: str
    v_fm: float
    evidence: str = ""
    citation: str = ""
    doi: str = ""
    notes: str = ""
    line: int = 0


@dataclass(frozen=True)
class Contradiction:
    """A benign observation whose V_FM is not below that of a detrimental one."""

    benign: Observation
    detrimental: Observation

    def message(self) -> str:
        """Human-readable explanation."""
        return (
            f"{self.benign.composition} is benign at V_FM = {self.benign.v_fm:.4f} but "
            f"{self.detrimental.composition} is detrimental at V_FM = "
            f"{self.detrimental.v_fm:.4f}: no single V_p satisfies V_FM(benign) < V_p <= "
            "V_FM(detrimental)"
        )


@dataclass(frozen=True)
class MorphologyCheck:
    """Whether a morphology's V_p is consistent with the window."""

    morphology: Morphology
    v_p: float
    v_p_err: float
    consistent: bool


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of a calibration.

    Attributes
    ----------
    observations : tuple of Observation
    consistent : bool
        True when a non-empty window exists.
    v_p_min : float or None
        Exclusive lower bound of V_p (largest benign V_FM); 0 when no benign metal.
    v_p_max : float or None
        Inclusive upper bound (smallest detrimental V_FM); None (unbounded) when no
        detrimental observation with metal.
    contradictions : tuple of Contradiction
        Conflicting pairs (then no window is reported).
    unexplained : tuple of Observation
        Detrimental observations without metal.
    morphologies : tuple of MorphologyCheck
    """

    observations: tuple[Observation, ...]
    consistent: bool
    v_p_min: float | None
    v_p_max: float | None
    contradictions: tuple[Contradiction, ...]
    unexplained: tuple[Observation, ...]
    morphologies: tuple[MorphologyCheck, ...]

    @property
    def window(self) -> tuple[float, float | None] | None:
        """``(v_p_min, v_p_max)`` or None when the observations contradict each other."""
        if not self.consistent or self.v_p_min is None:
            return None
        return (self.v_p_min, self.v_p_max)

    def summary(self) -> dict[str, object]:
        """JSON-ready record."""
        return {
            "consistent": self.consistent,
            "window": None
            if self.window is None
            else {"v_p_min_exclusive": self.v_p_min, "v_p_max_inclusive": self.v_p_max},
            "contradictions": [c.message() for c in self.contradictions],
            "unexplained": [
                f"{o.composition} is detrimental without metal (V_FM = 0): not explained by "
                "electronic percolation"
                for o in self.unexplained
            ],
            "observations": [
                {
                    "composition": o.composition,
                    "outcome": o.outcome,
                    "v_fm": o.v_fm,
                    "evidence": o.evidence,
                    "citation": o.citation,
                    "doi": o.doi,
                }
                for o in self.observations
            ],
            "morphologies": [
                {
                    "morphology": m.morphology.label,
                    "aspect_ratio": m.morphology.aspect_ratio,
                    "size_ratio": m.morphology.size_ratio,
                    "distribution": m.morphology.distribution,
                    "v_p": m.v_p if math.isfinite(m.v_p) else None,
                    "v_p_err": m.v_p_err,
                    "consistent": m.consistent,
                }
                for m in self.morphologies
            ],
        }


def read_observations(path: str | Path) -> list[dict[str, str]]:
    """Rows of an observation CSV (comments skipped), validated for columns and outcomes.

    Raises
    ------
    InputError
        Missing file or columns, an unknown outcome, or no rows; messages name file and line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"observation file {p} does not exist") from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())]
    data = [(i, ln) for i, ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not data:
        raise InputError(f"{p}: no observations (need a header and rows)")
    reader = csv.DictReader([ln for _, ln in data])
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{p}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)} "
            "(optional: evidence, citation, doi, notes)"
        )
    rows = []
    for (line_no, _), row in zip(data[1:], reader, strict=True):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        outcome = row.get("outcome", "").lower()
        if outcome not in OUTCOMES:
            raise InputError(
                f"{p}, line {line_no}: outcome {row.get('outcome')!r} must be benign or detrimental"
            )
        if not row.get("composition"):
            raise InputError(f"{p}, line {line_no}: empty composition")
        row["outcome"] = outcome
        row["line"] = str(line_no)
        rows.append(row)
    if not rows:
        raise InputError(f"{p}: no observation rows after the header")
    return rows


def observations_from_rows(
    rows: Sequence[dict[str, str]],
    *,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
    source: str = "",
) -> list[Observation]:
    """Compute V_FM for each row (curated route)."""
    reactions = reactions or load_reaction_table()
    products = products or load_product_table()
    out = []
    for row in rows:
        try:
            vol = interphase_volumes(reduce_curated(row["composition"], reactions), products)
        except InputError as exc:
            where = f"{source}, line {row.get('line', '?')}" if source else "observation"
            raise InputError(f"{where} ({row['composition']}): {exc}") from None
        out.append(
            Observation(
                composition=row["composition"],
                outcome=row["outcome"],
                v_fm=vol.v_fm,
                evidence=row.get("evidence", ""),
                citation=row.get("citation", ""),
                doi=row.get("doi", ""),
                notes=row.get("notes", ""),
                line=int(row.get("line") or 0),
            )
        )
    return out


def calibrate(
    observations: Sequence[Observation],
    *,
    morphologies: Sequence[Morphology] | None = None,
    model: PercolationModel | None = None,
    zero_metal: float = 1e-12,
) -> CalibrationResult:
    """Window of V_p consistent with the observations and the consistent morphologies.

    Parameters
    ----------
    observations
        With V_FM computed (:func:`observations_from_rows`).
    morphologies
        Morphologies to check against the window (none checked when empty or None).
    model
        Percolation model for their V_p (default: the engine); only used when morphologies
        are given and a window exists.
    """
    obs = tuple(observations)
    if not obs:
        raise InputError("calibration needs at least one observation")
    benign = [o for o in obs if o.outcome == "benign"]
    detrimental = [o for o in obs if o.outcome == "detrimental"]
    unexplained = tuple(o for o in detrimental if o.v_fm <= zero_metal)
    bounding = [o for o in detrimental if o.v_fm > zero_metal]
    lo = max((o.v_fm for o in benign), default=0.0)
    hi = min((o.v_fm for o in bounding), default=None)
    contradictions = tuple(
        Contradiction(b, d)
        for b in benign
        for d in bounding
        if b.v_fm > zero_metal and b.v_fm >= d.v_fm
    )
    consistent = not contradictions and (hi is None or lo < hi)
    checks: list[MorphologyCheck] = []
    if consistent and morphologies:
        model = model or default_model()
        for m in morphologies:
            try:
                th = model.threshold(m)
            except InputError as exc:
                logger.warning("calibration: no V_p for %s (%s); skipped", m.label, exc)
                continue
            v_lo, v_hi = th.v_p - 2 * th.v_p_err, th.v_p + 2 * th.v_p_err
            ok = v_hi > lo and (hi is None or v_lo <= hi)
            checks.append(MorphologyCheck(m, th.v_p, th.v_p_err, ok))
    return CalibrationResult(
        observations=obs,
        consistent=consistent,
        v_p_min=lo if consistent else None,
        v_p_max=hi if consistent else None,
        contradictions=contradictions,
        unexplained=unexplained,
        morphologies=tuple(checks),
    )


def calibrate_file(
    path: str | Path,
    *,
    morphologies: Sequence[Morphology] | None = None,
    model: PercolationModel | None = None,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
) -> CalibrationResult:
    """Read an observation CSV and calibrate (see :func:`calibrate`)."""
    rows = read_observations(path)
    obs = observations_from_rows(rows, reactions=reactions, products=products, source=str(path))
    return calibrate(obs, morphologies=morphologies, model=model)
