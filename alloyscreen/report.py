"""Shortlist export (CSV, JSON, XLSX, Markdown) and the campaign report (Markdown + HTML + PNGs).

Plots are matplotlib ``Figure`` objects saved directly (no pyplot, no backend switching).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError
from alloyscreen.ranking import DESCRIPTORS, EXTRA_FIELDS, RankedCandidate

logger = logging.getLogger(__name__)

EXPORT_FORMATS = ("csv", "json", "xlsx", "md")

CATEGORY_COLOURS = {
    "alloy": "#1f77b4",
    "li_metal": "#2ca02c",
    "metal": "#ff7f0e",
    "sei": "#d62728",
    "element": "#7f7f7f",
    "other": "#9467bd",
}

COLUMN_LABELS = {
    "rank": "rank",
    "id": "id",
    "formula": "formula",
    "category": "category",
    "score": "score",
    "pareto": "Pareto",
    "w_adh_J_m2": "W_ad (J/m²)",
    "predicted_contact_angle_deg": "θ pred. (°)",
    "network_barrier_eV": "E* (eV)",
    "D_298K_cm2_s": "D 298 K (cm²/s)",
    "percolation_margin": "V_p − V_FM",
    "e_above_hull_eV_atom": "E_hull (eV/at)",
    "formation_energy_eV_atom": "E_f (eV/at)",
    "morphology": "morphology",
    "v_p": "V_p",
    "target_v_fm": "target V_FM",
    "max_fraction": "largest fraction",
    "limited_by": "limited by",
    "gain_vs_baseline": "gain vs baseline",
}
#: The narrower shortlist printed in a terminal.
TERMINAL_COLUMNS = (
    "rank",
    "id",
    "score",
    "w_adh_J_m2",
    "predicted_contact_angle_deg",
    "network_barrier_eV",
    "percolation_margin",
    "e_above_hull_eV_atom",
)
TERMINAL_LABELS = {
    "rank": "#",
    "score": "score",
    "w_adh_J_m2": "W_ad",
    "predicted_contact_angle_deg": "θ",
    "network_barrier_eV": "E*",
    "percolation_margin": "margin",
    "e_above_hull_eV_atom": "E_hull",
}
TERMINAL_CAPTION = (
    "W_ad J/m², θ predicted contact angle (°), E* network barrier (eV), margin V_p − V_FM, "
    "E_hull eV/atom; * Pareto-optimal"
)
DESIGN_COLUMNS = (
    "morphology",
    "v_p",
    "target_v_fm",
    "max_fraction",
    "limited_by",
    "gain_vs_baseline",
)
OBSERVATION_COLUMNS = (
    "composition",
    "fraction",
    "v_fm",
    "outcome",
    "evidence_kind",
    "citation",
    "doi",
)
TABLE_COLUMNS = (
    "rank",
    "id",
    "formula",
    "category",
    "score",
    "pareto",
    "w_adh_J_m2",
    "predicted_contact_angle_deg",
    "network_barrier_eV",
    "D_298K_cm2_s",
    "percolation_margin",
    "e_above_hull_eV_atom",
)


def shortlist_records(ranked: Sequence[RankedCandidate]) -> list[dict[str, Any]]:
    """Flat records (one per candidate) for export."""
    return [r.as_record() for r in ranked]


def format_cell(rec: Mapping[str, Any], col: str) -> str:
    """Text of column ``col`` of a shortlist record (status word when the value is missing)."""
    value = rec.get(col)
    status = rec.get(f"{col}_status")
    if value is None:
        if col == "pareto":
            return "n/a"
        return status or ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if col.startswith("D_"):
            return f"{value:.2e}"
        if col == "predicted_contact_angle_deg":
            return f"{value:.0f}"
        return f"{value:.3f}"
    return str(value)


def terminal_table(records: Sequence[Mapping[str, Any]], *, title: str = "Shortlist") -> Any:
    """A ``rich`` table of shortlist records, narrow enough for an 80-column terminal."""
    from rich.table import Table

    table = Table(title=title, caption=TERMINAL_CAPTION)
    for col in TERMINAL_COLUMNS:
        table.add_column(TERMINAL_LABELS.get(col, col), no_wrap=col != "id")
    for rec in records:
        cells = [format_cell(rec, c) for c in TERMINAL_COLUMNS]
        if rec.get("pareto"):
            cells[0] += "*"
        table.add_row(*cells)
    return table


def markdown_table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str] = TABLE_COLUMNS
) -> str:
    """A GitHub-flavoured Markdown table of ``records``."""
    head = "| " + " | ".join(COLUMN_LABELS.get(c, c) for c in columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    rows = ["| " + " | ".join(format_cell(r, c) for c in columns) + " |" for r in records]
    return "\n".join([head, sep, *rows])


def export_shortlist(
    ranked: Sequence[RankedCandidate], path: str | Path, fmt: str | None = None
) -> Path:
    """Write the shortlist as CSV, JSON, XLSX or Markdown (format from ``fmt`` or the suffix)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(
            f"unknown export format '{fmt}' for {path}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    records = shortlist_records(ranked)
    if fmt == "json":
        from alloyscreen.serialization import to_jsonable

        path.write_text(json.dumps(to_jsonable(records), indent=2) + "\n")
    elif fmt == "md":
        path.write_text(markdown_table(records) + "\n")
    else:
        import pandas as pd

        frame = pd.DataFrame([{k: v for k, v in r.items() if k != "errors"} for r in records])
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_excel(path, index=False, sheet_name="shortlist")
    return path


# ----------------------------------------------------------------------------------------------
# plots
# ----------------------------------------------------------------------------------------------
def _figure(width: float = 6.4, height: float = 4.2):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    return fig, fig.add_subplot()


def plot_pareto(ranked: Sequence[RankedCandidate], path: str | Path) -> Path | None:
    """W_ad (x, higher better) vs network barrier (y, lower better); Pareto front marked."""
    pts = [
        r
        for r in ranked
        if r.values.get("w_adh_J_m2") is not None and r.values.get("network_barrier_eV") is not None
    ]
    if not pts:
        return None
    fig, ax = _figure()
    for r in pts:
        x, y = r.values["w_adh_J_m2"], r.values["network_barrier_eV"]
        ax.scatter(
            x,
            y,
            s=60 + 240 * r.score,
            color=CATEGORY_COLOURS.get(r.category, "grey"),
            edgecolor="black" if r.pareto else "none",
            linewidth=1.5,
            zorder=3,
        )
        ax.annotate(r.formula, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    front = sorted((r for r in pts if r.pareto), key=lambda r: r.values["w_adh_J_m2"])
    if len(front) > 1:
        ax.plot(
            [r.values["w_adh_J_m2"] for r in front],
            [r.values["network_barrier_eV"] for r in front],
            "k--",
            lw=1,
            zorder=2,
            label="Pareto front",
        )
    for cat in sorted({r.category for r in pts}):
        ax.scatter([], [], color=CATEGORY_COLOURS.get(cat, "grey"), label=cat)
    ax.set_xlabel("Li affinity: W_ad with Li (J/m²)  → better")
    ax.set_ylabel("Li mobility: network barrier E* (eV)  ↓ better")
    ax.set_title("Screening map (marker size ∝ score; outlined = Pareto-optimal)", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.savefig(path)
    return Path(path)


def plot_bars(
    ranked: Sequence[RankedCandidate], name: str, path: str | Path, *, label: str
) -> Path | None:
    """Horizontal bars of one descriptor, best at the top, coloured by category; gaps labelled."""
    rows = [r for r in ranked]
    if not any(r.values.get(name) is not None for r in rows):
        return None
    direction = next((d.direction for d in DESCRIPTORS if d.name == name), 1)
    have = sorted(
        (r for r in rows if r.values.get(name) is not None),
        key=lambda r: r.values[name],
        reverse=direction < 0,
    )
    lacking = [r for r in rows if r.values.get(name) is None]
    fig, ax = _figure(6.4, 0.8 + 0.32 * (len(have) + len(lacking)))
    labels = [f"{r.formula} ({r.id})" for r in have] + [f"{r.formula} ({r.id})" for r in lacking]
    vals = [r.values[name] for r in have] + [0.0] * len(lacking)
    colours = [CATEGORY_COLOURS.get(r.category, "grey") for r in have] + ["white"] * len(lacking)
    ypos = range(len(labels))
    ax.barh(list(ypos), vals, color=colours, edgecolor="black", linewidth=0.5)
    for i, r in enumerate(lacking, start=len(have)):
        ax.text(0, i, f"  {r.status.get(name, 'missing')}", va="center", fontsize=8, color="grey")
    ax.set_yticks(list(ypos), labels, fontsize=8)
    ax.set_xlabel(label)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=CATEGORY_COLOURS.get(cat, "grey"), label=cat)
        for cat in sorted({r.category for r in rows})
    ]
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path)
    return Path(path)


