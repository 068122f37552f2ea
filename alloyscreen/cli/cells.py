"""CLI commands: ``alloyscreen cells analyze``, ``cells simulate`` and ``cells compare``."""

from __future__ import annotations

from pathlib import Path

import typer

from alloyscreen.cli._common import emit_json, err_console, fail, out_console, progress_bar

#: Default test length of ``cells simulate`` (h): long enough that a 20 um thin electrode at an
#: average CE of 0.96 (0.02 mAh/cm2 lost per 2-h cycle of 0.5 mAh/cm2; 4.12 mAh/cm2 of Li)
#: depletes (~410 h), with room for slower losses.
DEFAULT_MAX_HOURS = 2000.0


def _parse_columns(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    out: dict[str, str] = {}
    for part in text.split(","):
        if "=" not in part:
            fail(
                f"--columns: {part!r} is not NAME=COLUMN; e.g. "
                "--columns time_s=Time,voltage_V=Voltage,current_mA=Current"
            )
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip()
    return out


def register(app: typer.Typer) -> None:
    """Add the ``cells`` sub-commands to ``app``."""
    cells_app = typer.Typer(
        name="cells",
        help="Li|ISE|Li cell cycling: analyse tester files, simulate symmetric/asymmetric cells.",
        no_args_is_help=True,
    )

    @cells_app.command("analyze")
    def analyze(
        file: Path = typer.Argument(
            ..., help="Cycler file: Neware .nda/.ndax, BioLogic .mpr, or CSV/TSV."
        ),
        thin_li_um: float = typer.Option(
            20.0,
            "--thin-li-um",
            help="Thin (working) Li thickness, um; for a symmetric cell give its foil thickness.",
        ),
        thick_li_um: float = typer.Option(100.0, "--thick-li-um", help="Thick Li thickness, um."),
        current_mA_cm2: float = typer.Option(
            0.5, "--current-mA-cm2", help="Nominal current density, mA/cm2."
        ),
        capacity_mAh_cm2: float = typer.Option(
            0.5, "--capacity-mAh-cm2", help="Nominal charge per half cycle, mAh/cm2."
        ),
        area_cm2: float = typer.Option(0.785, "--area-cm2", help="Electrode area, cm2."),
        cutoff_V: float = typer.Option(5.0, "--cutoff-V", help="Tester voltage limit, V."),
        columns: str | None = typer.Option(
            None,
            "--columns",
            help="CSV column mapping, e.g. time_s=Time,voltage_V=Voltage,current_mA=Current,step=Step.",
        ),
        time_unit: str = typer.Option("s", "--time-unit", help="CSV time unit: s, min or h."),
        current_unit: str = typer.Option(
            "mA", "--current-unit", help="CSV current unit: mA, A or uA."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
        output: Path | None = typer.Option(
            None, "-o", "--output", help="Write a PNG: voltage profile and polarization vs cycle."
        ),
    ) -> None:
        """Depletion, polarization, soft shorts, cycle life and average CE of one cell."""
        from alloyscreen.errors import InputError, MissingExtraError
        from alloyscreen.experiments.cells.protocol import analyze_file

        mapping = _parse_columns(columns)
        try:
            analysed = analyze_file(
                file,
                thin_li_um=thin_li_um,
                thick_li_um=thick_li_um,
                current_mA_cm2=current_mA_cm2,
                capacity_mAh_cm2=capacity_mAh_cm2,
                area_cm2=area_cm2,
                cutoff_V=cutoff_V,
                columns=mapping,
                time_unit=time_unit,
                current_unit=current_unit,
                plot=output,
            )
        except (InputError, MissingExtraError) as exc:
            fail(str(exc))
        summary, table, result = analysed.summary, analysed.table, analysed.analysis
        if json_out:
            emit_json(summary)
            return
        out_console.print(f"{file} ({summary['format']}, {len(table)} records)", markup=False)
        out_console.print(f"  cycles: {result.n_cycles}, duration {result.duration_h:.1f} h")
        if result.depleted:
            out_console.print(
                f"  depleted at {result.depletion_time_h:.2f} h, cycle {result.depletion_cycle} "
                f"({result.depletion_reason})"
            )
        else:
            out_console.print("  no depletion")
        trend = result.polarization_trend
        out_console.print(f"  polarization trend: {trend.label}")
        if result.soft_short:
            out_console.print(f"  soft short at {result.soft_short_time_h:.2f} h")
        if result.average_ce is not None:
            out_console.print(
                f"  average CE (Adams): {result.average_ce:.4f}; Li loss "
                f"{result.li_loss_mAh_cm2_per_cycle:.4g} mAh/cm2 per cycle"
                if result.li_loss_mAh_cm2_per_cycle is not None
                else f"  average CE (Adams): {result.average_ce:.4f}"
            )
        elif result.average_ce_lower_bound is not None:
            out_console.print(f"  average CE >= {result.average_ce_lower_bound:.4f}")
        if output is not None:
            out_console.print(f"  plot: {output}")

    # British spelling accepted, not listed in --help.
    cells_app.command("analyse", hidden=True)(analyze)

    @cells_app.command("simulate")
    def simulate(
        config: str = typer.Option(
            "asymmetric",
            "--config",
            help="symmetric (thick Li on both sides) or asymmetric (thin vs thick Li).",
        ),
        thin_li_um: float = typer.Option(20.0, "--thin-li-um", help="Thin Li thickness, um."),
        thick_li_um: float = typer.Option(100.0, "--thick-li-um", help="Thick Li thickness, um."),
        ce: float | None = typer.Option(
            None, "--ce", help="Coulombic efficiency of plating (no interphase growth)."
        ),
        sigma_e: float | None = typer.Option(
            None,
            "--interphase-sigma-S-cm",
            help="Interphase electronic conductivity, S/cm (linear-parabolic growth law).",
        ),
        sigma_ion: float | None = typer.Option(
            None,
            "--interphase-sigma-ion-S-cm",
            help="Interphase Li+ conductivity, S/cm (default: the model's illustrative 1e-5).",
        ),
        composition: str | None = typer.Option(
            None,
            "--composition",
            help="Electrolyte/blend: growth law from its calibrated interphase class "
            "(e.g. 'Li6PS5Cl:Li10GeP2S12=4:1').",
        ),
        cycles: int | None = typer.Option(
            None, "--cycles", help="Number of cycles (default: as many as --max-hours allows)."
        ),
        max_hours: float = typer.Option(
            DEFAULT_MAX_HOURS,
            "--max-hours",
            help="Stop the test after this many hours if the cell has not failed.",
        ),
        current_mA_cm2: float = typer.Option(0.5, "--current-mA-cm2", help="mA/cm2."),
        capacity_mAh_cm2: float = typer.Option(0.5, "--capacity-mAh-cm2", help="mAh/cm2."),
        area_cm2: float = typer.Option(0.785, "--area-cm2", help="Electrode area, cm2."),
        cutoff_V: float = typer.Option(5.0, "--cutoff-V", help="Instrument voltage limit, V."),
        points: int = typer.Option(30, "--points-per-half-cycle", help="Records per half cycle."),
        noise_V: float = typer.Option(0.0, "--noise-V", help="Measurement noise (std), V."),
        seed: int = typer.Option(0, "--seed", help="Random seed for the noise."),
        output: Path = typer.Option(..., "-o", "--output", help="CSV file to write."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    ) -> None:
        """Simulate galvanostatic cycling; writes a CSV that `cells analyze` reads."""
        from alloyscreen.errors import InputError
        from alloyscreen.interphase.cell_simulation import simulate_cell_file

        if ce is not None and sigma_e is not None:
            fail("give either --ce or --interphase-sigma-S-cm, not both")
        if composition is not None and sigma_e is not None:
            fail("give either --composition or --interphase-sigma-S-cm, not both")
        if sigma_ion is not None and sigma_e is None and composition is None:
            fail("--interphase-sigma-ion-S-cm needs --interphase-sigma-S-cm or --composition")
        try:
            simulated = simulate_cell_file(
                output,
                config=config,
                thin_li_um=thin_li_um,
                thick_li_um=thick_li_um,
                ce=ce,
                sigma_e_S_cm=sigma_e,
                sigma_ion_S_cm=sigma_ion,
                composition=composition,
                cycles=cycles,
                max_hours=max_hours,
                current_mA_cm2=current_mA_cm2,
                capacity_mAh_cm2=capacity_mAh_cm2,
                area_cm2=area_cm2,
                cutoff_V=cutoff_V,
                points_per_half_cycle=points,
                noise_V=noise_V,
                seed=seed,
                progress=lambda text, total: progress_bar(text, total, disable=json_out),
            )
        except InputError as exc:
            fail(str(exc))
        result, summary = simulated.result, simulated.summary
        if json_out:
            emit_json(summary)
            return
        s = result.summary
        err_console.print(f"wrote {output} ({len(result.table)} records, {s.duration_h:.1f} h)")
        if s.depleted or s.failure:
            err_console.print(
                f"  {s.failure} at {s.depletion_time_h:.2f} h (cycle {s.depletion_cycle})"
            )
        else:
            err_console.print(f"  no failure in {s.n_cycles_completed} cycles")

    @cells_app.command("compare")
    def compare(
        symmetric: Path = typer.Argument(..., help="Symmetric cell file (thick Li both sides)."),
        asymmetric: list[Path] = typer.Argument(
            ..., help="Asymmetric cell file(s) (thin vs thick Li)."
        ),
        thin_li_um: str | None = typer.Option(
            None,
            "--thin-li-um",
            help="Thin Li thickness of each asymmetric file, comma-separated (default: the "
            "files' metadata, as written by 'cells simulate').",
        ),
        thick_li_um: float = typer.Option(100.0, "--thick-li-um", help="Thick Li thickness, um."),
        current_mA_cm2: float = typer.Option(0.5, "--current-mA-cm2", help="mA/cm2."),
        capacity_mAh_cm2: float = typer.Option(0.5, "--capacity-mAh-cm2", help="mAh/cm2."),
        area_cm2: float = typer.Option(0.785, "--area-cm2", help="Electrode area, cm2."),
        cutoff_V: float = typer.Option(5.0, "--cutoff-V", help="Tester voltage limit, V."),
        columns: str | None = typer.Option(None, "--columns", help="CSV column mapping."),
        output: Path | None = typer.Option(
            None, "-o", "--output", help="Write a PNG: profiles and polarization of every cell."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    ) -> None:
        """The asymmetric-cell protocol's verdict: benign, or detrimental (symmetric misleading)."""
        from alloyscreen.errors import InputError, MissingExtraError
        from alloyscreen.experiments.cells.protocol import compare_files, plot_protocol

        thins = None
        if thin_li_um:
            try:
                thins = [float(t) for t in thin_li_um.split(",") if t.strip()]
            except ValueError:
                fail(f"--thin-li-um: {thin_li_um!r} is not a comma-separated list of numbers")
        try:
            verdict, records = compare_files(
                symmetric,
                asymmetric,
                thin_li_um=thins,
                thick_li_um=thick_li_um,
                current_mA_cm2=current_mA_cm2,
                capacity_mAh_cm2=capacity_mAh_cm2,
                area_cm2=area_cm2,
                cutoff_V=cutoff_V,
                columns=_parse_columns(columns),
            )
        except (InputError, MissingExtraError) as exc:
            fail(str(exc))
        record = verdict.record()
        record["files"] = {
            "symmetric": str(symmetric),
            "asymmetric": [str(r.path) for r in records[1:]],
        }
        if output is not None:
            plot_protocol(records, verdict, output)
            record["plot"] = str(output)
        if json_out:
            emit_json(record)
            return
        out_console.print(f"[bold]{verdict.label}[/bold]: {verdict.verdict}", highlight=False)
        for thin, v in verdict.pairs:
            out_console.print(f"  {thin:g} um: {v.asymmetric_reading}", highlight=False)
        out_console.print(f"  symmetric: {verdict.pairs[0][1].symmetric_reading}", highlight=False)
        for note in verdict.notes:
            err_console.print(f"note: {note}", highlight=False)
        if output is not None:
            err_console.print(f"plot: {output}")

    app.add_typer(cells_app, name="cells")
