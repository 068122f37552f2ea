"""Stated molten-Li wetting as ordinal data, and ordinal agreement of computed contact angles.

Measured molten-Li contact angles are scarce and depend on surface state (oxide, roughness,
temperature); most of the literature only *states* that molten Li wets or does not wet a
substrate. Such statements are ordinal data: a computed angle below 90 deg ("wets") either agrees
with "wets" or not. This module loads the shipped statements
(``alloyscreen/experiments/data/wetting_statements.csv``; sources in ``docs/reference_data.md``)
and user files of the same schema, turns measured angles into the same two classes, and counts
agreement with a Wilson score interval. Conflicting sources (e.g. Cu: zero advancing angle,
Jordan & Lane 1966, vs "molten Li presents a liquid sphere", Wang et al. 2019) are kept side by
side, never resolved by picking one.

Schema (one statement per line, ``#`` comments)::

    system, wetting, surface_state, reactive, temperature_K, temperature_max_K, method, source, notes

``wetting`` is one of :data:`WETTING_CLASSES`; ``reactive`` is ``yes`` / ``no``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alloyscreen.errors import InputError
from alloyscreen.experiments.reference_data import (
    ReferenceRecord,
    parse_provenance,
    parse_temperature_range,
    read_table,
    reduced_formula,
)

logger = logging.getLogger(__name__)

#: Ordinal wetting classes. "state-dependent" statements (e.g. graphite) are kept and reported
#: but never counted as agreement or disagreement.
WETTING_CLASSES: tuple[str, ...] = ("wets", "non-wetting", "state-dependent")
COLUMNS: tuple[str, ...] = (
    "system",
    "wetting",
    "surface_state",
    "reactive",
    "temperature_K",
    "temperature_max_K",
    "method",
    "source",
    "notes",
)
#: Below this many comparisons an agreement fraction is reported with a reason, not as evidence.
MIN_COMPARISONS: int = 5
#: Young's equation: theta < 90 deg <=> W_ad > gamma_Li, i.e. molten Li wets.
WETTING_ANGLE_DEG: float = 90.0

__all__ = [
    "COLUMNS",
    "MIN_COMPARISONS",
    "WETTING_CLASSES",
    "OrdinalAgreement",
    "OrdinalComparison",
    "WettingStatement",
    "format_ordinal",
    "load_wetting_statements",
    "ordinal_wetting_agreement",
    "statements_from_angles",
    "wetting_class_from_angle",
    "wilson_interval",
]


@dataclass(frozen=True)
class WettingStatement:
    """One stated (or angle-derived) wetting class of molten Li on a substrate.

    Attributes
    ----------
    system, reduced_formula : str, str | None
        Substrate as written; its reduced formula when it is a formula (names never match).
    wetting : str
        One of :data:`WETTING_CLASSES`.
    surface_state : str
        Surface / preparation as stated (foam, coating, commercial foil...).
    reactive : bool
        Li reacts with the surface (alloying or conversion coating).
    temperature_K, temperature_max_K : float | None
        Temperature (range) when stated, K.
    method, source, notes : str
        How the class was established, DOI or full reference, the quote.
    file : str
        File the statement came from (``contact_angles`` records: their file).
    line : int
        1-based line in that file.
    """

    system: str
    reduced_formula: str | None
    wetting: str
    surface_state: str
    reactive: bool
    temperature_K: float | None
    temperature_max_K: float | None
    method: str
    source: str
    notes: str
    file: str
    line: int


def wetting_class_from_angle(theta_deg: float) -> str:
    """``"wets"`` below 90 deg, ``"non-wetting"`` at or above it (Young's equation)."""
    if not math.isfinite(theta_deg) or not 0.0 <= theta_deg <= 180.0:
        raise InputError(f"contact angle {theta_deg!r} deg is outside 0..180 deg")
    return "wets" if theta_deg < WETTING_ANGLE_DEG else "non-wetting"


def _parse(cells: dict[str, str], path: str, line: int) -> WettingStatement:
    where = f"{path}, line {line}"
    system, source, method = parse_provenance(
        cells, where, method_examples="how the statement was established"
    )
    wetting = cells["wetting"].strip()
    if wetting not in WETTING_CLASSES:
        raise InputError(f"{where}: wetting {wetting!r} is not one of {', '.join(WETTING_CLASSES)}")
    reactive = cells["reactive"].strip().lower()
    if reactive not in {"yes", "no"}:
        raise InputError(f"{where}: reactive must be 'yes' or 'no' (got {reactive!r})")
    t, t_max = parse_temperature_range(cells, where)
    return WettingStatement(
        system=system,
        reduced_formula=reduced_formula(system),
        wetting=wetting,
        surface_state=cells["surface_state"].strip(),
        reactive=reactive == "yes",
        temperature_K=t,
        temperature_max_K=t_max,
        method=method,
        source=source,
        notes=cells["notes"].strip(),
        file=path,
        line=line,
    )


def load_wetting_statements(path: str | Path | None = None) -> list[WettingStatement]:
    """Load stated wetting classes (the shipped file when ``path`` is None).

    Raises
    ------
    InputError
        Missing file, wrong header, or a bad row (unknown class, missing source...), naming the
        file and line.
    """
    if path is None:
        p = Path(
            str(
                resources.files("alloyscreen.experiments").joinpath(
                    "data", "wetting_statements.csv"
                )
            )
        )
    else:
        p = Path(path)
    header_line, header, rows = read_table(p, "wetting-statement")
    if tuple(header) != COLUMNS:
        raise InputError(f"{p}, line {header_line}: header must be {','.join(COLUMNS)}")
    return [_parse(cells, str(p), i) for i, cells in rows]


def statements_from_angles(records: Iterable[ReferenceRecord]) -> list[WettingStatement]:
    """Measured contact angles as wetting classes (theta < 90 deg: wets)."""
    out = []
    for r in records:
        if r.property != "contact_angle":
            continue
        out.append(
            WettingStatement(
                system=r.system,
                reduced_formula=r.reduced_formula,
                wetting=wetting_class_from_angle(r.value),
                surface_state=f"measured angle {r.value:g} deg ({r.method})",
                reactive=False,
                temperature_K=r.temperature_K,
                temperature_max_K=r.temperature_max_K,
                method=r.method,
                source=r.source,
                notes=r.notes,
                file=r.file,
                line=r.line,
            )
        )
    return out


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (honest at small n, never outside 0..1)."""
    if n <= 0 or not 0 <= k <= n:
        raise InputError(f"need 0 <= k <= n and n > 0 (got k={k}, n={n})")
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2.0))
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class OrdinalComparison:
    """One computed system against one experimental wetting statement."""

    system: str
    reduced_formula: str
    computed_angle_deg: float
    computed_class: str
    experimental_class: str
    agrees: bool | None
    reactive: bool
    surface_state: str
    source: str
    where: str


@dataclass(frozen=True)
class OrdinalAgreement:
    """Agreement of computed wetting classes with stated / measured ones.

    Attributes
    ----------
    comparisons : tuple[OrdinalComparison, ...]
        Every (computed system, statement) pair; ``agrees`` is None for state-dependent ones.
    n_compared, n_agree : int
        Counted pairs (state-dependent excluded) and how many agree.
    fraction : float | None
        ``n_agree / n_compared`` (None when nothing was compared).
    interval : tuple[float, float] | None
        Wilson score interval at ``confidence``.
    confidence : float
    conflicts : tuple[str, ...]
        Reduced formulas whose experimental sources disagree with each other (kept side by side).
    unmatched : tuple[str, ...]
        Computed systems without any statement.
    reason : str | None
        Why the fraction is not evidence (too few comparisons), else None.
    """

    comparisons: tuple[OrdinalComparison, ...]
    n_compared: int
    n_agree: int
    fraction: float | None
    interval: tuple[float, float] | None
    confidence: float
    conflicts: tuple[str, ...]
    unmatched: tuple[str, ...]
    reason: str | None


def ordinal_wetting_agreement(
    computed_angles_deg: Mapping[str, float],
    statements: Sequence[WettingStatement],
    *,
    include_reactive: bool = True,
    confidence: float = 0.95,
    min_comparisons: int = MIN_COMPARISONS,
) -> OrdinalAgreement:
    """Compare computed contact angles with stated wetting classes, system by system.

    Parameters
    ----------
    computed_angles_deg : mapping
        Computed system (formula) -> predicted molten-Li contact angle in deg.
    statements : sequence of WettingStatement
        From :func:`load_wetting_statements` and/or :func:`statements_from_angles`.
    include_reactive : bool
        Count reactive-wetting statements (coatings that alloy with Li). They say the substrate
        phase wets *while reacting*; pass False for strictly non-reactive comparisons.
    confidence : float
        Level of the Wilson interval.
    min_comparisons : int
        Below this many counted pairs, ``reason`` says the fraction is not evidence.

    Returns
    -------
    OrdinalAgreement
    """
    by_formula: dict[str, list[WettingStatement]] = {}
    for s in statements:
        if s.reduced_formula is not None and (include_reactive or not s.reactive):
            by_formula.setdefault(s.reduced_formula, []).append(s)
    conflicts = tuple(
        sorted(
            f
            for f, ss in by_formula.items()
            if len({s.wetting for s in ss if s.wetting != "state-dependent"}) > 1
        )
    )
    comps: list[OrdinalComparison] = []
    unmatched: list[str] = []
    for system, theta in computed_angles_deg.items():
        f = reduced_formula(system)
        if f is None or f not in by_formula or theta is None or not math.isfinite(theta):
            unmatched.append(str(system))
            continue
        c_class = wetting_class_from_angle(float(theta))
        for s in by_formula[f]:
            agrees = None if s.wetting == "state-dependent" else s.wetting == c_class
            comps.append(
                OrdinalComparison(
                    system=str(system),
                    reduced_formula=f,
                    computed_angle_deg=float(theta),
                    computed_class=c_class,
                    experimental_class=s.wetting,
                    agrees=agrees,
                    reactive=s.reactive,
                    surface_state=s.surface_state,
                    source=s.source,
                    where=f"{s.file}:{s.line}",
                )
            )
    counted = [c for c in comps if c.agrees is not None]
    n = len(counted)
    k = sum(1 for c in counted if c.agrees)
    reason = None
    if n < min_comparisons:
        reason = (
            f"only {n} comparison(s) (< {min_comparisons}): an agreement fraction on so few "
            "statements is not evidence"
        )
    return OrdinalAgreement(
        comparisons=tuple(comps),
        n_compared=n,
        n_agree=k,
        fraction=(k / n) if n else None,
        interval=wilson_interval(k, n, confidence) if n else None,
        confidence=confidence,
        conflicts=conflicts,
        unmatched=tuple(unmatched),
        reason=reason,
    )


def format_ordinal(agreement: OrdinalAgreement) -> str:
    """Human-readable summary of an :class:`OrdinalAgreement` (one line per comparison)."""
    lines = ["predicted contact angle vs stated molten-Li wetting (ordinal, theta < 90 deg = wets)"]
    if agreement.n_compared:
        lo, hi = agreement.interval
        lines.append(
            f"  agreement {agreement.n_agree}/{agreement.n_compared} = {agreement.fraction:.2f} "
            f"[{lo:.2f}, {hi:.2f}] ({round(100 * agreement.confidence)}% Wilson interval)"
        )
    else:
        lines.append("  no computed system has a wetting statement")
    if agreement.reason:
        lines.append(f"  note: {agreement.reason}")
    for c in agreement.comparisons:
        verdict = {True: "agrees", False: "DISAGREES", None: "not counted"}[c.agrees]
        flag = ", reactive" if c.reactive else ""
        lines.append(
            f"    {c.system}: computed {c.computed_angle_deg:.0f} deg ({c.computed_class}) vs "
            f"{c.experimental_class} [{c.surface_state}{flag}; {c.source}] {verdict}"
        )
    if agreement.conflicts:
        lines.append(
            "  sources disagree with each other (kept side by side): "
            + ", ".join(agreement.conflicts)
        )
    return "\n".join(lines)
