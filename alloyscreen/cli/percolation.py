"""CLI commands: ``percolation lattice|particles|conductivity|fit|map|families``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from alloyscreen.cli._common import emit_json, err_console, fail, handle_errors, progress_bar

percolation_app = typer.Typer(
    help="Percolation thresholds and conductivity of metal-in-insulator interphases.",
    no_args_is_help=True,
)


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        fail(f"{what} must be comma-separated numbers, not '{text}'")


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        fail(f"{what} must be comma-separated integers, not '{text}'")


def _dump(obj: Any) -> dict:
    from alloyscreen.serialization import to_jsonable

    return to_jsonable(obj)


@percolation_app.command("lattice")
@handle_errors
def lattice(
    lattice_name: str = typer.Option("sc", "--lattice", help="sc, bcc or fcc."),
    kind: str = typer.Option("site", "--kind", help="site or bond percolation."),
    sizes: str = typer.Option("16,24,32", "--sizes", help="Linear sizes L (cubic cells)."),
    samples: str = typer.Option("2000", "--samples", help="Sweeps per size (one or per size)."),
    event: str = typer.Option("wrap_x", "--event", help="wrap_x, wrap_any, wrap_all or span."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    threads: int = typer.Option(None, "--threads", help="numba threads (default: all)."),
    bootstrap: int = typer.Option(60, "--bootstrap", help="Bootstrap replicates."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Site/bond percolation threshold p_c (Newman–Ziff + finite-size scaling)."""
    from alloyscreen.percolation.lattice import lattice_threshold

    L = _ints(sizes, "--sizes")
    S = _ints(samples, "--samples")
    with progress_bar(f"{lattice_name} {kind}", len(L), disable=json_out) as advance:
        res = lattice_threshold(
            lattice_name,
            kind,
            L,
            S[0] if len(S) == 1 else S,
            seed=seed,
            event=event,
            threads=threads,
            n_boot=bootstrap,
            progress=advance,
        )
    if json_out:
        emit_json(res)
        return
    ref = f"  (reference {res.reference_p_c:.7f}, {res.reference})" if res.reference_p_c else ""
    err_console.print(
        f"{res.lattice} {res.kind}: p_c = {res.p_c:.6f} ± {res.p_c_err:.6f} "
        f"(stat {res.p_c_err_stat:.6f}, sys {res.p_c_err_sys:.6f}; {res.event}, "
        f"sizes {list(res.sizes)}){ref}; {res.elapsed_s:.1f} s",
        highlight=False,
    )


