"""The ranked shortlist as tables: column labels, terminal and Markdown tables, and export to
CSV, JSON, XLSX or Markdown (also straight from a results store)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError
from alloyscreen.ranking import RankedCandidate

EXPORT_FORMATS = ("csv", "json", "xlsx", "md")


COLUMN_LABELS = {
    "rank": "rank",
    "id": "id",
    "formula": "formula",
    "category": "category",
    "score": "score",
    "pareto": "Pareto",
    "w_adh_J_m2": "W_ad (J/m²)",
    "interface_energy_J_m2": "γ_int vs Li (J/m²)",
    "contact_angle_self_consistent_deg": "θ (°)",
    "predicted_contact_angle_deg": "θ, liquid-Li γ (°)",
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
    "contact_angle_self_consistent_deg",
    "network_barrier_eV",
    "percolation_margin",
    "e_above_hull_eV_atom",
)
TERMINAL_LABELS = {
    "rank": "#",
    "score": "score",
    "w_adh_J_m2": "W_ad",
    "contact_angle_self_consistent_deg": "θ",
    "network_barrier_eV": "E*",
    "percolation_margin": "margin",
    "e_above_hull_eV_atom": "E_hull",
}
TERMINAL_CAPTION = (
    "W_ad J/m², θ predicted molten-Li contact angle (°, with the model's own γ_Li), "
    "E* network barrier (eV), margin V_p − V_FM, "
    "E_hull eV/atom; * Pareto-optimal"
)
TABLE_COLUMNS = (
    "rank",
    "id",
    "formula",
    "category",
    "score",
    "pareto",
    "w_adh_J_m2",
    "interface_energy_J_m2",
    "contact_angle_self_consistent_deg",
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
        if col.endswith("contact_angle_deg") or col == "contact_angle_self_consistent_deg":
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
def export_from_store(
    store: Any,
    path: str | Path,
    fmt: str | None = None,
    *,
    weights: str | None = None,
    calculator: str | None = None,
    categories: Sequence[str] | None = None,
) -> tuple[Path, int]:
    """``alloyscreen export``: the store's ranked shortlist written to ``path``; returns the path
    and the number of candidates."""
    from alloyscreen.recipes import shortlist

    ranked = shortlist(store, weights=weights, calculator=calculator, categories=categories).ranked
    return export_shortlist(ranked, path, fmt), len(ranked)
