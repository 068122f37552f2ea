"""Experimental reference data: loading, validation, unit conversion and composition matching.

Shipped data sets (``alloyscreen/experiments/data/``; sources and row counts in
``docs/reference_data.md``):

- ``contact_angles.csv``: molten-Li contact angles on substrates.
- ``li_diffusion.csv``: Li diffusion coefficients, Arrhenius prefactors and activation energies.

User CSVs with the same schema are accepted. One record per line; lines starting with ``#`` are
comments. Required columns::

    system, property, value, unit, temperature_K, method, source, notes

Optional columns: ``temperature_max_K`` (upper end of a temperature range, >= temperature_K),
``uncertainty`` (standard uncertainty, same unit as ``value``) and ``diffusion_type`` (what kind of
diffusion coefficient a diffusion row is, one of :data:`DIFFUSION_TYPES`: chemical D~ includes
the thermodynamic factor, tracer/self D do not; the shipped data set gives it on every diffusion
row). Any bad row raises :class:`alloyscreen.errors.InputError` naming the file and line.

Properties, accepted units and the canonical unit every value is converted to:

=======================  ===========================  =========  =====================
property                 accepted units               canonical  temperature_K
=======================  ===========================  =========  =====================
contact_angle            deg, rad                     deg        optional (liquid Li)
diffusion_coefficient    cm2/s, m2/s                  cm2/s      required
diffusion_prefactor      cm2/s, m2/s                  cm2/s      must be empty
activation_energy        eV, kJ/mol, kcal/mol         eV         must be empty
=======================  ===========================  =========  =====================
"""

from __future__ import annotations

import csv
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

from alloyscreen.errors import InputError
from alloyscreen.experiments.arrhenius import (
    CM2_PER_M2,
    J_PER_CAL,
    KJ_PER_MOL_PER_EV,
    arrhenius_D_cm2_s,
)
from alloyscreen.experiments.wetting import LI_MELTING_POINT_K

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "system",
    "property",
    "value",
    "unit",
    "temperature_K",
    "method",
    "source",
    "notes",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("temperature_max_K", "uncertainty", "diffusion_type")

#: Kinds of diffusion measurement. Chemical (electrochemical: GITT, PITT, chronoamperometry) and
#: mutual (interdiffusion) coefficients include the thermodynamic factor and can exceed the tracer
#: value by orders of magnitude; tracer and self-diffusion coefficients do not; NMR gives jump
#: rates (self-diffusion on the atomic scale); conductivity gives the charge-carrier activation
#: energy; unspecified when the source does not say.
DIFFUSION_TYPES: tuple[str, ...] = (
    "chemical",
    "mutual",
    "tracer",
    "self",
    "NMR",
    "conductivity",
    "unspecified",
)

#: property -> (canonical unit, {accepted unit: factor to canonical})
UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "contact_angle": ("deg", {"deg": 1.0, "rad": 180.0 / math.pi}),
    "diffusion_coefficient": ("cm2/s", {"cm2/s": 1.0, "m2/s": CM2_PER_M2}),
    "diffusion_prefactor": ("cm2/s", {"cm2/s": 1.0, "m2/s": CM2_PER_M2}),
    "activation_energy": (
        "eV",
        {
            "eV": 1.0,
            "kJ/mol": 1.0 / KJ_PER_MOL_PER_EV,
            "kcal/mol": J_PER_CAL / KJ_PER_MOL_PER_EV,
        },
    ),
}
PROPERTIES: tuple[str, ...] = tuple(UNITS)
_NEEDS_T = {"diffusion_coefficient"}
_NO_T = {"diffusion_prefactor", "activation_energy"}

DATA_FILES: dict[str, str] = {
    "contact_angles": "contact_angles.csv",
    "li_diffusion": "li_diffusion.csv",
}

_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_FORMULA_RE = re.compile(r"^(?:\(?[A-Z][a-z]?\d*(?:\.\d+)?\)?\d*(?:\.\d+)?)+$")

