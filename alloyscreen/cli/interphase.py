"""CLI commands: ``alloyscreen interphase COMPOSITION``, ``interphase calibrate``, ``design``.

``alloyscreen interphase`` is a group: ``calibrate`` (and ``analyse``) are sub-commands, and any
other first argument is taken as the composition of ``analyse`` (so
``alloyscreen interphase "Li6PS5Cl:Li10GeP2S12=4:1" --json`` works).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from alloyscreen.calculators import DEFAULT_CALCULATOR
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

DEFAULT_COMMAND = "analyse"
#: Default metal aspect ratio: needles of AR 10, the morphology the shipped literature
#: observations are consistent with (see docs/interphase.md, calibration).
DEFAULT_ASPECT_RATIO = 10.0


class _CompositionGroup(TyperGroup):
    """A group whose first argument, when it is not a sub-command, is a composition."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


def _morphology(aspect_ratio, size_ratio, distribution, shell_thickness, tunnelling_distance):
    from alloyscreen.interphase.coupling import Morphology

    return Morphology(
        aspect_ratio=aspect_ratio,
        size_ratio=size_ratio,
        distribution=distribution,
        shell_thickness=shell_thickness,
        tunnelling_distance=tunnelling_distance,
    )


def _model(v_p: float | None, v_p_err: float):
    from alloyscreen.interphase.coupling import EnginePercolation, FixedThreshold

    if v_p is not None:
        return FixedThreshold(v_p, v_p_err, source="--v-p")
    return EnginePercolation()


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        fail(f"{option}: {text!r} is not a comma-separated list of numbers")
    if not values:
        fail(f"{option}: empty list")
    return values


