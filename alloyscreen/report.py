"""The campaign report (Markdown + HTML + PNGs): shortlist, figures, validation, MI-SEI design.

The shortlist tables and exports are in :mod:`alloyscreen.shortlist_table` (re-exported here).

Plots are matplotlib ``Figure`` objects saved directly (no pyplot, no backend switching).
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alloyscreen.ranking import DESCRIPTORS, EXTRA_FIELDS, RankedCandidate, mixing_note
from alloyscreen.shortlist_table import (
    COLUMN_LABELS,
    EXPORT_FORMATS,
    TABLE_COLUMNS,
    export_from_store,
    export_shortlist,
    format_cell,
    markdown_table,
    shortlist_records,
)

logger = logging.getLogger(__name__)

CATEGORY_COLOURS = {
    "alloy": "#1f77b4",
    "li_metal": "#2ca02c",
    "metal": "#ff7f0e",
    "sei": "#d62728",
    "element": "#7f7f7f",
    "other": "#9467bd",
}

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


def _figure(width: float = 6.4, height: float = 4.2):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    return fig, fig.add_subplot()


def plot_pareto(ranked: Sequence[RankedCandidate], path: str | Path) -> Path | None:
    """W_ad (x, higher better) vs network barrier (y, lower better); Pareto front marked.

    Every ranked candidate is shown: one without a barrier sits on a band above the plotted
    barriers (open triangle, "no E*"), one without W_ad on a band left of the plotted W_ad values
    (open square, "no W_ad"), and those with neither are named in a note under the title.
    """
    w = {r.id: r.values.get("w_adh_J_m2") for r in ranked}
    e = {r.id: r.values.get("network_barrier_eV") for r in ranked}
    if not any(v is not None for v in (*w.values(), *e.values())):
        return None
    ws = [v for v in w.values() if v is not None]
    es = [v for v in e.values() if v is not None]
    w_span = (max(ws) - min(ws)) if len(ws) > 1 else 1.0
    e_span = (max(es) - min(es)) if len(es) > 1 else 1.0
    no_e_y = (max(es) if es else 0.0) + 0.25 * (e_span or 1.0)
    no_w_x = (min(ws) if ws else 0.0) - 0.25 * (w_span or 1.0)
    fig, ax = _figure()
    neither = []
    for r in ranked:
        x, y = w[r.id], e[r.id]
        if x is None and y is None:
            neither.append(r.formula)
            continue
        complete = x is not None and y is not None
        colour = CATEGORY_COLOURS.get(r.category, "grey")
        marker = "o" if complete else ("^" if y is None else "s")
        px = x if x is not None else no_w_x
        py = y if y is not None else no_e_y
        ax.scatter(
            px,
            py,
            s=60 + 240 * r.score,
            marker=marker,
            color=colour if complete else "none",
            edgecolor=("black" if r.pareto else "none") if complete else colour,
            linewidth=1.5,
            zorder=3,
        )
        ax.annotate(r.formula, (px, py), textcoords="offset points", xytext=(6, 4), fontsize=8)
    front = sorted(
        (r for r in ranked if r.pareto and w[r.id] is not None and e[r.id] is not None),
        key=lambda r: w[r.id],
    )
    if len(front) > 1:
        ax.plot(
            [w[r.id] for r in front],
            [e[r.id] for r in front],
            "k--",
            lw=1,
            zorder=2,
            label="Pareto front",
        )
    if any(v is None for v in e.values()) and ws:
        ax.axhline(no_e_y, color="grey", lw=0.5, ls=":")
        ax.scatter([], [], marker="^", color="none", edgecolor="grey", label="no E* computed")
    if any(v is None for v in w.values()) and es:
        ax.axvline(no_w_x, color="grey", lw=0.5, ls=":")
        ax.scatter([], [], marker="s", color="none", edgecolor="grey", label="no W_ad computed")
    for cat in sorted({r.category for r in ranked}):
        ax.scatter([], [], color=CATEGORY_COLOURS.get(cat, "grey"), label=cat)
    ax.set_xlabel("Li affinity: W_ad with Li (J/m²)  → better")
    ax.set_ylabel("Li mobility: network barrier E* (eV)  ↓ better")
    title = "Screening map (marker size ∝ score; outlined = Pareto-optimal)"
    if neither:
        title += "\nneither descriptor: " + ", ".join(neither)
    ax.set_title(title, fontsize=9)
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
    "The headline contact angle θ is a descriptor, not a measurement: Young–Dupré with the computed "
    "W_ad and the same calculator's Li surface energy, cos θ = W_ad / γ_Li(model) − 1, so that "
    "molten Li on Li metal comes out near 0° (10° in the demo: W_ad within 2 % of 2 γ_Li), as it "
    "must. Universal ML potentials "
    "underestimate surface energies (systematic softening: B. Deng et al., npj Comput. Mater. 11 "
    "(2025), doi:10.1038/s41524-024-01500-6); combining their W_ad with the measured liquid-Li "
    "surface tension (Davison 1968) would give about 70° for Li on Li. That mixed angle is still "
    "exported as 'θ, liquid-Li γ' (predicted_contact_angle_deg) for comparison.",
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
    ordinal: Any = None,
    design: Mapping[str, Any] | None = None,
    top: int | None = None,
    dft_comparisons: Sequence[Any] = (),
    dft_terminations: Sequence[Any] = (),
) -> ReportFiles:
    """Write ``report.md``, ``report.html``, ``shortlist.csv`` and PNG figures into ``directory``.

    Parameters
    ----------
    ranked : sequence of RankedCandidate
    directory : path
    context : mapping, optional
        Store URL, calculator identity, workflow... shown at the top.
    validation : sequence of ValidationReport
        From :mod:`alloyscreen.experiments.comparison`; parity plots are drawn for each.
    ordinal : OrdinalAgreement, optional
        Agreement of the predicted contact angles with stated wetting classes
        (:func:`alloyscreen.shortlist_validation.wetting_ordinal_validation`).
    design : mapping, optional
        ``{"summary": str, "plot": path, "table": [records]}`` from the interphase design step.
    top : int, optional
        Rows shown in the shortlist table (all by default; the CSV always has all).
    dft_comparisons : sequence of DescriptorComparison
        ML potentials against the DFT reference set (:mod:`alloyscreen.dft_reference`).
    dft_terminations : sequence of TerminationAgreement
        Whether each potential selects the same termination as DFT (same reference set).
    """
    from alloyscreen.experiments.comparison import format_report
    from alloyscreen.shortlist_validation import plot_validation

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
    stopped = [(r.id, r.errors["funnel"]) for r in ranked if "funnel" in r.errors]
    if stopped:
        summary.append(
            f"Screening funnel: {len(stopped)} candidate(s) stopped early (kept, their missing "
            "descriptors scored as worst): " + "; ".join(f"{cid} {why}" for cid, why in stopped)
        )
    mixing = mixing_note(ranked[: top or len(ranked)])
    if mixing:
        summary.append(mixing)
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
            plot_validation(rep, out / fname)
            images.append(out / fname)
            val.images.append((fname, f"{rep.descriptor} vs {rep.experimental_quantity}"))
    if ordinal is not None:
        from alloyscreen.experiments.wetting_statements import format_ordinal

        val.preformatted = (
            (val.preformatted + "\n\n") if val.preformatted else ""
        ) + format_ordinal(ordinal)
    sections.append(val)
    if dft_comparisons:
        sections.append(_dft_section(dft_comparisons, out, images, dft_terminations))

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


def _dft_section(
    comparisons: Sequence[Any], out: Path, images: list[Path], terminations: Sequence[Any] = ()
) -> Section:
    from alloyscreen.dft_reference import (
        format_comparison,
        format_terminations,
        plot_dft_parity,
        ranking_verdict,
    )

    sec = Section(
        "ML potentials against DFT on the descriptors",
        [
            "GPAW single points at the same geometries as the ML potentials (the shipped "
            "reference set; `alloyscreen validate --reference dft` prints it, docs/validation.md "
            "explains it). What the shortlist's ranking can rely on:",
            *(ranking_verdict(c) for c in comparisons),
            *(
                f"Termination of {a.system} ({a.calculator}): the reported face, the one with the "
                f"lowest interface energy against Li metal, is {a.selected}; DFT at the same "
                f"structures selects {a.selected_dft}"
                + (" (the same)." if a.agrees else " (a different face).")
                for a in terminations
            ),
        ],
    )
    sec.preformatted = format_comparison(comparisons) + (
        "\n" + format_terminations(terminations) if terminations else ""
    )
    png = plot_dft_parity(comparisons, out / "parity_ml_vs_dft.png")
    images.append(png)
    sec.images.append((png.name, "ML potentials vs DFT: W_sep and hop barriers"))
    return sec


def report_from_store(
    store: Any,
    directory: str | Path,
    *,
    weights: str | None = None,
    calculator: str | None = None,
    experiments: Sequence[str | Path] = (),
    top: int | None = None,
) -> ReportFiles:
    """``alloyscreen report``: rank the store's candidates and write the report into
    ``directory`` (shortlist, figures, validation against experiment, the MI-SEI design)."""
    from alloyscreen.recipes import shortlist

    sl = shortlist(store, weights=weights, calculator=calculator)
    return _validated_report(
        sl.ranked,
        directory,
        context={"store": sl.store_url},
        design=sl.design,
        top=top,
        experiments=experiments,
    )


def _validated_report(
    ranked: Sequence[RankedCandidate],
    directory: str | Path,
    *,
    experiments: Sequence[str | Path] = (),
    **kwargs: Any,
) -> ReportFiles:
    """:func:`write_report` with the validation against experiment (rank correlations with the
    shipped data plus ``experiments``, ordinal wetting agreement) computed for ``ranked``."""
    from alloyscreen.dft_reference import (
        load_reference,
        shipped_reference_path,
        stored_comparisons,
        termination_agreements,
    )
    from alloyscreen.shortlist_validation import (
        experimental_validation,
        wetting_ordinal_validation,
    )

    shipped = shipped_reference_path()
    reference = load_reference() if shipped.is_file() else None
    return write_report(
        ranked,
        directory,
        validation=experimental_validation(ranked, experiments),
        ordinal=wetting_ordinal_validation(ranked),
        dft_comparisons=stored_comparisons(reference) if reference else (),
        dft_terminations=termination_agreements(reference) if reference else (),
        **kwargs,
    )


def workflow_outputs(
    workflow: Any, result: Any, store: Any, calculator_label: str
) -> dict[str, str]:
    """Files of a campaign's ``rank`` and ``report`` steps from its ranking (the
    ``write_outputs`` of :func:`alloyscreen.campaign.run_campaign`).

    ``rank``: ``<output>/shortlist.csv``; ``report``: the Markdown/HTML report (directory option,
    default ``<output>/report``) with validation against experiment and the MI-SEI design.
    Returns ``{label: path}``.
    """
    from alloyscreen.campaign import load_design

    output = Path(workflow.campaign.output)
    rank_section = workflow.step("rank")
    report_section = workflow.step("report")
    options = rank_section.options if rank_section is not None else {}
    ranked = result.ranking
    out: dict[str, str] = {}
    if rank_section is not None:
        out["shortlist"] = str(export_shortlist(ranked, output / "shortlist.csv"))
    if report_section is not None:
        directory = Path(report_section.options.get("directory", output / "report"))
        files = _validated_report(
            ranked,
            directory,
            title=f"alloyscreen report: {workflow.campaign.name}",
            context={
                "workflow": workflow.source,
                "store": store.url,
                "calculator": calculator_label,
                "candidates": result.n_candidates,
            },
            design=load_design(store),
            top=options.get("top"),
        )
        out["report"] = str(files.html)
        out["report_markdown"] = str(files.markdown)
    return out


__all__ = [
    "EXPORT_FORMATS",
    "EXTRA_FIELDS",
    "ReportFiles",
    "export_from_store",
    "export_shortlist",
    "markdown_table",
    "plot_bars",
    "plot_pareto",
    "report_from_store",
    "shortlist_records",
    "workflow_outputs",
    "write_report",
]