__all__ = [
    "DATA_FILES",
    "DIFFUSION_TYPES",
    "OPTIONAL_COLUMNS",
    "PROPERTIES",
    "REQUIRED_COLUMNS",
    "UNITS",
    "ExperimentalMatch",
    "ReferenceRecord",
    "diffusion_at_temperature",
    "filter_records",
    "load_contact_angles",
    "load_li_diffusion",
    "load_reference_csv",
    "load_reference_data",
    "match_systems",
    "parse_number",
    "parse_provenance",
    "parse_temperature_range",
    "read_table",
    "records_to_frame",
    "reduced_formula",
    "shipped_data_path",
]


@dataclass(frozen=True)
class ReferenceRecord:
    """One experimental measurement, with its value converted to the canonical unit.

    Attributes
    ----------
    system : str
        Substrate / phase as written in the file (formula or name).
    reduced_formula : str | None
        pymatgen reduced formula when ``system`` is a chemical formula, else None (names such
        as "stainless steel" never match a computed composition).
    property : str
        One of :data:`PROPERTIES`.
    value : float
        Value in the canonical ``unit`` (deg, cm2/s or eV; see :data:`UNITS`).
    unit : str
        Canonical unit of ``value``.
    value_reported, unit_reported : float, str
        Value and unit as written in the file.
    uncertainty : float | None
        Standard uncertainty in the canonical unit, when given.
    temperature_K, temperature_max_K : float | None
        Measurement temperature (K); a range when ``temperature_max_K`` is set.
    method, source, notes : str
        Measurement method, DOI (``10.xxxx/...``) or full reference, free-text notes.
    file : str
        File the record came from.
    line : int
        1-based line number in that file.
    diffusion_type : str | None
        One of :data:`DIFFUSION_TYPES` for diffusion rows that state it, else None.
    """

    system: str
    reduced_formula: str | None
    property: str
    value: float
    unit: str
    value_reported: float
    unit_reported: str
    uncertainty: float | None
    temperature_K: float | None
    temperature_max_K: float | None
    method: str
    source: str
    notes: str
    file: str
    line: int
    diffusion_type: str | None = None

    @property
    def temperature_mid_K(self) -> float | None:
        """Midpoint of the temperature range (or the single temperature), K."""
        if self.temperature_K is None:
            return None
        if self.temperature_max_K is None:
            return self.temperature_K
        return 0.5 * (self.temperature_K + self.temperature_max_K)

    @property
    def doi(self) -> str | None:
        """The DOI when ``source`` is one, else None."""
        return self.source if _DOI_RE.match(self.source) else None


# ----------------------------------------------------------------------------------------------
# composition handling
# ----------------------------------------------------------------------------------------------
def reduced_formula(system: str) -> str | None:
    """Reduced formula of ``system`` if it is a chemical formula, else None.

    Parameters
    ----------
    system : str
        E.g. ``"Li22Si5"``, ``"LiAl"``, ``"Cu"``; names (``"stainless steel"``), alloys written
        with dashes (``"Li-Mg solid solution"``) or qualifiers (``"Cu (grain boundaries)"``)
        return None.

    Returns
    -------
    str | None
        pymatgen ``Composition.reduced_formula`` (e.g. ``"Li22Si5"``), or None.
    """
    s = str(system).strip()
    if not s or not _FORMULA_RE.match(s):
        return None
    from pymatgen.core import Composition  # heavy import, done lazily

    try:
        comp = Composition(s)
    except (ValueError, KeyError):
        return None
    if comp.num_atoms <= 0:
        return None
    return comp.reduced_formula


# ----------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------
def shipped_data_path(name: str) -> Path:
    """Path of a shipped data set (``"contact_angles"`` or ``"li_diffusion"``)."""
    try:
        fname = DATA_FILES[name]
    except KeyError:
        raise InputError(
            f"unknown shipped data set {name!r}; choose one of {sorted(DATA_FILES)}"
        ) from None
    return Path(str(resources.files("alloyscreen.experiments").joinpath("data", fname)))