# ----------------------------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------------------------
@dataclass
class Section:
    """A report section: Markdown-ish paragraphs, an optional table and images."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: str | None = None
    table_records: list[dict[str, Any]] | None = None
    table_columns: Sequence[str] = TABLE_COLUMNS
    images: list[tuple[str, str]] = field(default_factory=list)  # (relative path, caption)
    preformatted: str | None = None


def _html_table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str] = TABLE_COLUMNS
) -> str:
    head = "".join(f"<th>{html.escape(COLUMN_LABELS.get(c, c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_cell(r, c))}</td>" for c in columns) + "</tr>"
        for r in records
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _render(title: str, sections: Sequence[Section]) -> tuple[str, str]:
    md = [f"# {title}", ""]
    body = [f"<h1>{html.escape(title)}</h1>"]
    for s in sections:
        md += [f"## {s.title}", ""]
        body.append(f"<h2>{html.escape(s.title)}</h2>")
        for p in s.paragraphs:
            md += [p, ""]
            body.append(f"<p>{html.escape(p)}</p>")
        if s.table_records is not None:
            md += [markdown_table(s.table_records, s.table_columns), ""]
            body.append(_html_table(s.table_records, s.table_columns))
        if s.preformatted:
            md += ["```", s.preformatted, "```", ""]
            body.append(f"<pre>{html.escape(s.preformatted)}</pre>")
        for rel, caption in s.images:
            md += [f"![{caption}]({rel})", "", f"*{caption}*", ""]
            body.append(
                f'<figure><img src="{html.escape(rel)}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
        "th{background:#f0f0f0}img{max-width:100%}pre{background:#f7f7f7;padding:8px;font-size:12px}"
    )
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )
    return "\n".join(md), page


@dataclass(frozen=True)
class ReportFiles:
    """Paths written by :func:`write_report`."""

    markdown: Path
    html: Path
    images: tuple[Path, ...]
    shortlist_csv: Path


LIMITS = (
    "Universal ML potentials (CHGNet, SevenNet) are trained mostly on bulk DFT data: they are known "
    "to underestimate surface energies and migration barriers (softened potential-energy surfaces). "
    "Use the computed W_ad and barriers to rank candidates, not as absolute values; check the top "
    "candidates with DFT (alloyscreen calculators validate --reference gpaw).",
    "The predicted contact angle is a descriptor from Young–Dupré with the computed W_ad and the liquid "
    "Li surface tension at the melting point (Davison fit); it is not a measurement.",
    "D(298 K) is an estimate from the network barrier with an assumed attempt frequency (1e13 Hz) "
    "and vacancy-concentration factor; compare orders of magnitude and trends.",
)


def write_report(
    ranked: Sequence[RankedCandidate],
    directory: str | Path,
    *,
    title: str = "alloyscreen report",
    context: Mapping[str, Any] | None = None,
    validation: Sequence[Any] = (),
    design: Mapping[str, Any] | None = None,
    top: int | None = None,
) -> ReportFiles:
    """Write ``report.md``, ``report.html``, ``shortlist.csv`` and PNG figures into ``directory``.

    Parameters
    ----------
    ranked : sequence of RankedCandidate
    directory : path
    context : mapping, optional
        Store URL, calculator identity, workflow... shown at the top.
    validation : sequence of ValidationReport
        From :mod:`alloyscreen.experiments.validation`; parity plots are drawn for each.
    design : mapping, optional
        ``{"summary": str, "plot": path, "table": [records]}`` from the interphase design step.
    top : int, optional
        Rows shown in the shortlist table (all by default; the CSV always has all).
    """
    from alloyscreen.experiments.validation import format_report, parity_plot

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    images: list[Path] = []
    records = shortlist_records(ranked)
    shown = records[:top] if top else records
    sections: list[Section] = []
    ctx = dict(context or {})
    ctx.setdefault("generated", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    sections.append(Section("Campaign", [f"{k}: {v}" for k, v in ctx.items()]))
    n_pareto = sum(bool(r.pareto) for r in ranked)
    incomplete = [r.id for r in ranked if not r.complete]
    summary = [
        f"{len(ranked)} candidates ranked; {n_pareto} on the Pareto front "
        "(over the descriptors with non-zero weight).",
    ]
    if incomplete:
        summary.append(
            "Candidates with missing or failed descriptors (scored as worst for those, shown not dropped): "
            + ", ".join(incomplete)
        )
    sections.append(Section("Shortlist", summary, table_records=shown))

    figs = Section("Descriptors")
    for fname, fn, caption in (
        (
            "pareto.png",
            lambda p: plot_pareto(ranked, p),
            "Li affinity vs Li mobility; outlined markers are Pareto-optimal",
        ),
        (
            "w_adh_bars.png",
            lambda p: plot_bars(
                ranked, "w_adh_J_m2", p, label="W_ad with Li (J/m²), higher = better wetting"
            ),
            "Work of adhesion with Li (metals vs SEI phases vs alloys)",
        ),
        (
            "barrier_bars.png",
            lambda p: plot_bars(
                ranked,
                "network_barrier_eV",
                p,
                label="Li network migration barrier E* (eV), lower = faster",
            ),
            "Percolating Li migration barrier",
        ),
    ):
        written = fn(out / fname)
        if written is not None:
            images.append(written)
            figs.images.append((fname, caption))
        else:
            figs.paragraphs.append(
                f"{fname}: not drawn — no candidate has the descriptors it needs."
            )
    sections.append(figs)

    val = Section("Validation against experiment")
    if not validation:
        val.paragraphs.append("No validation was run (no matching experimental data requested).")
    for i, rep in enumerate(validation):
        val.preformatted = (
            (val.preformatted + "\n\n") if val.preformatted else ""
        ) + format_report(rep)
        if rep.pairs:
            fname = f"parity_{i}_{rep.descriptor}.png"
            parity_plot(
                rep.pairs,
                out / fname,
                xlabel=f"computed {rep.descriptor}",
                ylabel=rep.experimental_quantity,
                title=f"{rep.descriptor} vs experiment (n = {rep.n_matched})",
                log=rep.experimental_property.startswith("diffusion"),
                diagonal=False,
            )
            images.append(out / fname)
            val.images.append((fname, f"{rep.descriptor} vs {rep.experimental_quantity}"))
    sections.append(val)

    if design:
        des = Section(
            "MI-SEI design", [str(design.get("summary", ""))] if design.get("summary") else []
        )
        plot = design.get("plot")
        if plot and Path(plot).is_file():
            target = out / Path(plot).name
            if Path(plot).resolve() != target.resolve():
                target.write_bytes(Path(plot).read_bytes())
            images.append(target)
            des.images.append(
                (
                    target.name,
                    "Metal volume fraction of the interphase vs blend/doping fraction, against V_p bands",
                )
            )
        if design.get("table"):
            des.table_records = [dict(row) for row in design["table"]]
            des.table_columns = DESIGN_COLUMNS
        if design.get("recommended_max_fraction") is not None:
            window = design.get("v_p_window")
            text = (
                f"Recommended x <= {float(design['recommended_max_fraction']):.3g} "
                f"(basis: {design.get('basis', 'morphology model')})"
            )
            if window:
                hi = "unbounded" if window[1] is None else f"{float(window[1]):.4f}"
                text += f"; observed V_p window {float(window[0]):.4f} < V_p <= {hi}"
            des.paragraphs.append(text + ".")
        sections.append(des)
        observed = [
            {**o, "fraction": o.get("fraction")}
            for o in ((design.get("calibration") or {}).get("observations") or [])
        ]
        if observed:
            sections.append(
                Section(
                    "Observations behind the design",
                    [
                        "Benign (self-limiting) and detrimental (Li-consuming) interphases of "
                        "this host and metal; markers in the design plot at their V_FM. Evidence "
                        "ranks asymmetric cell > symmetric cell > XPS/impedance."
                    ],
                    table_records=observed,
                    table_columns=OBSERVATION_COLUMNS,
                )
            )

    sections.append(Section("Limits of these results", list(LIMITS)))
    md, page = _render(title, sections)
    md_path, html_path = out / "report.md", out / "report.html"
    md_path.write_text(md + "\n")
    html_path.write_text(page)
    csv_path = export_shortlist(ranked, out / "shortlist.csv")
    return ReportFiles(md_path, html_path, tuple(images), csv_path)


def experimental_validation(
    ranked: Sequence[RankedCandidate], reference_csvs: Sequence[str | Path] = ()
) -> list[Any]:
    """Compare computed W_ad and barriers with the shipped (plus user) experimental data.

    Systems are matched by reduced formula; when two candidates share a formula the first in
    rank order is used. Barriers are compared with measured diffusion coefficients with the
    expected sign -1 (higher barrier, slower diffusion).
    """
    from alloyscreen.experiments.reference_data import load_reference_data
    from alloyscreen.experiments.validation import diffusion_validation, wetting_validation

    records = load_reference_data(list(reference_csvs))

    def by_formula(name: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for r in ranked:
            v = r.values.get(name)
            if v is not None and math.isfinite(v):
                out.setdefault(r.formula, float(v))
        return out

    return [
        wetting_validation(by_formula("w_adh_J_m2"), records),
        diffusion_validation(
            by_formula("network_barrier_eV"),
            records,
            descriptor="network_barrier_eV",
            expected_sign=-1,
        ),
    ]


__all__ = [
    "EXPORT_FORMATS",
    "EXTRA_FIELDS",
    "ReportFiles",
    "experimental_validation",
    "export_shortlist",
    "markdown_table",
    "plot_bars",
    "plot_pareto",
    "shortlist_records",
    "write_report",
]