def _print_assessment(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Interphase of {summary['label']} against Li ({summary['route']})")
    for col in ("product", "mol/fu", "V_m (cm3/mol)", "vol. fraction", "metallic", "volume from"):
        table.add_column(col)
    for p in summary["products"]:
        table.add_row(
            p["formula"],
            f"{p['moles']:.4g}",
            f"{p['molar_volume_cm3_mol']:.2f}",
            f"{p['volume_fraction']:.3f}",
            "yes" if p["metallic"] else "no",
            p["volume_source"],
        )
    out_console.print(table)
    vp = summary["v_p"]
    lines = [
        f"reaction: {summary['reaction']}",
        f"Li consumed: {summary['li_consumed_per_fu']:.4g} mol per formula unit",
        f"V_FM = {summary['v_fm']:.4f}",
        (f"V_p = {vp:.4f} ± {summary['v_p_err']:.4f} ({summary['threshold_source']})"
         if vp is not None else "V_p: never percolates"),
        (f"margin V_p - V_FM = {summary['margin']:+.4f} (borderline band ±{summary['band']:.3f})"
         if summary["margin"] is not None else "margin: unbounded"),
        f"morphology model: {summary['model_classification']}",
        f"classification: [bold]{summary['classification']}[/bold] "
        f"(basis: {summary['classification_basis']})",
    ]  # fmt: skip
    window = summary.get("v_p_window")
    if window is not None:
        hi = "unbounded" if window[1] is None else f"{window[1]:.4f}"
        metals = ", ".join(summary.get("observation_metals") or [])
        lines.append(f"observed V_p window ({metals}): {window[0]:.4f} < V_p <= {hi}")
    if summary.get("advice"):
        lines.append(f"note: {summary['advice']}")
    for c in summary.get("observation_contradictions") or []:
        lines.append(f"[red]contradiction:[/red] {c}")
    if summary.get("sigma_e_S_cm") is not None:
        lines.append(f"sigma_e (GEM) = {summary['sigma_e_S_cm']:.3g} S/cm")
    for line in lines:
        out_console.print(line, highlight=False)


@handle_errors
def analyse(
    composition: str = typer.Argument(
        ..., help="Formula, doped formula or blend: 'Li6PS5Cl', 'Li5.8Cu0.2PS5Cl', 'A:B=4:1'."
    ),
    route: str = typer.Option("curated", "--route", help="curated, thermo or mp."),
    aspect_ratio: float = typer.Option(
        DEFAULT_ASPECT_RATIO, "--aspect-ratio", help="Metal particle aspect ratio a/b."
    ),
    size_ratio: float = typer.Option(1.0, "--size-ratio", help="Metal / insulator grain size."),
    distribution: str = typer.Option(
        "random", "--distribution", help="random, enveloped or segregated."
    ),
    shell_thickness: float = typer.Option(0.0, "--shell-thickness", help="Enveloped shell s."),
    tunnelling_distance: float = typer.Option(
        0.0, "--tunnelling-distance", help="Tunnelling distance d (metal radii)."
    ),
    v_p: float | None = typer.Option(
        None, "--v-p", help="Use this V_p instead of the percolation engine."
    ),
    v_p_err: float = typer.Option(0.0, "--v-p-err", help="Uncertainty of --v-p."),
    calculator: str = typer.Option(
        DEFAULT_CALCULATOR, "--calculator", "-c", help="Thermo route calculator."
    ),
    db: str | None = typer.Option(None, "--db", help="Results store for the thermo route."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Thermo route worker processes."),
    reactions: list[Path] = typer.Option(
        [], "--reactions", help="Extra/overriding reduction-reaction JSON file(s)."
    ),
    products: list[Path] = typer.Option(
        [], "--products", help="Extra/overriding product JSON file(s) (volumes, metallic)."
    ),
    relaxed_volumes: bool = typer.Option(
        False, "--relaxed-volumes", help="Thermo route: use relaxed molar volumes of products."
    ),
    sigma_metal: float | None = typer.Option(None, "--sigma-metal", help="Metal sigma, S/cm."),
    sigma_insulator: float | None = typer.Option(
        None, "--sigma-insulator", help="Insulating-matrix sigma, S/cm."
    ),
    observations: list[Path] = typer.Option(
        [],
        "--observations",
        help="Extra observation CSV(s) (composition,outcome[,evidence_kind...]).",
    ),
    no_observations: bool = typer.Option(
        False, "--no-observations", help="Pure morphology model: ignore the observations."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Reduction products against Li, V_FM, V_p, margin and SEI/MI-SEI/borderline/MCI class.

    When observations (shipped: Su, Fu et al. 2025 asymmetric cells and XPS/impedance studies;
    plus --observations FILE) bound V_p for the interphase's metal, the class comes from that
    window (classification_basis = observations; compositions inside it are 'untested: run an
    asymmetric cell'); the morphology model's V_p and class are reported beside. --v-p or
    --no-observations give the pure model.
    """
    from alloyscreen.interphase_route import analyse_interphase

    result = analyse_interphase(
        composition,
        route=route,
        morphology=_morphology(
            aspect_ratio, size_ratio, distribution, shell_thickness, tunnelling_distance
        ),
        model=_model(v_p, v_p_err),
        reactions=reactions,
        products=products,
        relaxed_volumes=relaxed_volumes,
        sigma_metal_S_cm=sigma_metal,
        sigma_insulator_S_cm=sigma_insulator,
        observations=observations,
        use_observations=not (no_observations or v_p is not None),
        calculator=calculator,
        store=db,
        workers=workers,
        progress=progress_factory(disable=json_out),
    )
    record = result.record
    exit_code = EXIT_TASKS_FAILED if result.n_failed else EXIT_OK
    if json_out:
        emit_json(record)
    else:
        _print_assessment(record)
    raise typer.Exit(exit_code)


@handle_errors
def calibrate(
    observations: Path | None = typer.Argument(
        None,
        help="CSV with columns composition, outcome (benign|detrimental)[, evidence_kind, "
        "citation, doi]; default: the shipped observations (unless --cells).",
    ),
    cells: Path | None = typer.Option(
        None,
        "--cells",
        help="Experiments TOML: per composition its symmetric/asymmetric cell files; outcomes "
        "come from the asymmetric-cell protocol.",
    ),
    host: str | None = typer.Option(None, "--host", help="Design host (default: inferred)."),
    metal_source: str | None = typer.Option(
        None, "--metal-source", help="Design metal source (default: inferred)."
    ),
    margin: float = typer.Option(0.2, "--margin", help="Design safety margin (relative)."),
    aspect_ratios: str = typer.Option(
        "0.1,0.2,0.5,1,2,5,10", "--aspect-ratios", help="Aspect ratios to check."
    ),
    distributions: str = typer.Option(
        "random", "--distributions", help="Distributions to check (comma-separated)."
    ),
    size_ratios: str = typer.Option("1", "--size-ratios", help="Size ratios to check."),
    no_morphologies: bool = typer.Option(
        False, "--no-morphologies", help="Only the V_p window (no percolation engine needed)."
    ),
    map_png: Path | None = typer.Option(
        None, "--map", help="Write a PNG map: which microstructure families fit the window."
    ),
    reactions: list[Path] = typer.Option([], "--reactions", help="Extra reaction file(s)."),
    products: list[Path] = typer.Option([], "--products", help="Extra product file(s)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Window of V_p consistent with benign/detrimental observations; flags contradictions.

    Also per metal (``by_metal``), the tabulated microstructure families that explain each
    window (``families``), and with --cells (or --host/--metal-source) the MI-SEI design that
    follows from the window.
    """
    from alloyscreen.interphase_route import calibrate_interphase

    cal = calibrate_interphase(
        observations,
        cells=cells,
        host=host,
        metal_source=metal_source,
        margin=margin,
        morphology_grid_values=None
        if no_morphologies
        else (
            _floats(aspect_ratios, "--aspect-ratios"),
            [d.strip() for d in distributions.split(",") if d.strip()],
            _floats(size_ratios, "--size-ratios"),
        ),
        map_png=map_png,
        reactions=reactions,
        products=products,
    )
    record, result, experiments, families = cal.record, cal.result, cal.experiments, cal.families
    design_record = record["design"]
    host, metal_source = cal.host, cal.metal_source
    if json_out:
        emit_json(record)
        raise typer.Exit(EXIT_OK)
    for e in experiments or []:
        out_console.print(f"{e['composition']}: {e['label']} - {e['verdict']}", highlight=False)
    for o in result.observations:
        out_console.print(f"{o.outcome:11s} V_FM = {o.v_fm:.4f}  {o.composition}", highlight=False)
    if result.consistent:
        hi = "unbounded" if result.v_p_max is None else f"{result.v_p_max:.4f}"
        out_console.print(
            f"V_p window (all observations pooled): {result.v_p_min:.4f} < V_p <= {hi}",
            highlight=False,
            style="bold",
        )
        for m in result.morphologies:
            mark = "consistent" if m.consistent else "excluded"
            out_console.print(
                f"  {m.morphology.label:40s} V_p = {m.v_p:.4f} ± {m.v_p_err:.4f}  {mark}",
                highlight=False,
            )
    else:
        out_console.print("[bold red]contradictory observations: no V_p window[/bold red]")
        for c in result.contradictions:
            out_console.print(f"  {c.message()}", highlight=False)
    for key, info in record["by_metal"].items():
        w = info["v_p_window"]
        text = "no window (contradictory)" if w is None else (
            f"{w[0]:.4f} < V_p <= {'unbounded' if w[1] is None else f'{w[1]:.4f}'}"
        )  # fmt: skip
        out_console.print(f"metal {key}: {text}", highlight=False)
        for f in families.get(key, []):
            out_console.print(f"  {f['text']}", highlight=False)
    if design_record is not None:
        out_console.print(
            f"design {host} + {metal_source}: recommended x <= "
            f"{design_record['recommended_max_fraction']:.4g} (basis: {design_record['basis']})",
            highlight=False,
            style="bold",
        )
        out_console.print(str(design_record["summary"]), highlight=False)
    for o in result.unexplained:
        err_console.print(
            f"note: {o.composition} is detrimental without metal (not explained by percolation)"
        )
    raise typer.Exit(EXIT_OK)


@handle_errors
def design(
    host: str = typer.Option(..., "--host", help="Host electrolyte, e.g. Li6PS5Cl."),
    metal_source: str = typer.Option(
        ..., "--metal-source", help="Second electrolyte (Li10GeP2S12), dopant (Cu) or alloy."
    ),
    margin: float = typer.Option(0.2, "--margin", help="Safety margin (fraction of V_p)."),
    absolute_margin: bool = typer.Option(
        False, "--absolute-margin", help="Read --margin as a volume fraction, not relative."
    ),
    kind: str = typer.Option("auto", "--kind", help="auto, electrolyte, dopant or alloy."),
    dopant_charge: float | None = typer.Option(
        None, "--dopant-charge", help="Li removed per dopant atom (default 1)."
    ),
    max_fraction: float = typer.Option(1.0, "--max-fraction", help="Upper end of x."),
    aspect_ratio: float = typer.Option(
        DEFAULT_ASPECT_RATIO, "--aspect-ratio", help="Baseline metal aspect ratio."
    ),
    size_ratio: float = typer.Option(1.0, "--size-ratio", help="Baseline size ratio."),
    distribution: str = typer.Option("random", "--distribution", help="Baseline distribution."),
    shell_thickness: float = typer.Option(0.0, "--shell-thickness", help="Enveloped shell s."),
    tunnelling_distance: float = typer.Option(
        0.0, "--tunnelling-distance", help="Tunnelling distance d."
    ),
    v_p: float | None = typer.Option(None, "--v-p", help="Fixed V_p instead of the engine."),
    v_p_err: float = typer.Option(0.0, "--v-p-err", help="Uncertainty of --v-p."),
    reactions: list[Path] = typer.Option([], "--reactions", help="Extra reaction file(s)."),
    products: list[Path] = typer.Option([], "--products", help="Extra product file(s)."),
    observations: list[Path] = typer.Option(
        [],
        "--observations",
        help="Extra observation CSV(s) (composition,outcome[,evidence_kind...]).",
    ),
    no_observations: bool = typer.Option(
        False, "--no-observations", help="Pure morphology model: ignore the observations."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write a PNG: V_FM vs fraction against V_p bands."
    ),
) -> None:
    """MI-SEI design: largest blend/doping fraction keeping V_FM below V_p minus a margin.

    When observations (shipped and --observations) bound V_p for the mixture's metal, the
    recommendation keeps V_FM the margin below the smallest V_FM observed detrimental (never below
    the largest observed benign); the morphology limits are reported beside.
    """
    from alloyscreen.interphase.design import design_document
    from alloyscreen.interphase_route import design_interphase

    result, plot = design_interphase(
        host,
        metal_source,
        margin=margin,
        absolute_margin=absolute_margin,
        morphology=_morphology(
            aspect_ratio, size_ratio, distribution, shell_thickness, tunnelling_distance
        ),
        v_p=v_p,
        v_p_err=v_p_err,
        kind=kind,
        dopant_charge=dopant_charge,
        max_fraction=max_fraction,
        reactions=reactions,
        products=products,
        observations=observations,
        use_observations=not (no_observations or v_p is not None),
        output=output,
    )
    doc = design_document(result, plot)
    if json_out:
        emit_json(
            {
                **doc,
                "host": result.host,
                "metal_source": result.metal_source,
                "source_kind": result.source_kind,
                "fraction_definition": result.fraction_definition,
                "margin": result.margin,
                "margin_mode": result.margin_mode,
                "metal_products": list(result.metal_products),
                "skipped_morphologies": [
                    {"morphology": label, "reason": why} for label, why in result.skipped
                ],
                "curve": {"fraction": list(result.fractions), "v_fm": list(result.v_fm)},
            }
        )
        raise typer.Exit(EXIT_OK)
    from rich.table import Table

    table = Table(title=f"MI-SEI design: {host} + {metal_source} ({result.source_kind})")
    for col in ("morphology", "V_p", "target V_FM", "max x", "gain", "limited by"):
        table.add_column(col)
    for row in result.table():
        vp = row["v_p"]
        gain = row["gain_vs_baseline"]
        table.add_row(
            str(row["morphology"]),
            "never" if vp is None else f"{vp:.4f} ± {row['v_p_err']:.4f}",
            "-" if row["target_v_fm"] is None else f"{row['target_v_fm']:.4f}",
            f"{row['max_fraction']:.4f}",
            "-" if gain is None else f"x{gain:.2f}",
            str(row["limited_by"]),
        )
    out_console.print(table)
    out_console.print(f"x = {result.fraction_definition}", highlight=False)
    out_console.print(
        f"recommended x <= {result.recommended_max_fraction:.4g} (basis: {result.basis})",
        highlight=False,
        style="bold",
    )
    out_console.print(result.summary(), highlight=False)
    for label, why in result.skipped:
        err_console.print(f"skipped {label}: {why}", highlight=False)
    if plot is not None:
        err_console.print(f"plot: {plot}")
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add ``interphase`` (group: COMPOSITION | analyse | calibrate) and ``design``."""
    interphase_app = typer.Typer(
        name="interphase",
        cls=_CompositionGroup,
        help=(
            "Interphase against Li: 'alloyscreen interphase COMPOSITION --options' "
            "(= 'interphase analyse COMPOSITION'), or 'alloyscreen interphase calibrate OBS.csv'."
        ),
        no_args_is_help=True,
    )
    interphase_app.command("analyse")(analyse)
    interphase_app.command("calibrate")(calibrate)
    app.add_typer(interphase_app, name="interphase")
    app.command("design")(design)
