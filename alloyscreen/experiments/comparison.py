"""How far to trust a computed ranking: rank correlation with experiment, disagreements, parity plots.

Pure functions on plain data: sequences of ``(system, computed, experimental)`` triples, a
pandas DataFrame with ``system``, ``computed`` and ``experimental`` columns, or objects with those
attributes (e.g. :class:`alloyscreen.experiments.reference_data.ExperimentalMatch`). Nothing here
touches the results store.

- Spearman's rho and Kendall's tau-b (scipy.stats) with percentile bootstrap confidence
  intervals from a seeded ``numpy.random.default_rng``.
- No coefficient is reported from fewer than 3 matched pairs (the result carries a ``reason``).
- "Largest disagreements" are the systems whose computed and experimental ranks differ most.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

#: Fewest matched pairs from which a rank correlation is reported.
MIN_PAIRS: int = 3

__all__ = [
    "MIN_PAIRS",
    "CorrelationResult",
    "Disagreement",
    "ValidationReport",
    "as_triples",
    "common_diffusion_window",
    "diffusion_validation",
    "format_report",
    "largest_disagreements",
    "parity_plot",
    "rank_correlation",
    "validate",
    "wetting_validation",
]


# ----------------------------------------------------------------------------------------------
# input normalisation
# ----------------------------------------------------------------------------------------------
def as_triples(data: Any) -> list[tuple[str, float, float]]:
    """Normalise input to a list of ``(system, computed, experimental)`` triples.

    Accepts a pandas DataFrame (columns ``system``, ``computed``, ``experimental``), a mapping
    ``system -> (computed, experimental)``, an iterable of 3-tuples, or objects with ``system``,
    ``computed`` and ``experimental`` attributes.
    """
    if hasattr(data, "columns") and hasattr(data, "itertuples"):
        missing = {"system", "computed", "experimental"} - set(data.columns)
        if missing:
            raise InputError(f"DataFrame lacks column(s): {', '.join(sorted(missing))}")
        return [
            (str(s), float(c), float(e))
            for s, c, e in zip(data["system"], data["computed"], data["experimental"], strict=True)
        ]
    if isinstance(data, Mapping):
        return [(str(k), float(v[0]), float(v[1])) for k, v in data.items()]
    out = []
    for item in data:
        if all(hasattr(item, a) for a in ("system", "computed", "experimental")):
            out.append((str(item.system), float(item.computed), float(item.experimental)))
        else:
            try:
                s, c, e = item
            except (TypeError, ValueError):
                raise InputError(
                    f"expected (system, computed, experimental) triples, got {item!r}"
                ) from None
            out.append((str(s), float(c), float(e)))
    return out


def _finite(triples: list[tuple[str, float, float]]) -> tuple[list[tuple[str, float, float]], int]:
    kept = [t for t in triples if math.isfinite(t[1]) and math.isfinite(t[2])]
    return kept, len(triples) - len(kept)


# ----------------------------------------------------------------------------------------------
# rank correlation
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorrelationResult:
    """Rank correlation between computed and experimental values.

    Coefficient fields are None when no correlation can be reported; ``reason`` then says why
    (fewer than 3 matched pairs, or constant input).

    Attributes
    ----------
    n_pairs : int
        Matched pairs with finite values used.
    n_dropped : int
        Pairs dropped for non-finite values.
    spearman_rho, spearman_p_value, spearman_ci
        Spearman coefficient, two-sided p-value, bootstrap confidence interval (low, high).
    kendall_tau, kendall_p_value, kendall_ci
        Kendall tau-b, two-sided p-value, bootstrap confidence interval (low, high).
    confidence : float
        Confidence level of the intervals (e.g. 0.95).
    n_bootstrap, n_bootstrap_valid : int
        Requested resamples and those with a defined coefficient (non-constant resample).
    seed : int
        Seed of ``numpy.random.default_rng`` for the bootstrap.
    systems : tuple[str, ...]
        Systems used, in input order.
    reason : str | None
        Why no coefficient was reported, or None.
    """

    n_pairs: int
    n_dropped: int
    spearman_rho: float | None
    spearman_p_value: float | None
    spearman_ci: tuple[float, float] | None
    kendall_tau: float | None
    kendall_p_value: float | None
    kendall_ci: tuple[float, float] | None
    confidence: float
    n_bootstrap: int
    n_bootstrap_valid: int
    seed: int
    systems: tuple[str, ...]
    reason: str | None

    @property
    def ok(self) -> bool:
        """True when coefficients were computed."""
        return self.reason is None


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rho for each row of (B, n) arrays; NaN where a row is constant."""
    rx = stats.rankdata(x, axis=1)
    ry = stats.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    num = np.sum(rx * ry, axis=1)
    den = np.sqrt(np.sum(rx * rx, axis=1) * np.sum(ry * ry, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = num / den
    rho[den == 0] = np.nan
    return rho


def rank_correlation(
    data: Any,
    *,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    min_pairs: int = MIN_PAIRS,
) -> CorrelationResult:
    """Spearman and Kendall rank correlation with seeded bootstrap confidence intervals.

    Parameters
    ----------
    data
        ``(system, computed, experimental)`` triples in any form accepted by :func:`as_triples`.
    n_bootstrap : int
        Number of bootstrap resamples of the pairs (>= 100 recommended; 0 disables intervals).
    confidence : float
        Two-sided confidence level of the percentile intervals.
    seed : int
        Seed for ``numpy.random.default_rng`` (results are reproducible).
    min_pairs : int
        Fewest pairs for which a coefficient is reported; values below 3 are raised to 3.

    Returns
    -------
    CorrelationResult
        Coefficients, p-values, intervals, or a ``reason`` when no coefficient is reported.
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be in (0, 1) (got {confidence})")
    if n_bootstrap < 0:
        raise InputError(f"n_bootstrap must be >= 0 (got {n_bootstrap})")
    min_pairs = max(int(min_pairs), MIN_PAIRS)
    triples, dropped = _finite(as_triples(data))
    systems = tuple(t[0] for t in triples)
    n = len(triples)

    def empty(reason: str) -> CorrelationResult:
        return CorrelationResult(
            n_pairs=n,
            n_dropped=dropped,
            spearman_rho=None,
            spearman_p_value=None,
            spearman_ci=None,
            kendall_tau=None,
            kendall_p_value=None,
            kendall_ci=None,
            confidence=confidence,
            n_bootstrap=n_bootstrap,
            n_bootstrap_valid=0,
            seed=seed,
            systems=systems,
            reason=reason,
        )

    if n < min_pairs:
        return empty(
            f"only {n} matched pair{'s' if n != 1 else ''} with finite values; at least "
            f"{min_pairs} are needed for a rank correlation"
        )
    x = np.array([t[1] for t in triples])
    y = np.array([t[2] for t in triples])
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        which = "computed" if np.ptp(x) == 0 else "experimental"
        return empty(f"all {which} values are identical; rank correlation is undefined")

    sp = stats.spearmanr(x, y)
    kt = stats.kendalltau(x, y)
    rho, p_rho = float(sp.statistic), float(sp.pvalue)
    tau, p_tau = float(kt.statistic), float(kt.pvalue)

    sp_ci = kt_ci = None
    n_valid = 0
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n, size=(n_bootstrap, n))
        xb, yb = x[idx], y[idx]
        rho_b = _spearman_rows(xb, yb)
        tau_b = np.full(n_bootstrap, np.nan)
        ok = ~np.isnan(rho_b)
        for i in np.flatnonzero(ok):
            tau_b[i] = stats.kendalltau(xb[i], yb[i]).statistic
        n_valid = int(np.sum(ok & ~np.isnan(tau_b)))
        if n_valid > 0:
            lo, hi = 50.0 * (1.0 - confidence), 50.0 * (1.0 + confidence)
            r_ok, t_ok = rho_b[~np.isnan(rho_b)], tau_b[~np.isnan(tau_b)]
            sp_ci = (float(np.percentile(r_ok, lo)), float(np.percentile(r_ok, hi)))
            kt_ci = (float(np.percentile(t_ok, lo)), float(np.percentile(t_ok, hi)))
        if n_valid < 0.5 * n_bootstrap:
            logger.warning(
                "only %d of %d bootstrap resamples had non-constant data (n = %d pairs); "
                "the confidence intervals are unreliable",
                n_valid,
                n_bootstrap,
                n,
            )
    return CorrelationResult(
        n_pairs=n,
        n_dropped=dropped,
        spearman_rho=rho,
        spearman_p_value=p_rho,
        spearman_ci=sp_ci,
        kendall_tau=tau,
        kendall_p_value=p_tau,
        kendall_ci=kt_ci,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        n_bootstrap_valid=n_valid,
        seed=seed,
        systems=systems,
        reason=None,
    )


# ----------------------------------------------------------------------------------------------
# disagreements
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Disagreement:
    """A system whose computed and experimental ranks differ.

    Ranks are 1-based average ranks (1 = smallest value). With ``expected_sign = -1`` the
    experimental ranks are reversed before comparison, so that a perfectly anti-correlated
    pair (e.g. W_ad vs contact angle) has zero rank difference.
    """

    system: str
    computed: float
    experimental: float
    computed_rank: float
    experimental_rank: float
    rank_difference: float


def largest_disagreements(
    data: Any, *, top: int | None = 5, expected_sign: int = 1
) -> list[Disagreement]:
    """Systems sorted by the absolute difference between computed and experimental rank.

    Parameters
    ----------
    data
        ``(system, computed, experimental)`` triples (see :func:`as_triples`); non-finite pairs
        are skipped.
    top : int | None
        Return at most this many (None: all).
    expected_sign : {1, -1}
        +1 when computed and experimental values should increase together, -1 when one should
        fall as the other rises.

    Returns
    -------
    list[Disagreement]
        Largest |rank difference| first; ties keep input order.
    """
    if expected_sign not in (1, -1):
        raise InputError(f"expected_sign must be 1 or -1 (got {expected_sign})")
    triples, _ = _finite(as_triples(data))
    if not triples:
        return []
    x = np.array([t[1] for t in triples])
    y = np.array([t[2] for t in triples])
    rx = stats.rankdata(x)
    ry = stats.rankdata(expected_sign * y)
    out = [
        Disagreement(
            system=t[0],
            computed=t[1],
            experimental=t[2],
            computed_rank=float(a),
            experimental_rank=float(b),
            rank_difference=float(a - b),
        )
        for t, a, b in zip(triples, rx, ry, strict=True)
    ]
    out.sort(key=lambda d: -abs(d.rank_difference))
    return out if top is None else out[: max(int(top), 0)]


# ----------------------------------------------------------------------------------------------
# parity plot
# ----------------------------------------------------------------------------------------------
def parity_plot(
    data: Any,
    path: str | Path,
    *,
    xlabel: str = "experimental",
    ylabel: str = "computed",
    title: str | None = None,
    log: bool = False,
    diagonal: bool = True,
    annotate: bool = True,
    note: str | None = None,
    dpi: int = 150,
) -> Path:
    """Write a computed-vs-experimental parity plot as PNG.

    Uses ``matplotlib.figure.Figure`` and ``savefig`` (no pyplot, no global backend switch).

    Parameters
    ----------
    data
        ``(system, computed, experimental)`` triples (see :func:`as_triples`).
    path
        Output PNG path (parent directories are created).
    xlabel, ylabel, title
        Axis labels (include units) and optional title.
    log
        Log-log axes (all values must be > 0), e.g. for diffusion coefficients.
    diagonal
        Draw the y = x line (only meaningful when both axes have the same quantity and unit).
    annotate
        Label each point with its system.
    note
        Optional text in the upper-left corner (e.g. ``"Spearman rho = 0.8 [0.4, 1.0], n = 7"``).
    dpi
        Resolution.

    Returns
    -------
    Path
        The written file.
    """
    from matplotlib.figure import Figure

    triples, _ = _finite(as_triples(data))
    if not triples:
        raise InputError("parity plot needs at least one pair with finite values")
    x = np.array([t[2] for t in triples])  # experimental on x
    y = np.array([t[1] for t in triples])  # computed on y
    if log and (np.any(x <= 0) or np.any(y <= 0)):
        raise InputError("log parity plot needs positive computed and experimental values")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)

    fig = Figure(figsize=(5.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(x, y, s=36, color="tab:blue", edgecolor="black", linewidth=0.5, zorder=3)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    if diagonal:
        lo = float(min(x.min(), y.min()))
        hi = float(max(x.max(), y.max()))
        if log:
            lo, hi = lo / 2.0, hi * 2.0
        else:
            pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
            lo, hi = lo - pad, hi + pad
        ax.plot([lo, hi], [lo, hi], color="0.5", linestyle="--", linewidth=1.0, zorder=1)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    if annotate:
        for (s, _, _), xi, yi in zip(triples, x, y, strict=True):
            ax.annotate(s, (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if note:
        ax.text(
            0.03,
            0.97,
            note,
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8, "edgecolor": "0.7"},
        )
    ax.grid(True, which="major", alpha=0.3)
    fig.savefig(out, dpi=dpi, format="png")
    return out


# ----------------------------------------------------------------------------------------------
# end-to-end validation against the reference data
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValidationReport:
    """Computed descriptor vs experiment for one property.

    Attributes
    ----------
    descriptor : str
        Name of the computed descriptor (e.g. ``"w_adh_J_m2"``).
    experimental_property : str
        Reference property compared (e.g. ``"contact_angle"``).
    experimental_quantity : str
        Quantity actually correlated (e.g. ``"W_ad from Young-Dupre (J/m^2)"``).
    expected_sign : int
        +1 / -1: expected direction of the relation.
    n_computed, n_matched : int
        Computed systems given, and matched to experiment by reduced formula.
    unmatched : tuple[str, ...]
        Computed systems without experimental data.
    pairs : tuple[tuple[str, float, float], ...]
        ``(system, computed, experimental_quantity)`` used for the statistics.
    correlation : CorrelationResult
    disagreements : tuple[Disagreement, ...]
    experimental_only : tuple[str, ...]
        Reduced formulas with experimental data but no computed counterpart: the phases to
        screen to extend the validation.
    """

    descriptor: str
    experimental_property: str
    experimental_quantity: str
    expected_sign: int
    n_computed: int
    n_matched: int
    unmatched: tuple[str, ...]
    pairs: tuple[tuple[str, float, float], ...]
    correlation: CorrelationResult
    disagreements: tuple[Disagreement, ...]
    experimental_only: tuple[str, ...] = ()


def validate(
    computed: Mapping[str, float] | Iterable[tuple[str, float]],
    records: Iterable[Any],
    *,
    property: str,
    descriptor: str,
    experimental_quantity: str | None = None,
    transform=None,
    expected_sign: int = 1,
    top: int = 5,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> ValidationReport:
    """Match computed values to reference records by composition and compare their ranks.

    Parameters
    ----------
    computed
        ``system -> computed value`` (formulas; names never match).
    records
        :class:`~alloyscreen.experiments.reference_data.ReferenceRecord` objects.
    property
        Reference property to compare against.
    descriptor
        Name of the computed quantity (for the report).
    experimental_quantity
        Label of the compared experimental quantity (default: the property name).
    transform
        Optional ``f(match) -> float`` giving the experimental quantity from an
        :class:`~alloyscreen.experiments.reference_data.ExperimentalMatch` (default: its
        aggregated ``experimental`` value).
    expected_sign, top, n_bootstrap, confidence, seed
        See :func:`largest_disagreements` and :func:`rank_correlation`.
    """
    from alloyscreen.experiments.reference_data import match_systems

    comp_items = list(computed.items()) if isinstance(computed, Mapping) else list(computed)
    records = list(records)
    matches, unmatched = match_systems(comp_items, records, property=property)
    matched_formulas = {m.reduced_formula for m in matches}
    experimental_only = tuple(
        sorted(
            {
                r.reduced_formula
                for r in records
                if r.property == property
                and r.reduced_formula is not None
                and r.reduced_formula not in matched_formulas
            }
        )
    )
    pairs = tuple(
        (m.system, m.computed, float(transform(m)) if transform else m.experimental)
        for m in matches
    )
    corr = rank_correlation(pairs, n_bootstrap=n_bootstrap, confidence=confidence, seed=seed)
    dis = (
        tuple(largest_disagreements(pairs, top=top, expected_sign=expected_sign))
        if corr.n_pairs >= 2
        else ()
    )
    return ValidationReport(
        descriptor=descriptor,
        experimental_property=property,
        experimental_quantity=experimental_quantity or property,
        expected_sign=expected_sign,
        n_computed=len(comp_items),
        n_matched=len(matches),
        unmatched=tuple(unmatched),
        pairs=pairs,
        correlation=corr,
        disagreements=dis,
        experimental_only=experimental_only,
    )


def wetting_validation(
    computed_w_adh_J_m2: Mapping[str, float] | Iterable[tuple[str, float]],
    records: Iterable[Any],
    **kwargs,
) -> ValidationReport:
    """Computed W_ad vs experimental wetting.

    Each matched contact angle (median over records) is converted to an experimental W_ad by
    Young–Dupré with the Davison gamma_Li at the records' median temperature, or at the Li melting
    point when no temperature is given. Expected relation: positive.
    """
    from alloyscreen.experiments.reference_data import filter_records
    from alloyscreen.experiments.wetting import LI_MELTING_POINT_K, work_of_adhesion_J_m2

    recs = filter_records(records, property="contact_angle")
    temps: dict[str, list[float]] = {}
    for r in recs:
        if r.reduced_formula is not None and r.temperature_mid_K is not None:
            temps.setdefault(r.reduced_formula, []).append(r.temperature_mid_K)

    def to_w(m) -> float:
        ts = sorted(temps.get(m.reduced_formula, []))
        T = ts[len(ts) // 2] if ts else LI_MELTING_POINT_K
        return float(work_of_adhesion_J_m2(m.experimental, T))

    return validate(
        computed_w_adh_J_m2,
        recs,
        property="contact_angle",
        descriptor=kwargs.pop("descriptor", "w_adh_J_m2"),
        experimental_quantity="W_ad from contact angle, Young-Dupre (J/m^2)",
        transform=to_w,
        expected_sign=1,
        **kwargs,
    )


#: Width of the temperature window within which measured diffusion coefficients are compared (K).
#: Huggins' compilation spans 360-415 degC (633-688 K), so 100 K keeps it together.
DIFFUSION_WINDOW_K: float = 100.0


def common_diffusion_window(
    formulas: Iterable[str], records: Iterable[Any], *, width_K: float = DIFFUSION_WINDOW_K
) -> tuple[float, float, str | None] | None:
    """Temperature window and diffusion type that match the most computed systems.

    D spans orders of magnitude with temperature and between chemical and tracer coefficients, so
    a rank comparison needs records at one temperature and of one kind. Candidate windows start at
    each record's temperature; the one (and the diffusion type) covering the most ``formulas``
    wins, ties going to the window with more records (more phases named as "measured but not
    screened").

    Returns
    -------
    (T_min_K, T_max_K, diffusion_type) or None when no record matches any formula.
    """
    from alloyscreen.experiments.reference_data import reduced_formula

    wanted = {f for f in (reduced_formula(x) for x in formulas) if f is not None}
    recs = [
        r
        for r in records
        if r.property == "diffusion_coefficient" and r.temperature_mid_K is not None
    ]
    best: tuple[int, int, float, float, str | None] | None = None
    for start in sorted({r.temperature_mid_K for r in recs}):
        lo, hi = start, start + width_K
        for dtype in sorted({r.diffusion_type or "" for r in recs}):
            inside = [
                r
                for r in recs
                if lo <= r.temperature_mid_K <= hi and (r.diffusion_type or "") == dtype
            ]
            n_wanted = len({r.reduced_formula for r in inside} & wanted)
            if n_wanted == 0:
                continue
            key = (n_wanted, len(inside))
            if best is None or key > best[:2]:
                best = (*key, lo, hi, dtype or None)
    if best is None:
        return None
    return best[2], best[3], best[4]


def diffusion_validation(
    computed: Mapping[str, float] | Iterable[tuple[str, float]],
    records: Iterable[Any],
    *,
    descriptor: str = "D_cm2_s",
    expected_sign: int = 1,
    window_K: tuple[float, float] | None = None,
    diffusion_type: str | None = None,
    **kwargs,
) -> ValidationReport:
    """Computed Li mobility vs measured diffusion coefficients (cm^2/s) at one temperature window.

    Pass computed ``D(T)`` in cm^2/s (``expected_sign=+1``) or migration barriers in eV
    (``descriptor="barrier_eV"``, ``expected_sign=-1``: a higher barrier should mean slower
    diffusion). Only records inside one temperature window and of one diffusion type are used
    (geometric mean per system inside it): by default the window and type that match the most
    computed systems (:func:`common_diffusion_window`); pass ``window_K`` / ``diffusion_type`` to
    choose. The window and type are named in ``experimental_quantity``.
    """
    from alloyscreen.experiments.reference_data import filter_records

    comp_items = list(computed.items()) if isinstance(computed, Mapping) else list(computed)
    records = list(records)
    if window_K is None and diffusion_type is None:
        auto = common_diffusion_window([s for s, _ in comp_items], records)
        if auto is not None:
            window_K, diffusion_type = (auto[0], auto[1]), auto[2]
    label = "D (cm^2/s)"
    if window_K is not None:
        records = filter_records(
            records, property="diffusion_coefficient", T_min_K=window_K[0], T_max_K=window_K[1]
        )
        label += f" at {window_K[0]:.0f}-{window_K[1]:.0f} K"
    if diffusion_type is not None:
        records = [r for r in records if r.diffusion_type == diffusion_type]
        label += f", {diffusion_type}"
    return validate(
        comp_items,
        records,
        property="diffusion_coefficient",
        descriptor=descriptor,
        experimental_quantity=label,
        expected_sign=expected_sign,
        **kwargs,
    )


def _fmt_ci(ci: tuple[float, float] | None) -> str:
    return f"[{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else "[n/a]"


def format_report(report: ValidationReport) -> str:
    """Human-readable multi-line summary of a :class:`ValidationReport`."""
    c = report.correlation
    lines = [
        f"{report.descriptor} vs {report.experimental_quantity}",
        f"  matched systems: {report.n_matched} of {report.n_computed} computed",
    ]
    if c.ok:
        pct = round(100 * c.confidence)
        lines.append(
            f"  Spearman rho = {c.spearman_rho:+.2f} {_fmt_ci(c.spearman_ci)} ({pct}% bootstrap CI, "
            f"{c.n_bootstrap_valid}/{c.n_bootstrap} resamples, seed {c.seed}), p = {c.spearman_p_value:.3g}"
        )
        lines.append(
            f"  Kendall tau  = {c.kendall_tau:+.2f} {_fmt_ci(c.kendall_ci)}, p = {c.kendall_p_value:.3g}"
        )
        lines.append(f"  expected sign of the relation: {'+' if report.expected_sign > 0 else '-'}")
    else:
        lines.append(f"  no correlation reported: {c.reason}")
    if report.disagreements:
        lines.append("  largest disagreements (rank computed vs experimental):")
        for d in report.disagreements:
            lines.append(
                f"    {d.system}: {d.computed_rank:g} vs {d.experimental_rank:g} "
                f"(diff {d.rank_difference:+g}; computed {d.computed:.4g}, experimental {d.experimental:.4g})"
            )
    if report.unmatched:
        shown = ", ".join(report.unmatched[:10])
        more = f" (+{len(report.unmatched) - 10} more)" if len(report.unmatched) > 10 else ""
        lines.append(f"  without experimental data: {shown}{more}")
    if report.experimental_only:
        shown = ", ".join(report.experimental_only[:12])
        more = (
            f" (+{len(report.experimental_only) - 12} more)"
            if len(report.experimental_only) > 12
            else ""
        )
        lines.append(f"  measured but not screened (screen these to extend): {shown}{more}")
    return "\n".join(lines)
