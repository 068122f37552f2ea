"""Cycler-file readers that return one normalised table.

Every reader returns a :class:`pandas.DataFrame` with exactly the columns of
:data:`NORMALISED_COLUMNS`:

``time_s``
    Elapsed test time (s), non-decreasing from the first record.
``voltage_V``
    Cell voltage (V), working electrode minus counter electrode.
``current_mA``
    Current (mA), the tester's sign: positive = oxidation (stripping of Li) at the working
    electrode ("charge" on Neware, ``I > 0`` on BioLogic).
``capacity_mAh``
    Charge passed since the start of the current half cycle (mAh, >= 0 for a well-behaved half
    cycle), from the tester's own charge counter where the file has one (Neware, BioLogic), else
    by trapezoidal integration of the current within the half cycle (CSV).
``cycle``
    ``(half_cycle + 1) // 2``: a cycle is two consecutive half cycles of opposite sign; 0 for the
    records before the first half cycle (open-circuit rest).
``half_cycle``
    1-based index of the maximal runs of steps with the same current sign; rest steps belong to the
    half cycle before them (0 before the first current step).
``step``
    1-based running index of the tester's steps (a new number each time the tester's step changes;
    for CSV files without a step column, each change between positive, negative and zero current).

The cycle and half-cycle numbers follow these rules for every format, so that a Neware, a
BioLogic and a CSV file of the same experiment give the same numbers (the testers' own cycle
counters differ: Neware counts "charge first", BioLogic counts loops of its sequence).

A file that is truncated or not in the expected format raises :class:`alloyscreen.errors.InputError`
naming the file; a partial table is never returned silently. Known limit: a Neware ``.nda``
(version 29) cut exactly at a record boundary, or a CSV cut exactly at a line end, cannot be told
apart from a shorter experiment.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from alloyscreen.errors import InputError, require

logger = logging.getLogger(__name__)

#: Columns of the normalised cycling table, in order.
NORMALISED_COLUMNS: tuple[str, ...] = (
    "time_s",
    "voltage_V",
    "current_mA",
    "capacity_mAh",
    "cycle",
    "half_cycle",
    "step",
)

#: File extensions each reader handles (lower case).
NEWARE_EXTENSIONS = (".nda", ".ndax")
BIOLOGIC_EXTENSIONS = (".mpr",)
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")

#: Column names recognised in CSV files without an explicit mapping: normalised name ->
#: ((column name in the file, factor to the normalised unit), ...). Matching ignores case.
CSV_ALIASES: dict[str, tuple[tuple[str, float], ...]] = {
    "time_s": (
        ("time_s", 1.0),
        ("time/s", 1.0),
        ("test_time(s)", 1.0),  # Arbin
        ("test time (s)", 1.0),
        ("time(s)", 1.0),
        ("time (s)", 1.0),
        ("total time (s)", 1.0),
        ("time_h", 3600.0),
        ("time/h", 3600.0),
    ),
    "voltage_V": (
        ("voltage_V", 1.0),
        ("voltage(v)", 1.0),  # Arbin
        ("voltage (v)", 1.0),
        ("ecell/v", 1.0),  # BioLogic text export
        ("ewe/v", 1.0),
        ("voltage", 1.0),
    ),
    "current_mA": (
        ("current_mA", 1.0),
        ("current(ma)", 1.0),  # Neware export
        ("current (ma)", 1.0),
        ("i/ma", 1.0),  # BioLogic text export
        ("current(a)", 1000.0),  # Arbin
        ("current (a)", 1000.0),
        ("current_A", 1000.0),
    ),
    "step": (("step", 1.0), ("step_index", 1.0), ("ns", 1.0)),
}

_TIME_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}
_CURRENT_UNITS = {"mA": 1.0, "A": 1000.0, "uA": 1e-3}


# --------------------------------------------------------------------------------------------
# normalisation shared by all readers
# --------------------------------------------------------------------------------------------


def _runs(values: np.ndarray) -> np.ndarray:
    """1-based run index of consecutive equal values."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.empty(len(values), dtype=bool)
    change[0] = True
    change[1:] = values[1:] != values[:-1]
    return np.cumsum(change).astype(np.int64)