@percolation_app.command("particles")
@handle_errors
def particles(
    shape: str = typer.Option("sphere", "--shape", help="sphere or spheroid."),
    aspect_ratio: float = typer.Option(1.0, "--aspect-ratio", help="a/b (>1 prolate, <1 oblate)."),
    distribution: str = typer.Option(
        "random", "--distribution", help="random, enveloped or segregated."
    ),
    shell: float = typer.Option(0.0, "--shell", help="Insulating shell thickness s / r."),
    tunnelling: float = typer.Option(0.0, "--tunnelling", help="Tunnelling distance d / r."),
    size_ratio: float = typer.Option(
        1.0, "--size-ratio", help="Metal / insulating-grain radius (segregated)."
    ),
    polydispersity: float = typer.Option(0.0, "--polydispersity", help="Radius CV."),
    overlapping: bool = typer.Option(
        None, "--overlapping/--hard-core", help="Penetrable or hard-core metal particles."
    ),
    preset: str = typer.Option("standard", "--preset", help="fast, standard or accurate."),
    boxes: str = typer.Option(None, "--boxes", help="Box sides (units of r), comma separated."),
    samples: int = typer.Option(None, "--samples", help="Samples per box."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    threads: int = typer.Option(None, "--threads", help="numba threads (default: all)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Critical metal volume fraction phi_c (V_p) of a particle microstructure."""
    from alloyscreen.percolation.continuum import critical_volume_fraction

    bx = _floats(boxes, "--boxes") if boxes else None
    n_steps = len(bx) if bx else {"fast": 3, "standard": 4, "accurate": 5}.get(preset, 4)
    with progress_bar("particles", n_steps, disable=json_out) as advance:
        res = critical_volume_fraction(
            shape,
            aspect_ratio,
            size_ratio,
            distribution,
            shell,
            tunnelling,
            overlapping=overlapping,
            polydispersity=polydispersity,
            preset=preset,
            boxes=bx,
            samples=samples,
            seed=seed,
            threads=threads,
            progress=advance,
        )
    if json_out:
        emit_json(res)
        return
    if not res.percolates:
        err_console.print(f"no percolation: {res.note}", highlight=False)
        return
    err_console.print(
        f"{res.shape} AR={res.aspect_ratio:g} {res.distribution}"
        f"{' overlapping' if res.overlapping else ' hard-core'}: "
        f"phi_c = {res.phi_c:.4f} ± {res.phi_c_err:.4f} (eta_c = {res.eta_c:.4f}; "
        f"boxes {list(res.boxes)}); {res.elapsed_s:.1f} s",
        highlight=False,
    )


@percolation_app.command("conductivity")
@handle_errors
def conductivity(
    microstructure: str = typer.Option(
        "lattice", "--microstructure", help="lattice (random voxels), spheres or spheroids."
    ),
    vf: str = typer.Option(
        "0.36,0.40,0.45,0.50,0.55,0.60", "--vf", help="Metal volume fractions, comma separated."
    ),
    n: int = typer.Option(40, "--n", help="Voxels per box side."),
    samples: int = typer.Option(2, "--samples", help="Microstructures per volume fraction."),
    aspect_ratio: float = typer.Option(1.0, "--aspect-ratio", help="Spheroid a/b."),
    radius_vox: float = typer.Option(3.0, "--radius-vox", help="Particle radius in voxels."),
    voxels: Path = typer.Option(
        None, "--voxels", help="A .npy boolean voxel array (True = metal): one solve only."
    ),
    sigma_metal: float = typer.Option(1.0, "--sigma-metal", help="Metal conductivity, S/cm."),
    sigma_insulator: float = typer.Option(0.0, "--sigma-insulator", help="Insulator, S/cm."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    csv_out: Path = typer.Option(None, "--csv", help="Write the sigma(V_f) curve to this CSV."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Effective conductivity by a resistor network (pyamg); sigma(V_f) curve and eq. 2 fit."""
    import numpy as np

    from alloyscreen.errors import InputError
    from alloyscreen.percolation.analytic import fit_power_law
    from alloyscreen.percolation.conductivity import (
        conductivity_curve,
        effective_conductivity,
    )

    if voxels is not None:
        if not voxels.is_file():
            fail(f"voxel file '{voxels}' does not exist")
        try:
            arr = np.load(voxels)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read '{voxels}' as a .npy array: {exc}") from exc
        res = effective_conductivity(arr.astype(bool), sigma_metal, sigma_insulator)
        if json_out:
            emit_json({"file": str(voxels), **_dump(res)})
        else:
            err_console.print(
                f"sigma = {res.sigma_S_cm:.4e} S/cm (V_f = {res.v_f:.4f}, "
                f"{res.n_unknowns} unknowns, {res.iterations} iterations, {res.solve_s:.1f} s)",
                highlight=False,
            )
        return
    fr = _floats(vf, "--vf")
    with progress_bar("conductivity", len(fr), disable=json_out) as advance:
        curve = conductivity_curve(
            fr,
            microstructure=microstructure,
            n=n,
            samples=samples,
            aspect_ratio=aspect_ratio,
            radius_vox=radius_vox,
            seed=seed,
            progress=advance,
        )
    sig = curve.sigma_rel_mean * sigma_metal
    fit = None
    try:
        fit = fit_power_law(curve.v_f, sig)
    except InputError as exc:
        err_console.print(f"eq. 2 fit skipped: {exc}", highlight=False)
    if csv_out is not None:
        import pandas as pd

        csv_out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {
                "v_f": curve.v_f,
                "v_f_target": curve.v_f_target,
                "sigma_S_cm": sig,
                "sigma_std_S_cm": curve.sigma_rel_std * sigma_metal,
            }
        ).to_csv(csv_out, index=False)
    doc = {
        "n": fit.n if fit else None,
        "n_err": fit.n_err if fit else None,
        "v_p": fit.v_p if fit else None,
        "v_p_err": fit.v_p_err if fit else None,
        "sigma0_S_cm": fit.sigma0_S_cm if fit else None,
        "fit": _dump(fit) if fit else None,
        "sigma_metal_S_cm": sigma_metal,
        "curve": {
            "v_f": curve.v_f,
            "sigma_S_cm": sig,
            "sigma_std_S_cm": curve.sigma_rel_std * sigma_metal,
        },
        "settings": {
            "microstructure": microstructure,
            "grid": n,
            "samples": samples,
            "aspect_ratio": aspect_ratio,
            "radius_vox": radius_vox,
            "seed": seed,
        },
        "csv": str(csv_out) if csv_out else None,
        "elapsed_s": curve.elapsed_s,
    }
    if json_out:
        emit_json(doc)
        return
    for x, s in zip(curve.v_f, sig, strict=True):
        err_console.print(f"V_f = {x:.4f}  sigma = {s:.4e} S/cm", highlight=False)
    if fit:
        err_console.print(
            f"eq. 2 fit: n = {fit.n:.2f} ± {fit.n_err:.2f}, V_p = {fit.v_p:.4f} ± {fit.v_p_err:.4f}",
            highlight=False,
        )


@percolation_app.command("fit")
@handle_errors
def fit(
    data: Path = typer.Argument(..., help="CSV with columns v_f and sigma_S_cm."),
    floor: float = typer.Option(
        0.0, "--floor", help="Insulator conductivity (S/cm) to include below-threshold points."
    ),
    bootstrap: int = typer.Option(200, "--bootstrap", help="Bootstrap replicates."),
    loss: str = typer.Option("soft_l1", "--loss", help="linear, soft_l1, huber, cauchy."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Fit eq. 2, sigma = sigma_0 (V_f - V_p)^n, to measured or simulated data."""
    from alloyscreen.percolation.analytic import fit_power_law, read_conductivity_csv

    v, s = read_conductivity_csv(data)
    res = fit_power_law(v, s, sigma_floor_S_cm=floor, n_boot=bootstrap, seed=seed, loss=loss)
    if json_out:
        emit_json({"data": str(data), **_dump(res)})
        return
    err_console.print(
        f"n = {res.n:.3f} ± {res.n_err:.3f}, V_p = {res.v_p:.4f} ± {res.v_p_err:.4f}, "
        f"sigma_0 = {res.sigma0_S_cm:.4e} ± {res.sigma0_err:.1e} S/cm "
        f"({res.n_used} of {res.n_points} points used)",
        highlight=False,
    )


@percolation_app.command("map")
@handle_errors
def design_map_cmd(
    vary: str = typer.Option(
        "aspect-ratio",
        "--vary",
        help="aspect-ratio, size-ratio, shell-thickness or tunnelling-distance.",
    ),
    values: str = typer.Option(None, "--values", help="Values, comma separated (defaults set)."),
    tunnelling: float = typer.Option(
        None, "--tunnelling", help="Fixed tunnelling distance d / r (shell-thickness map)."
    ),
    preset: str = typer.Option("fast", "--preset", help="fast, standard or accurate."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    threads: int = typer.Option(None, "--threads", help="numba threads (default: all)."),
    output: Path = typer.Option(Path("results/percolation_map.png"), "-o", "--output", help="PNG."),
    csv_out: Path = typer.Option(None, "--csv", help="Also write the table as CSV."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Design map: V_p versus aspect ratio, size ratio, shell thickness or tunnelling distance."""
    from alloyscreen.percolation.maps import (
        DEFAULT_VALUES,
        design_map,
        map_table,
        plot_design_map,
    )

    vals = _floats(values, "--values") if values else None
    base = {} if tunnelling is None else {"tunnelling_distance": tunnelling}
    n = len(vals) if vals else len(DEFAULT_VALUES.get(vary, ()))
    with progress_bar(f"map {vary}", n or None, disable=json_out) as advance:
        dmap = design_map(
            vary, vals, base=base, preset=preset, seed=seed, threads=threads, progress=advance
        )
    png = plot_design_map(dmap, output)
    table = map_table(dmap)
    if csv_out is not None:
        csv_out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(csv_out, index=False)
    if json_out:
        emit_json(
            {
                "vary": vary,
                "png": str(png),
                "csv": str(csv_out) if csv_out else None,
                "preset": preset,
                "seed": seed,
                "base": base,
                "rows": table.to_dict(orient="records"),
                "points": [_dump(p) for p in dmap.points],
            }
        )
        return
    for x, p in zip(dmap.x, dmap.points, strict=True):
        txt = f"{p.phi_c:.4f} ± {p.phi_c_err:.4f}" if p.percolates else f"no percolation ({p.note})"
        err_console.print(f"{vary} = {x:g}: V_p = {txt}", highlight=False)
    err_console.print(f"map written to {png}", highlight=False)


@percolation_app.command("families")
@handle_errors
def families(
    window: str = typer.Option(
        ...,
        "--window",
        help="Observed V_p window LOW,HIGH (LOW exclusive, HIGH inclusive; HIGH may be 'inf'), "
        "e.g. from 'alloyscreen interphase calibrate'.",
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the map (PNG)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Which tabulated microstructure families have V_p inside a window (table lookups only)."""
    import math

    from alloyscreen.interphase.families import plot_families, search_families

    parts = [t.strip() for t in window.split(",")]
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        fail(f"--window must be LOW,HIGH numbers, not {window!r}")
    if not (0 <= lo < hi <= (math.inf if math.isinf(hi) else 1.0)):
        fail(f"--window needs 0 <= LOW < HIGH <= 1 (HIGH may be inf), got {window!r}")
    w = (lo, None if math.isinf(hi) else hi)
    matches = search_families(w)
    record: dict[str, Any] = {"v_p_window": list(w), "families": [m.record() for m in matches]}
    if output is not None:
        record["map"] = str(plot_families(matches, w, output))
    if json_out:
        emit_json(record)
        return
    for m in matches:
        err_console.print(("[green]consistent[/green] " if m.consistent else "excluded   ") + m.text,
                          highlight=False)  # fmt: skip
    if output is not None:
        err_console.print(f"map: {output}")


def register(app: typer.Typer) -> None:
    """Add the ``percolation`` sub-app."""
    app.add_typer(percolation_app, name="percolation")
