"""CLI commands: ``candidates generate``, ``candidates discover`` and ``candidates list``."""

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
    progress_factory,
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


def _print_hull(run: Any, max_e_hull: float) -> None:
    from rich.table import Table

    table = Table(title=f"Li–{run.element}: phases within {1000 * max_e_hull:.0f} meV/atom")
    for col in ("id", "formula", "prototype", "E_f (eV/atom)", "E_hull (meV/atom)", "stable"):
        table.add_column(col, no_wrap=True)
    for p in run.hull.near_hull(max_e_hull):
        table.add_row(
            p.id,
            p.formula,
            p.prototype,
            f"{p.formation_energy_eV_atom:+.4f}",
            f"{1000 * p.e_above_hull_eV_atom:.1f}",
            "yes" if p.stable else "",
        )
    err_console.print(table)


@candidates_app.command("discover")
@handle_errors
def discover(
    system: str = typer.Option(
        ..., "--system", help="Binary system(s) with Li, comma separated: Li-Ge or Li-Al,Li-Ge."
    ),
    max_atoms: int = typer.Option(
        None, "--max-atoms", help="Largest primitive cell enumerated (default 8)."
    ),
    prototypes: str = typer.Option(
        None, "--prototypes", "-p", help="Prototype names (default: the whole library)."
    ),
    max_e_hull: float = typer.Option(
        0.025, "--max-ehull", help="Keep phases within this energy above the hull (eV/atom)."
    ),
    calculator: str = typer.Option(None, "--calculator", "-c", help="Calculator (sevenn)."),
    db: str | None = typer.Option(None, "--db", help="Results store (results/alloyscreen.db)."),
    engine: str = typer.Option("local", "--engine", help="local or slurm."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes/jobs."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Candidate set to write (default OUTDIR/discovered.json)."
    ),
    outdir: Path = typer.Option(
        Path("results/discovery"), "--outdir", help="Hull plots and tables go here."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
) -> None:
    """Find the Li–M phases of a system: prototypes -> relax (cached) -> hull -> candidates."""
    from alloyscreen.phase_discovery import discover as discover_phases

    result = discover_phases(
        _split(system),
        db,
        calculator=calculator,
        max_atoms=max_atoms,
        prototypes=_split(prototypes) if prototypes else None,
        max_e_hull_eV_atom=max_e_hull,
        engine_kind=engine,
        workers=workers,
        outdir=outdir,
        output=output,
        progress=progress_factory(disable=json_out),
    )
    runs, files, path, calc = result.runs, result.files, result.path, result.calculator
    if not json_out:
        for run in runs:
            _print_hull(run, max_e_hull)
    cands_n = sum(len(r.discovered) for r in runs)
    n_failed = sum(len(r.failed) for r in runs)
    if json_out:
        from alloyscreen.structures.hull import hull_rows

        emit_json(
            {
                "output": str(path),
                "calculator": calc,
                "systems": {
                    f"Li-{r.element}": {
                        "n_enumerated": len(r.enumeration.candidates),
                        "n_duplicates": len(r.enumeration.duplicates),
                        "n_cached": r.summary.n_cached,
                        "n_computed": r.summary.n_computed,
                        "failed": list(r.failed),
                        "relaxed_into_another": r.merged,
                        "wall_time_s": round(r.summary.wall_time_s, 2),
                        "stable": [p.id for p in r.hull.stable],
                        "near_hull": hull_rows(r.hull, max_e_hull),
                        "files": files[f"Li-{r.element}"],
                    }
                    for r in runs
                },
            }
        )
    else:
        err_console.print(f"{cands_n} discovered candidates -> {path}", highlight=False)
        for r in runs:
            if r.failed:
                err_console.print(f"Li-{r.element}: failed relaxations: {', '.join(r.failed)}")
    raise typer.Exit(EXIT_TASKS_FAILED if n_failed else EXIT_OK)


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
