"""The asymmetric-cell protocol from cycler files: one symmetric and several asymmetric cells.

:func:`compare_files` reads the files (any supported format), analyses each with its foil
thickness and returns the :class:`~alloyscreen.experiments.cells.verdict.ProtocolVerdict`. The
thin-foil thickness of each asymmetric file is given explicitly or read from the ``#`` metadata
lines that ``alloyscreen cells simulate`` writes (``kind=asymmetric thin_li_um=20.0 ...``); a file
without either is an error (no silent default thickness).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.analysis import CellAnalysis, CellProtocol, analyze_cell
from alloyscreen.experiments.cells.readers import read_cycler_file
from alloyscreen.experiments.cells.verdict import ProtocolVerdict, compare_protocol

_KEY_VALUE = re.compile(r"([A-Za-z_]+)=([^\s]+)")


def file_metadata(path: str | Path) -> dict[str, str]:
    """``key=value`` pairs of the leading ``#`` lines of a text file ({} for other files)."""
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".tsv", ".txt") or not p.is_file():
        return {}
    out: dict[str, str] = {}
    with p.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            out.update(dict(_KEY_VALUE.findall(line)))
    return out


@dataclass(frozen=True)
class CellRecord:
    """One analysed file of the protocol."""

    path: Path
    role: str  # "symmetric" | "asymmetric"
    table: pd.DataFrame
    analysis: CellAnalysis


def _thickness(path: Path, role: str, given: float | None, thick_li_um: float) -> float:
    if given is not None:
        return float(given)
    meta = file_metadata(path)
    if meta:
        kind = meta.get("kind")
        if kind and kind != role:
            raise InputError(f"{path}: the file says kind={kind}, but it was given as {role}")
        key = "thick_li_um" if role == "symmetric" else "thin_li_um"
        if key in meta:
            try:
                return float(meta[key])
            except ValueError:
                raise InputError(f"{path}: metadata {key}={meta[key]!r} is not a number") from None
    if role == "symmetric":
        return float(thick_li_um)
    raise InputError(
        f"{path}: thin Li thickness unknown; give it (--thin-li-um, one per asymmetric file, or "
        "thin_li_um in the experiments file)"
    )


def analyze_protocol_file(
    path: str | Path,
    role: str,
    *,
    thin_li_um: float | None = None,
    thick_li_um: float = 100.0,
    current_mA_cm2: float = 0.5,
    capacity_mAh_cm2: float = 0.5,
    area_cm2: float = 0.785,
    cutoff_V: float = 5.0,
    columns: Mapping[str, str] | None = None,
) -> CellRecord:
    """Read and analyse one file of the protocol (``role``: symmetric or asymmetric)."""
    p = Path(path)
    if role not in ("symmetric", "asymmetric"):
        raise InputError(f"role {role!r} must be symmetric or asymmetric")
    thin = _thickness(p, role, thin_li_um, thick_li_um)
    protocol = CellProtocol(
        thin_li_um=thin,
        thick_li_um=thick_li_um,
        current_mA_cm2=current_mA_cm2,
        capacity_mAh_cm2=capacity_mAh_cm2,
        area_cm2=area_cm2,
        cutoff_V=cutoff_V,
    )
    table = read_cycler_file(p, columns=columns)
    try:
        analysis = analyze_cell(table, protocol)
    except InputError as exc:
        raise InputError(f"{p}: {exc}") from None
    return CellRecord(p, role, table, analysis)


