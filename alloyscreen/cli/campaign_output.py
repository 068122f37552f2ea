"""Terminal output of ``alloyscreen run``: the dry-run plan and the final summary table."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from alloyscreen.cli._common import (
    EXIT_OK,
    EXIT_TASKS_FAILED,
    emit_json,
    err_console,
    out_console,
)


def dry_run_plan(
    workflow: Any, engine_section: Any, *, json_out: bool = False, db: str | None = None
) -> dict[str, Any]:
    """Describe what ``run`` would do (steps, task counts, engine, store, output folder, cached
    tasks, batch script) and print it. Creates nothing; an unusable store (read-only, another
    program's file) is an :class:`~alloyscreen.errors.InputError` here, as it would be in ``run``.
    """
    from alloyscreen.campaign import (
        DEFAULT_CATEGORIES,
        check_calculator_elements,
        load_campaign_candidates,
        task_counts,
    )
    from alloyscreen.store import ResultStore, check_new_store, store_exists
    from alloyscreen.workflow import STEP_ORDER

    candidates = load_campaign_candidates(workflow.campaign.candidates, workflow.campaign.ids)
    check_calculator_elements(workflow, candidates)
    steps = []
    for name in STEP_ORDER:
        section = workflow.step(name)
        if section is None:
            continue
        cats = section.options.get("categories", DEFAULT_CATEGORIES.get(name))
        n = sum(c.category in cats for c in candidates) if cats else None
        steps.append({"step": name, "candidates": n, "options": section.options})
    url = db or workflow.campaign.db
    if store_exists(url):
        store = ResultStore(url, create=False)
    else:
        check_new_store(url)
        store = None
    counts = task_counts(workflow, store)
    plan: dict[str, Any] = {
        "workflow": workflow.source,
        "campaign": workflow.campaign.name,
        "n_candidates": len(candidates),
        "calculator": workflow.calculator.name,
        "engine": engine_section.kind,
        "db": store.url if store is not None else url,
        "db_exists": store is not None,
        "output": workflow.campaign.output,
        "tasks": counts,
        "steps": steps,
    }
    if engine_section.kind == "slurm":
        from alloyscreen.engines.slurm import SlurmEngine

        plan["job_script"] = SlurmEngine.from_section(engine_section).job_script()
    print_ = err_console.print
    print_(
        f"plan for {workflow.source}: {len(candidates)} candidates, "
        f"calculator {workflow.calculator.name}, engine {engine_section.kind}",
        markup=False,
        highlight=False,
    )
    state = "existing" if store is not None else "new, created by run"
    print_(f"  store:   {plan['db']} ({state})", markup=False, highlight=False)
    print_(f"  output:  {workflow.campaign.output}", markup=False, highlight=False)
    for s in steps:
        c = counts.get(s["step"])
        cached = f"  tasks: {c['done']} done (cached), {c['pending']} to compute" if c else ""
        n = s["candidates"] if s["candidates"] is not None else "-"
        print_(
            f"  {s['step']:<11} {n:>5} candidates{cached}  {s['options']}",
            markup=False,
            highlight=False,
        )
    if "job_script" in plan and not json_out:
        err_console.print("[bold]batch script (one per SLURM job):[/bold]")
        typer.echo(plan["job_script"])  # verbatim: rich would wrap the long worker command line
    return plan


def print_campaign_summary(
    workflow: Any, result: Any, store_url: str, *, json_out: bool
) -> dict[str, Any]:
    """Print a per-step table (unless ``json_out``) and return the same as a dict."""
    steps = {
        name: {
            "tasks": len(s.results),
            "computed": s.n_computed,
            "cached": s.n_cached,
            "failed": s.n_failed,
            "wall_time_s": round(s.wall_time_s, 2),
        }
        for name, s in result.steps.items()
    }
    summary = {
        "workflow": workflow.source,
        "db": store_url,
        "steps": steps,
        "outputs": result.outputs,
        "formation_energies_eV_atom": result.formation_energies_eV_atom,
        "store": {
            "requested": result.n_requested,
            "computed": result.n_computed,
            "cached": result.n_cached,
            "hit_rate": result.store_hit_rate,
        },
        "funnel": result.funnel,
    }
    if not json_out:
        from rich.table import Table

        table = Table(title=f"campaign '{workflow.campaign.name}'")
        for col in ("step", "tasks", "computed", "cached", "failed", "time (s)"):
            table.add_column(col)
        for name, s in steps.items():
            table.add_row(
                name,
                str(s["tasks"]),
                str(s["computed"]),
                str(s["cached"]),
                f"[red]{s['failed']}[/red]" if s["failed"] else "0",
                f"{s['wall_time_s']:.1f}",
            )
        out_console.print(table)
        rate = result.store_hit_rate
        if rate is not None:
            err_console.print(
                f"store: {result.n_requested} task(s) requested, {result.n_computed} computed, "
                f"{result.n_cached} found in the store (hit rate {rate:.0%}, duplicates included)"
            )
        for cid, stop in result.funnel.items():
            err_console.print(
                f"funnel: {cid} stopped at {stop['stage']}: {stop['reason']}",
                markup=False,
                highlight=False,
            )
        if result.ranking:
            _print_shortlist(result.ranking)
        _print_failures(result)
        err_console.print(f"results store: {store_url}", markup=False, highlight=False)
        for label, path in result.outputs.items():
            err_console.print(f"{label}: {path}")
    return summary


def _print_failures(result: Any, limit: int = 10) -> None:
    """Name each failed task and the first line of its error (the store holds the rest)."""
    failed: dict[str, tuple[str, Any]] = {}
    for step, summary in result.steps.items():
        for r in summary.results:
            if not r.done:
                failed.setdefault(r.key, (step, r))
    for step, r in list(failed.values())[:limit]:
        reason = (r.error or "no error recorded").strip().splitlines()[0][:160]
        err_console.print(
            f"failed: {step} {r.candidate_id}: {reason}", markup=False, highlight=False
        )
    if len(failed) > limit:
        err_console.print(f"... and {len(failed) - limit} more failed task(s)")


def finish_campaign(workflow: Any, result: Any, store_url: str, *, json_out: bool) -> NoReturn:
    """Print or emit the summary of a finished campaign; exit 1 when any task failed, else 0."""
    summary = print_campaign_summary(workflow, result, store_url, json_out=json_out)
    if json_out:
        emit_json(summary)
    raise typer.Exit(EXIT_TASKS_FAILED if result.n_failed else EXIT_OK)


def run_and_report(
    workflow: Any, store: Any, engine: Any, *, progress_factory: Any, json_out: bool
) -> NoReturn:
    """Run the campaign in this process on ``engine`` (closed after) and finish it
    (:func:`finish_campaign`): the driver of ``submit --foreground``."""
    from alloyscreen.campaign import run_campaign
    from alloyscreen.report import workflow_outputs

    try:
        result = run_campaign(
            workflow,
            store,
            engine,
            progress_factory=progress_factory,
            write_outputs=workflow_outputs,
        )
    finally:
        engine.close()
    finish_campaign(workflow, result, store.url, json_out=json_out)


def _print_shortlist(ranked: Any) -> None:
    from alloyscreen.shortlist_table import terminal_table

    out_console.print(terminal_table([r.as_record() for r in ranked], title="Shortlist"))