def normalise(
    time_s: np.ndarray,
    voltage_V: np.ndarray,
    current_mA: np.ndarray,
    *,
    step: np.ndarray | None = None,
    charge_mAh: np.ndarray | None = None,
    source: str = "<data>",
    rest_threshold_mA: float | None = None,
) -> pd.DataFrame:
    """Build the normalised table from raw arrays.

    Parameters
    ----------
    time_s, voltage_V, current_mA
        Elapsed time (s), cell voltage (V) and current (mA, positive = oxidation at the working
        electrode), one value per record.
    step
        The tester's step identifier per record (any values; a change starts a new step). When
        None, steps are the runs of positive, negative and zero current.
    charge_mAh
        A cumulative signed charge counter (mAh) if the file has one; otherwise the capacity is
        integrated from the current (trapezoidal rule, within each half cycle).
    source
        Name of the file, used in error messages.
    rest_threshold_mA
        Currents with ``|I|`` at or below this count as rest (default: 0.1 % of the largest
        ``|I|`` in the file, at least 1e-9 mA).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NORMALISED_COLUMNS`; ``attrs["source"]`` holds ``source``.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    i = np.asarray(current_mA, dtype=float)
    n = len(t)
    if n == 0:
        raise InputError(f"{source}: the file holds no data records")
    if len(v) != n or len(i) != n:
        raise InputError(f"{source}: time, voltage and current columns differ in length")
    for name, arr in (("time", t), ("voltage", v), ("current", i)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise InputError(
                f"{source}: {name} is missing or not a number in record {int(np.argmax(bad)) + 1}"
                " (a damaged or truncated file?)"
            )
    if n > 1 and np.any(np.diff(t) < 0):
        k = int(np.argmax(np.diff(t) < 0)) + 2
        raise InputError(
            f"{source}: time goes backwards at record {k}; concatenated or corrupted data? "
            "Split the file or fix the time column."
        )

    thr = rest_threshold_mA
    if thr is None:
        thr = max(1e-9, 1e-3 * float(np.max(np.abs(i))))
    state = np.where(i > thr, 1, np.where(i < -thr, -1, 0))
    steps = _runs(state) if step is None else _runs(np.asarray(step))

    # sign of each step: sign of its median current
    n_steps = int(steps[-1])
    starts = np.flatnonzero(np.r_[True, steps[1:] != steps[:-1]])
    ends = np.r_[starts[1:], n]
    step_sign = np.zeros(n_steps, dtype=np.int64)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        med = float(np.median(i[a:b]))
        step_sign[k] = 1 if med > thr else (-1 if med < -thr else 0)

    hc_of_step = np.zeros(n_steps, dtype=np.int64)
    hc, last = 0, 0
    for k, s in enumerate(step_sign):
        if s != 0 and s != last:
            hc += 1
            last = s
        hc_of_step[k] = hc
    half_cycle = hc_of_step[steps - 1]
    cycle = (half_cycle + 1) // 2

    # capacity since the start of the half cycle, signed by the half cycle's direction
    hc_sign = np.zeros(hc + 1, dtype=np.int64)
    for k, s in enumerate(step_sign):
        if s != 0:
            hc_sign[hc_of_step[k]] = s
    row_sign = hc_sign[half_cycle]
    hc_start = np.flatnonzero(np.r_[True, half_cycle[1:] != half_cycle[:-1]])
    first_row = np.repeat(hc_start, np.diff(np.r_[hc_start, n]))
    if charge_mAh is not None:
        q = np.asarray(charge_mAh, dtype=float)
        if len(q) != n or not np.all(np.isfinite(q)):
            raise InputError(f"{source}: the charge counter is incomplete (damaged file?)")
    else:
        dq = np.zeros(n)
        dq[1:] = 0.5 * (i[1:] + i[:-1]) * np.diff(t) / 3600.0
        dq[hc_start] = 0.0  # no charge carried across a half-cycle boundary
        q = np.cumsum(dq)
    capacity = row_sign * (q - q[first_row])
    capacity[half_cycle == 0] = 0.0

    table = pd.DataFrame(
        {
            "time_s": t,
            "voltage_V": v,
            "current_mA": i,
            "capacity_mAh": capacity,
            "cycle": cycle.astype(np.int64),
            "half_cycle": half_cycle.astype(np.int64),
            "step": steps.astype(np.int64),
        }
    )
    table.attrs["source"] = source
    return table


# --------------------------------------------------------------------------------------------
# Neware
# --------------------------------------------------------------------------------------------


def _check_nda_complete(path: Path) -> None:
    """Raise InputError if a version-29 .nda file does not end on a whole data record."""
    data = path.read_bytes()
    if data[:6] != b"NEWARE":
        raise InputError(f"{path}: not a Neware .nda file (no NEWARE header)")
    if len(data) > 14 and data[14] == 29:
        record_len = 86  # NewareNDA 2024+ _read_nda_29: records of 86 bytes after the header
        start = data.find(b"\x00\x00\x00\x00\x55\x00")
        if start == -1:
            raise InputError(f"{path}: no data records found (truncated or damaged .nda file)")
        if (len(data) - (start + 4)) % record_len != 0:
            raise InputError(
                f"{path}: the .nda file ends in the middle of a data record; it is truncated "
                "(copy it again from the tester's computer)"
            )


def _check_ndax_complete(path: Path) -> None:
    """Raise InputError unless ``path`` is a complete zip archive whose members pass their CRC."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(
            f"{path}: not a readable .ndax file (an .ndax is a zip archive; this one is truncated "
            f"or in another format: {exc})"
        ) from exc
    if bad is not None:
        raise InputError(f"{path}: member {bad} of the .ndax archive is damaged (CRC error)")
    if "data.ndc" not in names:
        raise InputError(f"{path}: the .ndax archive has no data.ndc member")


