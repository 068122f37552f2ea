"""From cycler files to a calibrated V_p window and an MI-SEI design.

An experiments file (TOML) lists, per composition, its cell files; each composition's outcome
(benign / detrimental) comes from the asymmetric-cell protocol
(:func:`~alloyscreen.experiments.cells.protocol.compare_files`), never from the user. The
outcomes become observations (evidence kind ``asymmetric_cell``) for
:func:`~alloyscreen.interphase.calibration.calibrate`.

.. code-block:: toml

    [protocol]                  # optional defaults for every experiment
    thick_li_um = 100
    current_mA_cm2 = 0.5
    capacity_mAh_cm2 = 0.5
    area_cm2 = 0.785
    cutoff_V = 5.0

    [[experiment]]
    composition = "Li6PS5Cl:Li10GeP2S12=4:1"
    symmetric = "sym_4to1.csv"              # optional
    asymmetric = ["a20_4to1.csv", "a50_4to1.csv"]
    thin_li_um = [20, 50]                   # optional when the files carry it (cells simulate)
    citation = "lab notebook 12, p. 3"     # optional

Paths are relative to the experiments file. An inconclusive protocol (a soft short without
depletion) is an error naming the experiment: it cannot calibrate anything.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError
from alloyscreen.interphase.calibration import (
    CalibrationResult,
    Observation,
    calibrate,
    observations_from_rows,
)
from alloyscreen.interphase.products import ProductTable
from alloyscreen.interphase.reactions import ReactionTable

PROTOCOL_KEYS = ("thick_li_um", "current_mA_cm2", "capacity_mAh_cm2", "area_cm2", "cutoff_V")
EXPERIMENT_KEYS = ("composition", "symmetric", "asymmetric", "thin_li_um", "citation", "doi")


@dataclass(frozen=True)
class CellExperiment:
    """One composition, its files and the protocol's verdict."""

    composition: str
    symmetric: Path | None
    asymmetric: tuple[Path, ...]
    outcome: str
    verdict: Any  # ProtocolVerdict
    citation: str = ""


@dataclass(frozen=True)
class CellCalibration:
    """Experiments, their observations and the calibration."""

    experiments: tuple[CellExperiment, ...]
    observations: tuple[Observation, ...]
    result: CalibrationResult


def _floats(value: Any, where: str) -> list[float]:
    values = value if isinstance(value, list) else [value]
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise InputError(f"{where}: {value!r} is not a number or a list of numbers") from None


def read_experiments(path: str | Path) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Protocol defaults and experiment entries of an experiments file (validated)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"experiments file {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"protocol", "experiment"})
    if unknown:
        raise InputError(
            f"{p}: unknown table(s) {', '.join(unknown)}; use [protocol], [[experiment]]"
        )
    protocol = data.get("protocol", {})
    bad = sorted(set(protocol) - set(PROTOCOL_KEYS))
    if bad:
        raise InputError(
            f"{p}: unknown [protocol] key(s) {', '.join(bad)}; allowed: {PROTOCOL_KEYS}"
        )
    protocol = {k: _floats(v, f"{p} [protocol] {k}")[0] for k, v in protocol.items()}
    entries = data.get("experiment", [])
    if not entries:
        raise InputError(f"{p}: no [[experiment]] entries")
    out = []
    for i, e in enumerate(entries, 1):
        where = f"{p}, experiment {i}"
        bad = sorted(set(e) - set(EXPERIMENT_KEYS))
        if bad:
            raise InputError(
                f"{where}: unknown key(s) {', '.join(bad)}; allowed: {EXPERIMENT_KEYS}"
            )
        if not e.get("composition"):
            raise InputError(f"{where}: needs a composition")
        asym = e.get("asymmetric")
        if not asym:
            raise InputError(
                f"{where} ({e['composition']}): needs at least one asymmetric cell file; the "
                "symmetric cell alone can mislead (DESIGN.md section 1)"
            )
        asym = asym if isinstance(asym, list) else [asym]
        thin = e.get("thin_li_um")
        thin_list = None if thin is None else _floats(thin, f"{where} thin_li_um")
        if thin_list is not None and len(thin_list) != len(asym):
            raise InputError(f"{where}: {len(thin_list)} thin_li_um value(s) for {len(asym)} files")
        out.append(
            {
                "composition": str(e["composition"]),
                "symmetric": (p.parent / e["symmetric"]) if e.get("symmetric") else None,
                "asymmetric": [p.parent / str(a) for a in asym],
                "thin_li_um": thin_list,
                "citation": str(e.get("citation", "")),
                "doi": str(e.get("doi", "")),
                "where": where,
            }
        )
    return protocol, out


def calibrate_cells(
    path: str | Path,
    *,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
) -> CellCalibration:
    """Analyse every experiment's cells, turn the verdicts into observations and calibrate."""
    from alloyscreen.experiments.cells.protocol import analyze_protocol_file
    from alloyscreen.experiments.cells.verdict import compare_protocol

    protocol, entries = read_experiments(path)
    experiments = []
    rows = []
    for e in entries:
        try:
            sym = (
                analyze_protocol_file(e["symmetric"], "symmetric", **protocol)
                if e["symmetric"] is not None
                else None
            )
            asym = [
                analyze_protocol_file(
                    f, "asymmetric",
                    thin_li_um=None if e["thin_li_um"] is None else e["thin_li_um"][i],
                    **protocol,
                )
                for i, f in enumerate(e["asymmetric"])
            ]  # fmt: skip
        except InputError as exc:
            raise InputError(f"{e['where']} ({e['composition']}): {exc}") from None
        verdict = compare_protocol(
            None if sym is None else sym.analysis, [a.analysis for a in asym]
        )
        if verdict.outcome not in ("benign", "detrimental"):
            raise InputError(
                f"{e['where']} ({e['composition']}): the protocol is {verdict.outcome} "
                f"({verdict.verdict}); it cannot calibrate V_p - repeat the test or leave it out"
            )
        experiments.append(
            CellExperiment(
                e["composition"], e["symmetric"], tuple(e["asymmetric"]), verdict.outcome,
                verdict, e["citation"],
            )
        )  # fmt: skip
        thin = ", ".join(f"{a.analysis.protocol.thin_li_um:g}" for a in asym)
        rows.append(
            {
                "composition": e["composition"],
                "outcome": verdict.outcome,
                "evidence_kind": "asymmetric_cell",
                "evidence": f"asymmetric cells ({thin} um thin Li): {verdict.verdict}",
                "citation": e["citation"] or f"cell files of {Path(path).name}",
                "doi": e["doi"],
                "line": "0",
            }
        )
    obs = observations_from_rows(rows, reactions=reactions, products=products, source=str(path))
    return CellCalibration(tuple(experiments), tuple(obs), calibrate(obs))


def infer_design_pair(
    observations: tuple[Observation, ...] | list[Observation],
) -> tuple[str, str] | None:
    """``(host, metal_source)`` when every observed composition is a blend of the same two
    compounds (or one of them) and exactly one of them forms no metal; else None."""
    from alloyscreen.interphase.composition import parse_composition
    from alloyscreen.interphase.reactions import reduce_curated
    from alloyscreen.interphase.volumes import interphase_volumes

    names: dict[str, str] = {}
    for o in observations:
        for c in parse_composition(o.composition).components:
            names.setdefault(c.formula, c.formula)
    if len(names) != 2:
        return None
    metal_free = [n for n in names if interphase_volumes(reduce_curated(n)).v_fm <= 1e-12]
    if len(metal_free) != 1:
        return None
    host = metal_free[0]
    source = next(n for n in names if n != host)
    return host, source