def _normalise_unit(unit: str) -> str:
    u = unit.strip().replace(" ", "").replace("^", "")
    aliases = {"cm2s-1": "cm2/s", "m2s-1": "m2/s", "degree": "deg", "degrees": "deg", "ev": "eV"}
    return aliases.get(u, aliases.get(u.lower(), u))


def _normalise_source(source: str) -> str:
    s = source.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "doi:", "DOI:"):
        if s.startswith(prefix):
            return s[len(prefix) :].strip()
    return s


def parse_number(text: str, what: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(v):
        raise InputError(f"{where}: {what} {text!r} is not finite")
    return v


def parse_provenance(
    cells: Mapping[str, str], where: str, *, method_examples: str
) -> tuple[str, str, str]:
    """``(system, source, method)`` of a literature row, each required: the substrate/phase, the
    DOI (``https://doi.org/`` and ``doi:`` prefixes dropped; a malformed DOI is refused) or full
    reference, and how the value was established (``method_examples`` completes the message).
    Shared by the reference-data and wetting-statement loaders.

    Raises
    ------
    InputError
        An empty field or a malformed DOI, naming ``where`` (file, line).
    """
    system = cells["system"].strip()
    if not system:
        raise InputError(f"{where}: empty 'system'; give a formula (e.g. LiAl, Cu) or a name")
    source = _normalise_source(cells["source"])
    if not source:
        raise InputError(
            f"{where}: missing 'source'; every row needs a DOI (10.xxxx/...) or a full reference"
        )
    if source.startswith("10.") and not _DOI_RE.match(source):
        raise InputError(f"{where}: source {source!r} looks like a DOI but is malformed")
    method = cells["method"].strip()
    if not method:
        raise InputError(f"{where}: missing 'method' ({method_examples})")
    return system, source, method


def parse_temperature_range(
    cells: Mapping[str, str], where: str
) -> tuple[float | None, float | None]:
    """``(temperature_K, temperature_max_K)`` of a row (K; None when empty): both > 0, and a
    maximum only above a stated temperature.

    Raises
    ------
    InputError
        Not a number, not positive, or a maximum without (or below) the temperature.
    """
    out = []
    for key in ("temperature_K", "temperature_max_K"):
        text = cells.get(key, "").strip()
        value = parse_number(text, key, where) if text else None
        if value is not None and value <= 0:
            raise InputError(f"{where}: {key} must be > 0 K (got {text})")
        out.append(value)
    t, t_max = out
    if t_max is not None and (t is None or t_max < t):
        raise InputError(f"{where}: temperature_max_K needs temperature_K <= temperature_max_K")
    return t, t_max


def _parse_row(cells: dict[str, str], path: str, line: int) -> ReferenceRecord:
    where = f"{path}, line {line}"
    system, source, method = parse_provenance(
        cells, where, method_examples="e.g. sessile drop, tracer, NMR, electrochemical"
    )
    prop = cells["property"].strip()
    if prop not in UNITS:
        raise InputError(f"{where}: unknown property {prop!r}; use one of {', '.join(PROPERTIES)}")
    canonical, factors = UNITS[prop]
    unit = _normalise_unit(cells["unit"])
    if unit not in factors:
        raise InputError(
            f"{where}: unit {cells['unit'].strip()!r} is not valid for {prop}; "
            f"use one of {', '.join(factors)}"
        )

    v_rep = parse_number(cells["value"].strip(), "value", where)
    value = v_rep * factors[unit]

    temperature, t_max = parse_temperature_range(cells, where)
    if prop in _NEEDS_T and temperature is None:
        raise InputError(f"{where}: {prop} needs temperature_K")
    if prop in _NO_T and temperature is not None:
        raise InputError(
            f"{where}: {prop} is temperature-independent; leave temperature_K empty "
            "(put the measured range in notes)"
        )

    unc_text = cells.get("uncertainty", "").strip()
    uncertainty = None
    if unc_text:
        u = parse_number(unc_text, "uncertainty", where)
        if u < 0:
            raise InputError(f"{where}: uncertainty must be >= 0 (got {u})")
        uncertainty = u * factors[unit]

    if prop == "contact_angle":
        if not 0.0 <= value <= 180.0:
            raise InputError(f"{where}: contact angle {value:g} deg is outside 0..180 deg")
        if temperature is not None and temperature < LI_MELTING_POINT_K - 1e-6:
            raise InputError(
                f"{where}: temperature {temperature} K is below the Li melting point "
                f"({LI_MELTING_POINT_K} K); molten-Li contact angles need liquid Li"
            )
    elif value <= 0:
        raise InputError(f"{where}: {prop} must be > 0 (got {v_rep:g} {unit})")

    dtype = cells.get("diffusion_type", "").strip() or None
    if dtype is not None:
        if prop == "contact_angle":
            raise InputError(f"{where}: diffusion_type is only for diffusion rows; leave it empty")
        if dtype not in DIFFUSION_TYPES:
            raise InputError(
                f"{where}: unknown diffusion_type {dtype!r}; use one of {', '.join(DIFFUSION_TYPES)}"
            )

    return ReferenceRecord(
        system=system,
        reduced_formula=reduced_formula(system),
        property=prop,
        value=float(value),
        unit=canonical,
        value_reported=v_rep,
        unit_reported=unit,
        uncertainty=uncertainty,
        temperature_K=temperature,
        temperature_max_K=t_max,
        method=method,
        source=source,
        notes=cells["notes"].strip(),
        file=path,
        line=line,
        diffusion_type=dtype,
    )


def read_table(path: Path, what: str) -> tuple[int, list[str], list[tuple[int, dict[str, str]]]]:
    """A commented CSV (``#`` lines and blank lines skipped): header line number, header cells
    and ``(line, {column: cell})`` rows, every cell stripped.

    Raises
    ------
    InputError
        Missing, non-UTF-8, empty or malformed file, or a row with the wrong number of fields;
        the message names the file (``what`` says what it should be) and line.
    """
    if not path.is_file():
        raise InputError(f"{what} file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file ({exc})") from None
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, dict[str, str]]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            cells = [c.strip() for c in next(csv.reader([raw], strict=True))]
        except csv.Error as exc:
            raise InputError(f"{path}, line {lineno}: malformed CSV ({exc})") from None
        if header is None:
            header, header_line = cells, lineno
            continue
        if len(cells) != len(header):
            raise InputError(
                f"{path}, line {lineno}: expected {len(header)} fields, found {len(cells)} "
                "(quote fields that contain commas)"
            )
        rows.append((lineno, dict(zip(header, cells, strict=True))))
    if header is None:
        raise InputError(f"{path}: empty file (no header line)")
    return header_line, header, rows


