"""Minimum-energy-path plots of a migration result, from the result or its stored dictionary."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def mep_figure(result: Mapping[str, Any], *, title: str | None = None) -> Any:
    """A matplotlib ``Figure`` of every stored MEP of a migration result.

    ``result`` is a :class:`MigrationResult` or its stored dictionary (``StoredResult.result``,
    also the partial data of a failed task): nothing is recomputed.
    """
    from matplotlib.figure import Figure

    data = _as_mapping(result)
    hops = list(data.get("hops") or [])
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    drawn = 0
    for k, hop in enumerate(hops):
        s = hop.get("mep_reaction_coordinate_A") or ()
        e = hop.get("mep_energies_eV") or ()
        if not len(s) or not len(e):
            continue
        color = f"C{k % 10}"
        status = hop.get("status", "?")
        if hop.get("converged"):
            label = (
                f"{hop.get('mechanism', '')} hop {hop.get('hop_id')} "
                f"({hop.get('hop_length_A', 0):.2f} Å): "
                f"{hop['barrier_eV']:.3f} / {hop['barrier_reverse_eV']:.3f} eV"
            )
        else:
            label = f"{hop.get('mechanism', '')} hop {hop.get('hop_id')}: {status} (no barrier)"
        style = "-" if hop.get("converged") else ":"
        fs, fe = hop.get("mep_fit_coordinate_A") or (), hop.get("mep_fit_energies_eV") or ()
        if len(fs) and len(fe):
            ax.plot(fs, fe, style, color=color, lw=1.5)
        ax.plot(s, e, "o", color=color, ms=5, label=label)
        sad = hop.get("saddle_image")
        if hop.get("converged") and sad is not None:
            ax.plot([s[sad]], [e[sad]], "*", color=color, ms=13, mec="k")
        drawn += 1
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("reaction coordinate (Å)")
    ax.set_ylabel("energy relative to initial state (eV)")
    formula = data.get("formula", "")
    eb = data.get("network_barrier_eV")
    head = title or f"{formula} {data.get('species', 'Li')} migration (CI-NEB)"
    if eb is not None:
        head += f"\nnetwork barrier E* = {eb:.3f} eV ({data.get('network_dimensionality')}D)"
    ax.set_title(head, fontsize=10)
    if drawn:
        ax.legend(fontsize=8, loc="best")
    else:
        ax.text(0.5, 0.5, "no stored path", ha="center", va="center", transform=ax.transAxes)
    return fig


def plot_mep(result: Mapping[str, Any], path: str | Path, *, title: str | None = None) -> Path:
    """Write the MEP plot of a (stored) migration result to ``path`` (PNG); returns the path."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    mep_figure(result, title=title).savefig(out, dpi=150)
    return out


def _as_mapping(result: Any) -> Mapping[str, Any]:
    if isinstance(result, Mapping):
        return result
    from alloyscreen.serialization import to_jsonable

    return to_jsonable(result)