def read_neware(path: str | Path) -> pd.DataFrame:
    """Read a Neware ``.nda`` or ``.ndax`` file (needs the ``cells`` extra: NewareNDA).

    Neware's per-step time and charge counters are accumulated into elapsed time and a signed
    charge counter before :func:`normalise`.
    """
    path = Path(path)
    _check_exists(path)
    ext = path.suffix.lower()
    if ext not in NEWARE_EXTENSIONS:
        raise InputError(f"{path}: a Neware file must end in .nda or .ndax")
    purpose = "reading Neware .nda/.ndax files"
    require("NewareNDA", "cells", purpose)
    if ext == ".nda":
        _check_nda_complete(path)
    else:
        _check_ndax_complete(path)
    try:
        # The module-level readers do not change NewareNDA's logger level (NewareNDA.read does).
        if ext == ".nda":
            mod = require("NewareNDA.NewareNDA", "cells", purpose)
            raw = mod.read_nda(str(path), False)
        else:
            mod = require("NewareNDA.NewareNDAx", "cells", purpose)
            raw = mod.read_ndax(str(path), False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{path}: cannot read as a Neware file ({type(exc).__name__}: {exc})"
        ) from exc
    needed = ["Step", "Time", "Voltage", "Current(mA)"]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: NewareNDA returned no {missing} columns")
    if len(raw) == 0:
        raise InputError(f"{path}: the file holds no data records")

    step = raw["Step"].to_numpy()
    step_time = raw["Time"].to_numpy(dtype=float)
    run = _runs(step)
    starts = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    ends = np.r_[starts[1:], len(run)]
    # each step's clock starts at 0: add the summed durations of the steps before it
    durations = step_time[ends - 1]
    offsets = np.r_[0.0, np.cumsum(durations)[:-1]]
    time_s = step_time + np.repeat(offsets, ends - starts)

    charge = raw.get("Charge_Capacity(mAh)")
    discharge = raw.get("Discharge_Capacity(mAh)")
    q = None
    if charge is not None and discharge is not None:
        q_step = charge.to_numpy(dtype=float) - discharge.to_numpy(dtype=float)
        q_off = np.r_[0.0, np.cumsum(q_step[ends - 1])[:-1]]
        q = q_step + np.repeat(q_off, ends - starts)
    table = normalise(
        time_s,
        raw["Voltage"].to_numpy(dtype=float),
        raw["Current(mA)"].to_numpy(dtype=float),
        step=step,
        charge_mAh=q,
        source=str(path),
    )
    table.attrs["format"] = "neware-" + ext[1:]
    return table


# --------------------------------------------------------------------------------------------
# BioLogic
# --------------------------------------------------------------------------------------------