def load_reference_csv(path: str | Path) -> list[ReferenceRecord]:
    """Load and validate one reference-data CSV.

    Parameters
    ----------
    path : str or Path
        CSV file with the schema described in the module docstring.

    Returns
    -------
    list[ReferenceRecord]
        Records in file order, values in canonical units.

    Raises
    ------
    InputError
        If the file is missing, has missing/unknown columns, or any row is invalid (wrong unit,
        missing source, bad number...). The message names the file and line.
    """
    p = Path(path)
    header_line, header, rows = read_table(p, "reference data")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{p}, line {header_line}: header lacks column(s) {', '.join(missing)}; "
            f"required: {', '.join(REQUIRED_COLUMNS)}"
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InputError(
            f"{p}, line {header_line}: unknown column(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
        )
    if len(set(header)) != len(header):
        raise InputError(f"{p}, line {header_line}: duplicate column names in header")
    records = [_parse_row(cells, str(p), lineno) for lineno, cells in rows]
    logger.debug("loaded %d reference records from %s", len(records), p)
    return records


def load_contact_angles(path: str | Path | None = None) -> list[ReferenceRecord]:
    """Load molten-Li contact angles (the shipped set when ``path`` is None)."""
    recs = load_reference_csv(path if path is not None else shipped_data_path("contact_angles"))
    _require_properties(recs, {"contact_angle"})
    return recs