def compare_files(
    symmetric: str | Path,
    asymmetric: Sequence[str | Path],
    *,
    thin_li_um: Sequence[float] | None = None,
    **protocol: object,
) -> tuple[ProtocolVerdict, tuple[CellRecord, ...]]:
    """The protocol's verdict from files: ``(verdict, (symmetric record, asymmetric records...))``.

    ``thin_li_um``: one thickness per asymmetric file (None: from the files' metadata).
    ``protocol``: ``thick_li_um``, ``current_mA_cm2``, ``capacity_mAh_cm2``, ``area_cm2``,
    ``cutoff_V``, ``columns`` (as in :func:`analyze_protocol_file`).
    """
    if not asymmetric:
        raise InputError("give at least one asymmetric cell file")
    if thin_li_um is not None and len(thin_li_um) != len(asymmetric):
        raise InputError(
            f"{len(thin_li_um)} thin-Li thickness(es) for {len(asymmetric)} asymmetric file(s); "
            "give one per file"
        )
    sym = analyze_protocol_file(symmetric, "symmetric", **protocol)  # type: ignore[arg-type]
    asym = tuple(
        analyze_protocol_file(
            f, "asymmetric", thin_li_um=None if thin_li_um is None else thin_li_um[i],
            **protocol,  # type: ignore[arg-type]
        )
        for i, f in enumerate(asymmetric)
    )  # fmt: skip
    verdict = compare_protocol(sym.analysis, [a.analysis for a in asym])
    return verdict, (sym, *asym)


def plot_protocol(records: Sequence[CellRecord], verdict: ProtocolVerdict, path: str | Path):
    """Profiles of every cell and polarization vs cycle, titled with the verdict; saved to
    ``path`` (PNG)."""
    from alloyscreen.experiments.cells.plots import plot_symmetric_vs_asymmetric, save_figure

    sym, *asym = records
    fig = plot_symmetric_vs_asymmetric(
        (sym.table, sym.analysis),
        [(f"asymmetric {a.analysis.protocol.thin_li_um:g} um", a.table, a.analysis) for a in asym],
    )
    fig.suptitle(verdict.verdict, fontsize=10)
    return save_figure(fig, path)


@dataclass(frozen=True)
class AnalysedFile:
    """One cycler file analysed: the normalised table, the analysis and its JSON summary
    (``summary_dict`` plus ``file``, ``format`` and, when a plot was written, ``plot``)."""

    path: Path
    table: pd.DataFrame
    analysis: CellAnalysis
    summary: dict


def analyze_file(
    path: str | Path,
    *,
    thin_li_um: float = 20.0,
    thick_li_um: float = 100.0,
    current_mA_cm2: float = 0.5,
    capacity_mAh_cm2: float = 0.5,
    area_cm2: float = 0.785,
    cutoff_V: float = 5.0,
    columns: Mapping[str, str] | None = None,
    time_unit: str = "s",
    current_unit: str = "mA",
    plot: str | Path | None = None,
) -> AnalysedFile:
    """``alloyscreen cells analyze``: read one cycler file, analyse it with the nominal protocol
    (thicknesses in um, current density in mA/cm2, charge per half cycle in mAh/cm2, area in cm2,
    voltage limit in V) and, with ``plot``, write the voltage profile and polarization (PNG).

    Raises
    ------
    InputError
        Unreadable file, bad column mapping or units, or a protocol the data contradict.
    """
    from alloyscreen.experiments.cells.analysis import summary_dict

    p = Path(path)
    protocol = CellProtocol(
        thin_li_um=thin_li_um,
        thick_li_um=thick_li_um,
        current_mA_cm2=current_mA_cm2,
        capacity_mAh_cm2=capacity_mAh_cm2,
        area_cm2=area_cm2,
        cutoff_V=cutoff_V,
    )
    table = read_cycler_file(p, columns=columns, time_unit=time_unit, current_unit=current_unit)
    analysis = analyze_cell(table, protocol)
    summary = summary_dict(analysis)
    summary["file"] = str(p)
    summary["format"] = table.attrs.get("format")
    if plot is not None:
        from alloyscreen.experiments.cells.plots import plot_analysis, save_figure

        save_figure(plot_analysis(table, analysis, title=p.name), plot)
        summary["plot"] = str(plot)
    return AnalysedFile(p, table, analysis, summary)
