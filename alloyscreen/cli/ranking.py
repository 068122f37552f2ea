"""Commands ``rank``, ``export``, ``report`` and ``validate``: shortlists from the results store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from alloyscreen.cli._common import emit_json, err_console, handle_errors, open_store, out_console

DB_OPTION = typer.Option(None, "--db", help="Results store [default: results/alloyscreen.db].")
WEIGHTS_OPTION = typer.Option(
    None,
    "--weights",
    help="e.g. affinity=0.4,mobility=0.4,safety=0.1,stability=0.1 (groups or descriptor names).",
)
CALC_OPTION = typer.Option(
    None, "--calculator", "-c", help="Rank results of this calculator [default: most used]."
)
CATEGORY_OPTION = typer.Option(
    None, "--category", help="Only these categories (alloy, metal, sei, li_metal...)."
)


def _ranked(
    db: str | None, weights: str | None, calculator: str | None, category: list[str] | None
) -> tuple[Any, list]:
    from alloyscreen.ranking import descriptors_from_store, parse_weights, rank_candidates

    store = open_store(db)
    parsed = parse_weights(weights)
    cands = descriptors_from_store(store, calculator=calculator, margins=_stored_margins(store))
    if not cands:
        from alloyscreen.errors import InputError

        raise InputError(
            f"{store.url}: no results to rank; run a workflow first (alloyscreen run workflows/demo.toml)"
        )
    return store, rank_candidates(cands, parsed, categories=category or None)


def _stored_margins(store: Any) -> dict[str, float] | None:
    """Percolation margins recorded by the campaign's interphase step, if any."""
    from alloyscreen.campaign import load_margins

    return load_margins(store)


@handle_errors
def rank(
    db: str | None = DB_OPTION,
    weights: str | None = WEIGHTS_OPTION,
    top: int | None = typer.Option(None, "--top", min=1, help="Show the best N."),
    calculator: str | None = CALC_OPTION,
    category: list[str] | None = CATEGORY_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Rank candidates by Li affinity, Li mobility, interphase safety and stability."""
    from alloyscreen.report import shortlist_records

    _, ranked = _ranked(db, weights, calculator, category)
    records = shortlist_records(ranked[:top] if top else ranked)
    if json_out:
        emit_json(records)
        return
    from alloyscreen.report import terminal_table

    out_console.print(
        terminal_table(records, title="Shortlist (weighted, normalised score; missing = worst)")
    )


@handle_errors
def export(
    output: Path = typer.Option(
        ..., "--output", "-o", help="File to write (results/shortlist.csv ...)."
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="csv, json, xlsx or md [default: from suffix]."
    ),
    db: str | None = DB_OPTION,
    weights: str | None = WEIGHTS_OPTION,
    calculator: str | None = CALC_OPTION,
    category: list[str] | None = CATEGORY_OPTION,
) -> None:
    """Export the ranked shortlist as CSV, JSON, XLSX or Markdown."""
    from alloyscreen.report import export_shortlist

    _, ranked = _ranked(db, weights, calculator, category)
    path = export_shortlist(ranked, output, fmt)
    err_console.print(f"wrote {path} ({len(ranked)} candidates)")


@handle_errors
def report(
    output: Path = typer.Option(Path("results/report"), "--output", "-o", help="Report folder."),
    db: str | None = DB_OPTION,
    weights: str | None = WEIGHTS_OPTION,
    calculator: str | None = CALC_OPTION,
    reference: list[Path] | None = typer.Option(
        None, "--reference", help="Extra experimental CSVs (same schema)."
    ),
    top: int | None = typer.Option(None, "--top", min=1, help="Rows in the report table."),
) -> None:
    """Write a Markdown + HTML report with the shortlist, plots and validation against experiment."""
    from alloyscreen.campaign import load_design
    from alloyscreen.report import write_report
    from alloyscreen.shortlist_validation import (
        experimental_validation,
        wetting_ordinal_validation,
    )

    store, ranked = _ranked(db, weights, calculator, None)
    files = write_report(
        ranked,
        output,
        context={"store": store.url},
        validation=experimental_validation(ranked, reference or ()),
        ordinal=wetting_ordinal_validation(ranked),
        design=load_design(store),
        top=top,
    )
    err_console.print(
        f"report: {files.html}\nmarkdown: {files.markdown}\nshortlist: {files.shortlist_csv}"
    )


@handle_errors
def validate(
    db: str | None = DB_OPTION,
    calculator: str | None = CALC_OPTION,
    reference: list[Path] | None = typer.Option(
        None,
        "--experiments",
        "--reference",
        help="Your own measurements: CSVs with the schema of docs/reference_data.md "
        "(contact angles and/or diffusion), added to the shipped data.",
    ),
    statements: list[Path] | None = typer.Option(
        None,
        "--wetting-statements",
        help="Your own stated wetting classes (wets / non-wetting / state-dependent), "
        "schema of docs/reference_data.md, added to the shipped statements.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Computed W_ad / barriers vs experiment: rank correlations with intervals, ordinal wetting
    agreement, and the measured phases not screened yet."""
    from alloyscreen.experiments.comparison import format_report
    from alloyscreen.experiments.wetting_statements import format_ordinal
    from alloyscreen.shortlist_validation import (
        experimental_validation,
        wetting_ordinal_validation,
    )

    _, ranked = _ranked(db, None, calculator, None)
    reports = experimental_validation(ranked, reference or ())
    ordinal = wetting_ordinal_validation(ranked, statements or ())
    if json_out:
        emit_json({"correlations": reports, "wetting_ordinal": ordinal})
        return
    for rep in reports:
        out_console.print(format_report(rep), highlight=False)
    out_console.print(format_ordinal(ordinal), highlight=False)


def register(app: typer.Typer) -> None:
    """Add rank/export/report/validate."""
    app.command("rank")(rank)
    app.command("export")(export)
    app.command("report")(report)
    app.command("validate")(validate)
