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

Observation CSV columns: ``composition``, ``outcome`` (benign|detrimental); optional
``evidence_kind`` (``asymmetric_cell`` > ``symmetric_cell`` > ``xps_eis``, see
:data:`EVIDENCE_RANK`), ``evidence``, ``citation``, ``doi``, ``notes``. Lines starting with ``#``
are comments.

Windows are per metal: the bound that Li-Ge alloy in a sulfide interphase puts on V_p says nothing
about In from a halide. :func:`calibrate_by_metal` groups the observations by the metallic
products of their interphase and calibrates each group; :func:`calibrated_verdict` then classifies
a composition against the window of its metal (``classification_basis = "observations"``):
at or below a V_FM observed benign -> MI-SEI, at or above a V_FM observed detrimental -> MCI,
inside the window -> ``untested`` ("run an asymmetric cell"). When two observations contradict
each other and their evidence differs in rank, the lower-ranked one is overruled (and reported);
contradictions between equally ranked evidence leave the metal without a window (reported).

The package ships the observations of ``data/observations.csv`` (:func:`shipped_observations`):
the four results of Su, Fu et al., EES Batteries 1, 242 (2025), doi:10.1039/d5eb00024f (asymmetric
cells) and the in situ XPS/impedance rows of Wenzel et al. and Riegger et al.
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
from alloyscreen.interphase.volumes import InterphaseVolumes, interphase_volumes

logger = logging.getLogger(__name__)

OUTCOMES = ("benign", "detrimental")
REQUIRED_COLUMNS = ("composition", "outcome")
#: Rank of the evidence kinds (DESIGN.md section 1: the asymmetric cell reveals Li consumption,
#: the symmetric cell can mislead, XPS/impedance shows products and resistance growth).
EVIDENCE_RANK = {"asymmetric_cell": 3, "symmetric_cell": 2, "xps_eis": 1, "": 0}
SHIPPED_OBSERVATIONS = "observations.csv"
#: Classification of a composition inside its metal's V_p window.
UNTESTED = "untested"
UNTESTED_ADVICE = "untested: run an asymmetric cell"


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
    evidence_kind : str
        ``asymmetric_cell``, ``symmetric_cell``, ``xps_eis`` or empty (unspecified).
    metals : tuple of str
        Metallic products of the interphase (reduced formulas, sorted): the metal this
        observation bounds V_p for.
    label : str
        Canonical form of the composition (matches :attr:`InterphaseAssessment.label`).
    source : str
        File the row came from.
    """

    composition: str
    outcome: str
    v_fm: float
    evidence: str = ""
    citation: str = ""
    doi: str = ""
    notes: str = ""
    line: int = 0
    evidence_kind: str = ""
    metals: tuple[str, ...] = ()
    label: str = ""
    source: str = ""

    @property
    def rank(self) -> int:
        """Rank of the evidence (:data:`EVIDENCE_RANK`)."""
        return EVIDENCE_RANK.get(self.evidence_kind, 0)

    def record(self) -> dict[str, object]:
        """JSON-ready record."""
        return {
            "composition": self.composition,
            "outcome": self.outcome,
            "v_fm": self.v_fm,
            "metals": list(self.metals),
            "evidence_kind": self.evidence_kind,
            "evidence": self.evidence,
            "citation": self.citation,
            "doi": self.doi,
            "source": self.source,
        }


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
    overruled : tuple of Contradiction
        Conflicting pairs resolved by the rank of the evidence (the lower-ranked observation of
        each pair was left out of the window).
    """

    observations: tuple[Observation, ...]
    consistent: bool
    v_p_min: float | None
    v_p_max: float | None
    contradictions: tuple[Contradiction, ...]
    unexplained: tuple[Observation, ...]
    morphologies: tuple[MorphologyCheck, ...]
    overruled: tuple[Contradiction, ...] = ()

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
            "overruled": [_overruled_text(c) for c in self.overruled],
            "unexplained": [
                f"{o.composition} is detrimental without metal (V_FM = 0): not explained by "
                "electronic percolation"
                for o in self.unexplained
            ],
            "observations": [o.record() for o in self.observations],
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


def _overruled_text(c: Contradiction) -> str:
    if c.benign.rank > c.detrimental.rank:
        kept = f"{c.benign.evidence_kind or 'unspecified'} benign kept"
    else:
        kept = f"{c.detrimental.evidence_kind or 'unspecified'} detrimental kept"
    return f"{c.message()} (resolved by the rank of the evidence: {kept})"


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
        kind = row.get("evidence_kind", "").lower()
        if kind not in EVIDENCE_RANK:
            known = ", ".join(k for k in EVIDENCE_RANK if k)
            raise InputError(
                f"{p}, line {line_no}: evidence_kind {row.get('evidence_kind')!r} unknown; use "
                f"{known} or leave it empty"
            )
        row["evidence_kind"] = kind
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
                evidence_kind=row.get("evidence_kind", ""),
                metals=metal_key(vol),
                label=vol.reduction.label,
                source=source,
            )
        )
    return out