def read_biologic(path: str | Path) -> pd.DataFrame:
    """Read a BioLogic EC-Lab ``.mpr`` file (needs the ``biologic`` extra: galvani, GPL-3.0).

    Voltage: ``Ecell/V`` if present, else ``Ewe/V``. Current: ``I/mA`` if present, else derived
    from the per-record charge ``dq/mA.h`` (GCPL files store no current column). Charge counter:
    ``(Q-Qo)/mA.h``. Steps: changes of the sequence number ``Ns`` or of EC-Lab's ``half cycle``.
    """
    path = Path(path)
    _check_exists(path)
    biologic = require("galvani.BioLogic", "biologic", "reading BioLogic .mpr files")
    try:
        mpr = biologic.MPRfile(str(path))
        data = mpr.data
    except Exception as exc:
        reason = " ".join(str(exc).split())
        raise InputError(
            f"{path}: cannot read as a BioLogic .mpr file; it is truncated or in another format "
            f"({type(exc).__name__}: {reason})"
        ) from exc
    names = data.dtype.names or ()
    if len(data) == 0:
        raise InputError(f"{path}: the file holds no data records")
    if "time/s" not in names:
        raise InputError(f"{path}: no time/s column in the .mpr data")
    time_s = np.asarray(data["time/s"], dtype=float)
    if "Ecell/V" in names:
        voltage = np.asarray(data["Ecell/V"], dtype=float)
    elif "Ewe/V" in names:
        voltage = np.asarray(data["Ewe/V"], dtype=float)
    else:
        raise InputError(f"{path}: no Ewe/V or Ecell/V column in the .mpr data")
    dq = np.asarray(data["dq/mA.h"], dtype=float) if "dq/mA.h" in names else None
    if "I/mA" in names:
        current = np.asarray(data["I/mA"], dtype=float)
    elif dq is not None:
        dt = np.diff(time_s, prepend=time_s[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            current = np.where(dt > 0, dq * 3600.0 / np.where(dt > 0, dt, 1.0), 0.0)
    else:
        raise InputError(f"{path}: no I/mA or dq/mA.h column to take the current from")
    if "(Q-Qo)/mA.h" in names:
        charge = np.asarray(data["(Q-Qo)/mA.h"], dtype=float)
    elif dq is not None:
        charge = np.cumsum(dq)
    else:
        charge = None
    step = None
    keys = [np.asarray(data[c]) for c in ("Ns", "half cycle") if c in names]
    if keys:
        change = np.zeros(len(time_s), dtype=bool)
        for key in keys:
            change[1:] |= key[1:] != key[:-1]
        step = np.cumsum(change)
    table = normalise(time_s, voltage, current, step=step, charge_mAh=charge, source=str(path))
    table.attrs["format"] = "biologic-mpr"
    return table


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _find_column(
    header: list[str], aliases: tuple[tuple[str, float], ...]
) -> tuple[str, float] | None:
    lower = {h.strip().lower(): h for h in header}
    for name, factor in aliases:
        if name.lower() in lower:
            return lower[name.lower()], factor
    return None


def read_csv(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    time_unit: str = "s",
    current_unit: str = "mA",
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a delimited text export (CSV/TSV) with a column mapping.

    Parameters
    ----------
    path
        The file. Lines at the top starting with ``#`` are skipped (metadata).
    columns
        Mapping of normalised names (``time_s``, ``voltage_V``, ``current_mA`` and optionally
        ``step``) to the file's column names. Names not given are looked up in
        :data:`CSV_ALIASES` (case-insensitive), which also carries the unit factor of each alias.
    time_unit, current_unit
        Units of the explicitly mapped time (``s``, ``min``, ``h``) and current (``mA``, ``A``,
        ``uA``) columns.
    sep
        Delimiter; guessed from the header line (comma, semicolon or tab) when None.

    Notes
    -----
    ``cycle``, ``half_cycle`` and ``capacity_mAh`` are always recomputed with the rules of
    :func:`normalise` (capacity by integrating the current), whatever columns the file has:
    capacity columns in CSV exports differ in sign and reset conventions between testers.
    A file whose last line has no line break is treated as truncated.
    """
    path = Path(path)
    _check_exists(path)
    if time_unit not in _TIME_UNITS:
        raise InputError(f"time unit {time_unit!r} unknown; use one of {sorted(_TIME_UNITS)}")
    if current_unit not in _CURRENT_UNITS:
        raise InputError(
            f"current unit {current_unit!r} unknown; use one of {sorted(_CURRENT_UNITS)}"
        )
    raw_bytes = path.read_bytes()
    if not raw_bytes.strip():
        raise InputError(f"{path}: the file is empty")
    if b"\x00" in raw_bytes[:4096]:
        raise InputError(
            f"{path}: binary content, not a text (CSV) file; Neware files must end in .nda/.ndax, "
            "BioLogic files in .mpr"
        )
    if not raw_bytes.endswith((b"\n", b"\r")):
        raise InputError(
            f"{path}: the last line has no line break, so the file looks truncated; if it is "
            "complete, add a line break at its end"
        )
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw_bytes.decode("latin-1")
    lines = text.splitlines()
    n_comment = 0
    while n_comment < len(lines) and lines[n_comment].lstrip().startswith("#"):
        n_comment += 1
    if n_comment >= len(lines):
        raise InputError(f"{path}: no header line found")
    header_line = lines[n_comment]
    if sep is None:
        counts = {d: header_line.count(d) for d in (",", ";", "\t")}
        sep = max(counts, key=lambda d: counts[d])
        if counts[sep] == 0:
            raise InputError(f"{path}: cannot find a delimiter (, ; or tab) in the header line")
    try:
        frame = pd.read_csv(path, sep=sep, skiprows=n_comment, skipinitialspace=True)
    except Exception as exc:
        raise InputError(f"{path}: not a readable CSV file ({type(exc).__name__}: {exc})") from exc
    header = [str(c) for c in frame.columns]

    chosen: dict[str, tuple[str, float]] = {}
    mapping = dict(columns or {})
    unknown = set(mapping) - {"time_s", "voltage_V", "current_mA", "step"}
    if unknown:
        raise InputError(
            f"unknown column mapping key(s) {sorted(unknown)}; use time_s, voltage_V, current_mA, step"
        )
    factors = {
        "time_s": _TIME_UNITS[time_unit],
        "current_mA": _CURRENT_UNITS[current_unit],
        "voltage_V": 1.0,
        "step": 1.0,
    }
    for key in ("time_s", "voltage_V", "current_mA", "step"):
        if key in mapping:
            if mapping[key] not in header:
                raise InputError(
                    f"{path}: column {mapping[key]!r} (mapped to {key}) not found; columns are {header}"
                )
            chosen[key] = (mapping[key], factors[key])
        else:
            found = _find_column(header, CSV_ALIASES[key])
            if found is not None:
                chosen[key] = found
    missing = [k for k in ("time_s", "voltage_V", "current_mA") if k not in chosen]
    if missing:
        raise InputError(
            f"{path}: cannot find column(s) for {missing}; columns are {header}. Map them, e.g. "
            "--columns time_s=Time,voltage_V=Voltage,current_mA=Current"
        )

    arrays: dict[str, np.ndarray] = {}
    for key in ("time_s", "voltage_V", "current_mA"):
        col, factor = chosen[key]
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            line = n_comment + 2 + int(np.argmax(bad))
            raise InputError(
                f"{path}: column {col!r} is empty or not a number on line {line} "
                "(truncated or damaged file?)"
            )
        arrays[key] = values * factor
    step = frame[chosen["step"][0]].to_numpy() if "step" in chosen else None
    table = normalise(
        arrays["time_s"], arrays["voltage_V"], arrays["current_mA"], step=step, source=str(path)
    )
    table.attrs["format"] = "csv"
    return table


def write_csv(table: pd.DataFrame, path: str | Path, *, header_lines: tuple[str, ...] = ()) -> Path:
    """Write a normalised table as CSV (``#`` metadata lines first) that :func:`read_csv` reads."""
    path = Path(path)
    missing = [c for c in NORMALISED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"the table lacks the normalised column(s) {missing}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for line in header_lines:
            fh.write("# " + line.replace("\n", " ") + "\n")
        table.loc[:, list(NORMALISED_COLUMNS)].to_csv(
            fh, index=False, float_format="%.10g", lineterminator="\n"
        )
    return path


# --------------------------------------------------------------------------------------------
# dispatch
# --------------------------------------------------------------------------------------------


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")


def read_cycler_file(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    time_unit: str = "s",
    current_unit: str = "mA",
) -> pd.DataFrame:
    """Read any supported cycler file by its extension into the normalised table.

    ``.nda``/``.ndax``: :func:`read_neware`; ``.mpr``: :func:`read_biologic`;
    ``.csv``/``.tsv``/``.txt``: :func:`read_csv` (``columns``, ``time_unit``, ``current_unit``
    apply to CSV only).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext in NEWARE_EXTENSIONS:
        return read_neware(path)
    if ext in BIOLOGIC_EXTENSIONS:
        return read_biologic(path)
    if ext in CSV_EXTENSIONS:
        return read_csv(path, columns, time_unit=time_unit, current_unit=current_unit)
    raise InputError(
        f"{path}: unknown file type {ext or '(no extension)'!r}; supported: "
        + ", ".join(NEWARE_EXTENSIONS + BIOLOGIC_EXTENSIONS + CSV_EXTENSIONS)
    )