def load_li_diffusion(path: str | Path | None = None) -> list[ReferenceRecord]:
    """Load Li diffusion data (the shipped set when ``path`` is None)."""
    recs = load_reference_csv(path if path is not None else shipped_data_path("li_diffusion"))
    _require_properties(recs, {"diffusion_coefficient", "diffusion_prefactor", "activation_energy"})
    return recs


def _require_properties(recs: Sequence[ReferenceRecord], allowed: set[str]) -> None:
    for r in recs:
        if r.property not in allowed:
            raise InputError(
                f"{r.file}, line {r.line}: property {r.property!r} does not belong in this data "
                f"set (expected {', '.join(sorted(allowed))})"
            )


def load_reference_data(
    paths: Iterable[str | Path] = (), *, include_shipped: bool = True
) -> list[ReferenceRecord]:
    """Shipped data sets (optional) followed by user CSVs, all validated.

    Parameters
    ----------
    paths : iterable of paths
        User CSV files with the same schema.
    include_shipped : bool
        Prepend the shipped contact-angle and diffusion data sets.

    Returns
    -------
    list[ReferenceRecord]
    """
    out: list[ReferenceRecord] = []
    if include_shipped:
        for name in DATA_FILES:
            out.extend(load_reference_csv(shipped_data_path(name)))
    for p in paths:
        out.extend(load_reference_csv(p))
    return out


def records_to_frame(records: Sequence[ReferenceRecord]):
    """Records as a pandas DataFrame (one column per dataclass field plus ``temperature_mid_K``)."""
    import pandas as pd

    cols = [f.name for f in fields(ReferenceRecord)]
    rows = [
        {**{c: getattr(r, c) for c in cols}, "temperature_mid_K": r.temperature_mid_K}
        for r in records
    ]
    return pd.DataFrame(rows, columns=[*cols, "temperature_mid_K"])


def filter_records(
    records: Iterable[ReferenceRecord],
    *,
    property: str | None = None,
    methods: Iterable[str] | None = None,
    T_min_K: float | None = None,
    T_max_K: float | None = None,
    formula_only: bool = False,
    diffusion_types: Iterable[str] | None = None,
) -> list[ReferenceRecord]:
    """Select records by property, method (case-insensitive prefix), temperature window and
    diffusion type (e.g. ``("tracer", "self", "NMR")`` to leave out chemical coefficients).

    Records without a temperature pass the temperature window only when no window is given.
    """
    if property is not None and property not in UNITS:
        raise InputError(f"unknown property {property!r}; use one of {', '.join(PROPERTIES)}")
    dtypes = set(diffusion_types) if diffusion_types is not None else None
    if dtypes is not None and not dtypes <= set(DIFFUSION_TYPES):
        bad = sorted(dtypes - set(DIFFUSION_TYPES))
        raise InputError(
            f"unknown diffusion type(s) {', '.join(bad)}; use {', '.join(DIFFUSION_TYPES)}"
        )
    meths = [m.lower() for m in methods] if methods is not None else None
    out = []
    for r in records:
        if property is not None and r.property != property:
            continue
        if meths is not None and not any(r.method.lower().startswith(m) for m in meths):
            continue
        t = r.temperature_mid_K
        if (T_min_K is not None or T_max_K is not None) and t is None:
            continue
        if T_min_K is not None and t < T_min_K:
            continue
        if T_max_K is not None and t > T_max_K:
            continue
        if formula_only and r.reduced_formula is None:
            continue
        if dtypes is not None and r.diffusion_type not in dtypes:
            continue
        out.append(r)
    return out