def metal_key(volumes: InterphaseVolumes) -> tuple[str, ...]:
    """Metallic products of an interphase (sorted reduced formulas): the metal of a window."""
    return tuple(sorted({p.formula for p in volumes.products if p.metallic and p.moles > 0}))


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
    active = list(obs)
    overruled: list[Contradiction] = []
    while True:
        benign = [o for o in active if o.outcome == "benign"]
        detrimental = [o for o in active if o.outcome == "detrimental"]
        unexplained = tuple(o for o in detrimental if o.v_fm <= zero_metal)
        bounding = [o for o in detrimental if o.v_fm > zero_metal]
        contradictions = tuple(
            Contradiction(b, d)
            for b in benign
            for d in bounding
            if b.v_fm > zero_metal and b.v_fm >= d.v_fm
        )
        ranked = [c for c in contradictions if c.benign.rank != c.detrimental.rank]
        if not ranked:
            break
        # drop the weakest evidence first: the conflict with the lowest-ranked observation
        c = min(ranked, key=lambda c: min(c.benign.rank, c.detrimental.rank))
        loser = c.benign if c.benign.rank < c.detrimental.rank else c.detrimental
        overruled.extend(x for x in contradictions if loser in (x.benign, x.detrimental))
        active = [o for o in active if o is not loser]
    lo = max((o.v_fm for o in benign), default=0.0)
    hi = min((o.v_fm for o in bounding), default=None)
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
        overruled=tuple(overruled),
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


# --------------------------------------------------------------------------------------------
# Shipped observations, windows per metal, calibrated verdicts


def _shipped_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("alloyscreen.interphase.data").joinpath(SHIPPED_OBSERVATIONS)))


def load_observations(
    files: Sequence[str | Path] = (),
    *,
    shipped: bool = True,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
) -> list[Observation]:
    """The shipped observations (unless ``shipped`` is False) followed by those of ``files``.

    Raises
    ------
    InputError
        A file is missing or malformed, or a composition has no reduction products.
    """
    reactions = reactions or load_reaction_table()
    products = products or load_product_table()
    paths = ([_shipped_path()] if shipped else []) + [Path(f) for f in files]
    out: list[Observation] = []
    for path in paths:
        rows = read_observations(path)
        source = SHIPPED_OBSERVATIONS if shipped and path == paths[0] else str(path)
        out.extend(
            observations_from_rows(rows, reactions=reactions, products=products, source=source)
        )
    return out


def shipped_observations(
    reactions: ReactionTable | None = None, products: ProductTable | None = None
) -> list[Observation]:
    """The package's cited observations (``data/observations.csv``)."""
    return load_observations((), shipped=True, reactions=reactions, products=products)


def calibrate_by_metal(
    observations: Sequence[Observation],
) -> dict[tuple[str, ...], CalibrationResult]:
    """One calibration per metal (observations grouped by the metallic products of their
    interphase). Observations without metal bound no metal's V_p and are left out."""
    groups: dict[tuple[str, ...], list[Observation]] = {}
    for o in observations:
        if o.metals:
            groups.setdefault(o.metals, []).append(o)
    return {metals: calibrate(obs) for metals, obs in groups.items()}


def representative_v_p(window: tuple[float, float | None], model_v_p: float | None = None) -> float:
    """One V_p inside a window, for quantities that need a number (the GEM conductivity of the
    growth law): the geometric mean of the bounds; ``hi / 2`` when nothing benign with metal
    bounds it from below; the model's V_p (or ``2 lo``) when nothing bounds it from above.
    A model choice, used only where a single value is unavoidable."""
    lo, hi = window
    if hi is None:
        return float(model_v_p) if model_v_p is not None and model_v_p > lo else 2.0 * lo
    if lo <= 0:
        return 0.5 * hi
    return math.sqrt(lo * hi)


