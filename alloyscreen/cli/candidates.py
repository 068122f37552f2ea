"""CLI commands: ``candidates generate`` and ``candidates list``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from alloyscreen.cli._common import (
    EXIT_OK,
    EXIT_TASKS_FAILED,
    emit_json,
    err_console,
    fail,
    handle_errors,
    out_console,
)

DEFAULT_ELEMENTS = "Al,Ga,In,Zn,Mg,Ag,Sb,Bi,Si,Ge,Sn"
DEFAULT_PROTOTYPES = "B2,B32,D03,L12"

candidates_app = typer.Typer(
    help="Generate and inspect candidate sets (known Li–M phases, references, prototypes...).",
    no_args_is_help=True,
)


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _parse_sources(
    sources: list[str], paths: list[Path] | None
) -> list[str | tuple[str, str | None]]:
    """``--source mp``, ``--source files DIR`` (DIR positional) or ``--source files:DIR``."""
    out: list[str | tuple[str, str | None]] = []
    pending = [str(p) for p in (paths or [])]
    for src in sources:
        kind = src.strip()
        if kind.lower() == "files":
            if not pending:
                fail("--source files needs a path: --source files DIR (or --source files:DIR)")
            out.append(("files", pending.pop(0)))
        else:
            out.append(kind)
    if pending:
        fail(f"unexpected argument(s) {' '.join(pending)}; paths belong to --source files")
    return out


def _rows(cands: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "formula": c.formula,
            "prototype": c.prototype,
            "source": c.source,
            "category": c.category,
            "natoms": c.natoms,
        }
        for c in cands
    ]


def _print_table(rows: list[dict[str, Any]], title: str, console: Any) -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in ("id", "formula", "prototype", "source", "category", "natoms"):
        table.add_column(col, no_wrap=True, justify="right" if col == "natoms" else "left")
    for r in rows:
        table.add_row(
            *(str(r[k]) for k in ("id", "formula", "prototype", "source", "category")),
            str(r["natoms"]),
        )
    console.print(table)


@candidates_app.command("generate")
@handle_errors
def generate(
    paths: list[Path] = typer.Argument(
        None, help="Directory or files for --source files (or use --source files:PATH)."
    ),
    elements: str = typer.Option(
        DEFAULT_ELEMENTS, "--elements", "-e", help="Alloying elements M, comma separated."
    ),
    prototypes: str = typer.Option(
        DEFAULT_PROTOTYPES, "--prototypes", "-p", help="Prototypes (B2,B32,D03,L12); '' for none."
    ),
    known: bool = typer.Option(True, "--known/--no-known", help="Known Li–M phases and Li."),
    references: bool = typer.Option(
        True, "--references/--no-references", help="Reference metals (Cu, Ni, Fe) and SEI phases."
    ),
    solid_solutions: list[str] = typer.Option(
        None,
        "--solid-solutions",
        "-s",
        help="bcc Li-rich solid solutions as SQS, e.g. Mg:0.05,0.1 (repeat or join with ';').",
    ),
    source: list[str] = typer.Option(
        None, "--source", help="Extra source: 'mp' (Materials Project) or 'files PATH'."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Candidate set JSON to write."),
    seed: int = typer.Option(0, help="Random seed of the solid-solution search."),
    sqs_size: int = typer.Option(3, help="bcc supercell edge (2 size^3 atoms)."),
    mp_max_ehull: float = typer.Option(
        0.025, "--mp-max-ehull", help="Materials Project hull tolerance (eV/atom)."
    ),
    select: str = typer.Option(
        None, "--select", help="Keep only these candidate ids (comma separated, in this order)."
    ),
    no_dedup: bool = typer.Option(
        False, "--no-dedup", help="Keep structures that duplicate an earlier candidate."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
) -> None:
    """Generate a candidate set file (e.g. candidates/NAME.json)."""
    from alloyscreen.structures.candidates import save_candidates
    from alloyscreen.structures.generate import generate_candidates
    from alloyscreen.structures.solid_solutions import parse_solid_solution_spec

    ss: dict[str, tuple[float, ...]] = {}
    for spec in solid_solutions or []:
        for el, fr in parse_solid_solution_spec(spec).items():
            ss[el] = (*ss.get(el, ()), *fr)
    sources = _parse_sources(list(source or []), paths)
    cands = generate_candidates(
        _split(elements),
        _split(prototypes),
        known=known,
        references=references,
        solid_solutions=ss or None,
        sources=sources,
        seed=seed,
        sqs_size=sqs_size,
        mp_max_e_above_hull=mp_max_ehull,
        deduplicate_structures=not no_dedup,
        select=_split(select) if select else None,
    )
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    path = save_candidates(cands, output, created=created)
    errors = list(cands.generator.get("file_errors", []))
    rows = _rows(cands)
    if json_out:
        emit_json(
            {
                "output": str(path),
                "n_candidates": len(rows),
                "counts": cands.generator.get("counts", {}),
                "deduplicated": cands.generator.get("deduplicated", []),
                "file_errors": errors,
                "candidates": rows,
            }
        )
    else:
        _print_table(rows, f"{len(rows)} candidates -> {path}", err_console)
        for d in cands.generator.get("deduplicated", []):
            err_console.print(
                f"duplicate dropped: {d['dropped']} ({d['dropped_source']}) = {d['duplicate_of']}",
                highlight=False,
            )
    for e in errors:
        err_console.print(f"[bold red]error:[/bold red] {e['message']}", highlight=False)
    if errors:
        err_console.print(
            f"{len(errors)} file(s) could not be imported: "
            + ", ".join(e["path"] for e in errors)
            + "; the others were written",
            highlight=False,
        )
        raise typer.Exit(EXIT_TASKS_FAILED)
    raise typer.Exit(EXIT_OK)


@candidates_app.command("list")
@handle_errors
def list_candidates(
    file: Path = typer.Argument(..., help="Candidate set JSON file."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """One row per candidate: id, formula, prototype, source, natoms."""
    from alloyscreen.structures.candidates import load_candidates

    cands = load_candidates(file)
    rows = _rows(cands)
    if json_out:
        emit_json(rows)
    else:
        _print_table(rows, f"{file} ({len(rows)} candidates)", out_console)


def register(app: typer.Typer) -> None:
    """Add the ``candidates`` sub-app."""
    app.add_typer(candidates_app, name="candidates")