def diffusion_at_temperature(records: Sequence[ReferenceRecord], T_K: float) -> dict[str, float]:
    """D(T) in cm^2/s for every formula system with both a prefactor and an activation energy.

    Uses ``D = D0 exp(-Ea / k_B T)``; when a system has several of either, the first pair in file
    order is used (``D0`` and ``Ea`` from the same source are preferred).

    Returns
    -------
    dict
        reduced formula -> D(T_K) in cm^2/s.
    """
    out: dict[str, float] = {}
    pre: dict[str, list[ReferenceRecord]] = {}
    ea: dict[str, list[ReferenceRecord]] = {}
    for r in records:
        if r.reduced_formula is None:
            continue
        if r.property == "diffusion_prefactor":
            pre.setdefault(r.reduced_formula, []).append(r)
        elif r.property == "activation_energy":
            ea.setdefault(r.reduced_formula, []).append(r)
    for f, d0s in pre.items():
        if f not in ea:
            continue
        same = [(d, e) for d in d0s for e in ea[f] if d.source == e.source]
        d0, e = same[0] if same else (d0s[0], ea[f][0])
        out[f] = float(arrhenius_D_cm2_s(T_K, d0.value, e.value))
    return out


# ----------------------------------------------------------------------------------------------
# matching computed systems to experiment
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExperimentalMatch:
    """A computed system matched by reduced formula to one or more experimental records.

    Attributes
    ----------
    system : str
        Computed system label as given.
    reduced_formula : str
        Common reduced formula.
    computed : float
        Computed value.
    experimental : float
        Aggregate of the matched records (canonical unit; geometric mean for diffusion
        coefficients and prefactors, median otherwise).
    n_records : int
        Number of experimental records aggregated.
    sources : tuple[str, ...]
        Distinct sources of those records.
    lines : tuple[str, ...]
        ``file:line`` of each record.
    """

    system: str
    reduced_formula: str
    computed: float
    experimental: float
    n_records: int
    sources: tuple[str, ...]
    lines: tuple[str, ...]


def match_systems(
    computed: Mapping[str, float] | Iterable[tuple[str, float]],
    records: Iterable[ReferenceRecord],
    *,
    property: str,
) -> tuple[list[ExperimentalMatch], list[str]]:
    """Match computed systems to experimental records of one property by reduced formula.

    Parameters
    ----------
    computed : mapping or iterable of (system, value)
        Computed systems (formulas; names that are not formulas never match) and values.
    records : iterable of ReferenceRecord
        Experimental records (any properties; only ``property`` is used).
    property : str
        One of :data:`PROPERTIES`.

    Returns
    -------
    (matches, unmatched)
        Matches in input order and the computed system labels without an experimental partner.
        Non-finite computed values are reported as unmatched.
    """
    if property not in UNITS:
        raise InputError(f"unknown property {property!r}; use one of {', '.join(PROPERTIES)}")
    by_formula: dict[str, list[ReferenceRecord]] = {}
    for r in records:
        if r.property == property and r.reduced_formula is not None:
            by_formula.setdefault(r.reduced_formula, []).append(r)
    items = computed.items() if isinstance(computed, Mapping) else computed
    matches: list[ExperimentalMatch] = []
    unmatched: list[str] = []
    log_agg = property in {"diffusion_coefficient", "diffusion_prefactor"}
    for system, value in items:
        f = reduced_formula(system)
        v = float(value) if value is not None else math.nan
        if f is None or f not in by_formula or not math.isfinite(v):
            unmatched.append(str(system))
            continue
        recs = by_formula[f]
        vals = [r.value for r in recs]
        if log_agg:
            exp_v = math.exp(sum(math.log(x) for x in vals) / len(vals))
        else:
            s = sorted(vals)
            m = len(s) // 2
            exp_v = s[m] if len(s) % 2 else 0.5 * (s[m - 1] + s[m])
        matches.append(
            ExperimentalMatch(
                system=str(system),
                reduced_formula=f,
                computed=v,
                experimental=float(exp_v),
                n_records=len(recs),
                sources=tuple(dict.fromkeys(r.source for r in recs)),
                lines=tuple(f"{r.file}:{r.line}" for r in recs),
            )
        )
    return matches, unmatched