@dataclass(frozen=True)
class CalibratedVerdict:
    """Classification of a composition from the observations of its metal.

    Attributes
    ----------
    classification : str
        ``SEI``, ``MI-SEI``, ``MCI``, ``untested`` (inside the window) or, without observations
        for this metal, the morphology model's class.
    basis : str
        ``observations`` or ``morphology model``.
    v_p_window : tuple or None
        ``(low_exclusive, high_inclusive or None)`` of this metal, None without a window.
    metals : tuple of str
    model_classification : str
        The morphology model's class (reported beside).
    advice : str
        What to do next (``untested: run an asymmetric cell`` inside the window).
    observed : tuple of Observation
        Observations of this very composition.
    contradictions, overruled : tuple of str
        Conflicts among the observations of this metal (unresolved / resolved by evidence rank).
    """

    classification: str
    basis: str
    v_p_window: tuple[float, float | None] | None
    metals: tuple[str, ...]
    model_classification: str
    advice: str = ""
    observed: tuple[Observation, ...] = ()
    contradictions: tuple[str, ...] = ()
    overruled: tuple[str, ...] = ()
    window_observations: tuple[Observation, ...] = ()

    def record(self) -> dict[str, object]:
        """The JSON keys added to ``interphase --json``."""
        return {
            "classification": self.classification,
            "classification_basis": self.basis,
            "v_p_window": None if self.v_p_window is None else list(self.v_p_window),
            "model_classification": self.model_classification,
            "observation_metals": list(self.metals),
            "advice": self.advice,
            "observed": [o.record() for o in self.observed],
            "window_observations": [o.record() for o in self.window_observations],
            "observation_contradictions": list(self.contradictions),
            "observations_overruled": list(self.overruled),
        }


def _window_class(v_fm: float, window: tuple[float, float | None], tol: float = 1e-9) -> str:
    lo, hi = window
    if v_fm <= ZERO_METAL:
        return "SEI"
    if lo > 0 and v_fm <= lo + tol:
        return "MI-SEI"
    if hi is not None and v_fm >= hi - tol:
        return "MCI"
    return UNTESTED


#: V_FM below this counts as "no metal" (as in classification.py).
ZERO_METAL = 1e-12


def calibrated_verdict(
    label: str,
    v_fm: float,
    metals: Sequence[str],
    model_classification: str,
    observations: Sequence[Observation],
    *,
    by_metal: dict[tuple[str, ...], CalibrationResult] | None = None,
) -> CalibratedVerdict:
    """Classify a composition (canonical ``label``, ``v_fm``, metallic products) from the
    observations; falls back to the morphology model's class where they say nothing.

    A composition observed itself takes its observed outcome (the highest-ranked evidence; equal
    ranks that disagree are a contradiction). Otherwise the window of its metal decides: at or
    below a V_FM observed benign -> MI-SEI, at or above one observed detrimental -> MCI, in
    between -> ``untested``.
    """
    key = tuple(sorted(set(metals)))
    by_metal = calibrate_by_metal(observations) if by_metal is None else by_metal
    cal = by_metal.get(key) if key else None
    window = cal.window if cal is not None else None
    contradictions = tuple(c.message() for c in cal.contradictions) if cal else ()
    overruled = tuple(cal.summary()["overruled"]) if cal else ()  # type: ignore[arg-type]
    in_window = tuple(cal.observations) if cal is not None else ()
    common = dict(metals=key, model_classification=model_classification,
                  contradictions=contradictions, overruled=overruled,
                  window_observations=in_window)  # fmt: skip
    direct = tuple(o for o in observations if o.label and o.label == label)
    if direct:
        best = max(o.rank for o in direct)
        top = {o.outcome for o in direct if o.rank == best}
        if len(top) == 1:
            outcome = top.pop()
            if outcome == "benign":
                cls = "SEI" if v_fm <= ZERO_METAL else "MI-SEI"
                advice = "observed benign"
            elif v_fm > ZERO_METAL:
                cls, advice = "MCI", "observed detrimental: Li is consumed"
            else:
                cls = "detrimental"
                advice = "observed detrimental without metal: not explained by percolation"
            return CalibratedVerdict(cls, "observations", window, advice=advice,
                                     observed=direct, **common)  # type: ignore[arg-type]  # fmt: skip
        contradictions = (
            *contradictions,
            f"{label} is observed both benign and detrimental with evidence of equal rank",
        )
        common["contradictions"] = contradictions
    if window is not None:
        cls = _window_class(v_fm, window)
        advice = {
            UNTESTED: UNTESTED_ADVICE,
            "MI-SEI": "at or below a V_FM observed benign for this metal",
            "MCI": "at or above a V_FM observed detrimental for this metal",
            "SEI": "no metal",
        }[cls]
        return CalibratedVerdict(cls, "observations", window, advice=advice, observed=direct,
                                 **common)  # type: ignore[arg-type]  # fmt: skip
    advice = ""
    if contradictions:
        advice = "the observations of this metal contradict each other: morphology model used"
        logger.warning("%s: %s", label, advice)
    return CalibratedVerdict(model_classification, "morphology model", None, advice=advice,
                             observed=direct, **common)  # type: ignore[arg-type]  # fmt: skip
