"""Convex hull of a binary Li–M system from relaxed energies (pymatgen ``PhaseDiagram``).

Formation energies are per atom against the elemental references computed with the same
calculator; the energy above the hull is the distance to the lower convex envelope of all
phases (references included), in eV/atom.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymatgen.core import Composition

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhaseEnergy:
    """Relaxed energy of one structure (input of :func:`binary_hull`).

    Attributes
    ----------
    id : str
    formula : str
        Reduced formula.
    energy_per_atom_eV : float
    prototype : str
    """

    id: str
    formula: str
    energy_per_atom_eV: float
    prototype: str = ""


@dataclass(frozen=True)
class HullPoint:
    """One phase on the hull diagram.

    Attributes
    ----------
    id, formula, prototype : str
    x_M : float
        Atomic fraction of the alloying element M.
    formation_energy_eV_atom : float
    e_above_hull_eV_atom : float
        0 for stable phases.
    stable : bool
        On the hull (a vertex of the lower envelope).
    decomposition : str
        Stable phases it decomposes into (``Li + LiGe`` ...), empty when stable.
    """

    id: str
    formula: str
    prototype: str
    x_M: float
    formation_energy_eV_atom: float
    e_above_hull_eV_atom: float
    stable: bool
    decomposition: str


@dataclass(frozen=True)
class BinaryHull:
    """Convex hull of the system Li–``element``.

    Attributes
    ----------
    element : str
    reference_energies_eV_atom : mapping
        Energy per atom of the elemental references (Li and M).
    points : tuple of HullPoint
        Every compound, sorted by ``x_M`` then energy above the hull.
    """

    element: str
    reference_energies_eV_atom: Mapping[str, float]
    points: tuple[HullPoint, ...]

    @property
    def stable(self) -> tuple[HullPoint, ...]:
        """The compounds on the hull."""
        return tuple(p for p in self.points if p.stable)

    def near_hull(self, max_e_hull_eV_atom: float) -> tuple[HullPoint, ...]:
        """Compounds within ``max_e_hull_eV_atom`` of the hull (stable ones included)."""
        return tuple(p for p in self.points if p.e_above_hull_eV_atom <= max_e_hull_eV_atom)

    def lowest(self, formula: str) -> HullPoint | None:
        """The lowest-energy compound of ``formula`` (reduced), or None."""
        rows = [p for p in self.points if p.formula == Composition(formula).reduced_formula]
        return min(rows, key=lambda p: p.formation_energy_eV_atom) if rows else None


def binary_hull(
    element: str, phases: Sequence[PhaseEnergy], references_eV_atom: Mapping[str, float]
) -> BinaryHull:
    """Build the hull of Li–``element`` from relaxed energies.

    Parameters
    ----------
    element
        Alloying element M.
    phases
        Relaxed Li–M compounds (pure-element structures among them are ignored).
    references_eV_atom
        Energy per atom of Li and M in their reference states (same calculator).

    Raises
    ------
    InputError
        A reference energy is missing.
    """
    from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram

    missing = [el for el in ("Li", element) if el not in references_eV_atom]
    if missing:
        raise InputError(f"no reference energy for {', '.join(missing)}; cannot build the hull")
    refs = [
        PDEntry(Composition(el), float(references_eV_atom[el]), name=f"element:{el}")
        for el in ("Li", element)
    ]
    compounds = []
    for ph in phases:
        comp = Composition(ph.formula)
        if len(comp.elements) < 2:
            continue
        if {str(e) for e in comp.elements} != {"Li", element}:
            raise InputError(f"phase {ph.id} ({ph.formula}) is not in the system Li-{element}")
        n = comp.num_atoms
        compounds.append((ph, PDEntry(comp, ph.energy_per_atom_eV * n, name=ph.id)))
    pd = PhaseDiagram([*refs, *(e for _, e in compounds)])
    points = []
    for ph, entry in compounds:
        decomp, e_hull = pd.get_decomp_and_e_above_hull(entry, allow_negative=True)
        e_hull = max(0.0, float(e_hull))
        stable = entry in pd.stable_entries
        text = "" if stable else " + ".join(sorted(e.composition.reduced_formula for e in decomp))
        points.append(
            HullPoint(
                id=ph.id,
                formula=entry.composition.reduced_formula,
                prototype=ph.prototype,
                x_M=float(entry.composition.get_atomic_fraction(element)),
                formation_energy_eV_atom=float(pd.get_form_energy_per_atom(entry)),
                e_above_hull_eV_atom=0.0 if stable else e_hull,
                stable=stable,
                decomposition=text,
            )
        )
    points.sort(key=lambda p: (p.x_M, p.e_above_hull_eV_atom, p.id))
    return BinaryHull(
        element=element,
        reference_energies_eV_atom={k: float(references_eV_atom[k]) for k in ("Li", element)},
        points=tuple(points),
    )


def hull_rows(hull: BinaryHull, max_e_hull_eV_atom: float | None = None) -> list[dict[str, Any]]:
    """Table rows (JSON-ready), optionally only those within ``max_e_hull_eV_atom``."""
    pts = hull.points if max_e_hull_eV_atom is None else hull.near_hull(max_e_hull_eV_atom)
    return [
        {
            "id": p.id,
            "formula": p.formula,
            "prototype": p.prototype,
            "x_M": round(p.x_M, 6),
            "formation_energy_eV_atom": round(p.formation_energy_eV_atom, 6),
            "e_above_hull_meV_atom": round(1000 * p.e_above_hull_eV_atom, 2),
            "stable": p.stable,
            "decomposes_to": p.decomposition,
        }
        for p in pts
    ]


def plot_hull(
    hull: BinaryHull,
    path: str | Path,
    *,
    max_e_hull_eV_atom: float = 0.025,
    title: str | None = None,
) -> Path:
    """Formation energy vs composition with the hull line; writes ``path`` (PNG/PDF/SVG).

    Stable phases are labelled with formula and prototype; near-hull ones (within
    ``max_e_hull_eV_atom``) are drawn open, the rest small and grey.
    """
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot()
    el = hull.element
    stable = sorted(hull.stable, key=lambda p: p.x_M)
    xs = [0.0, *(p.x_M for p in stable), 1.0]
    ys = [0.0, *(p.formation_energy_eV_atom for p in stable), 0.0]
    ax.plot(xs, ys, "-", color="tab:blue", lw=1.5, label="convex hull", zorder=2)
    other = [p for p in hull.points if p.e_above_hull_eV_atom > max_e_hull_eV_atom]
    near = [p for p in hull.points if not p.stable and p.e_above_hull_eV_atom <= max_e_hull_eV_atom]
    ax.scatter([p.x_M for p in other], [p.formation_energy_eV_atom for p in other], s=12,
               color="0.6", label="above hull", zorder=1)  # fmt: skip
    ax.scatter([p.x_M for p in near], [p.formation_energy_eV_atom for p in near], s=36,
               facecolors="none", edgecolors="tab:orange",
               label=f"within {1000 * max_e_hull_eV_atom:.0f} meV/atom", zorder=3)  # fmt: skip
    ax.scatter(xs, ys, s=40, color="tab:blue", zorder=4)
    for p in stable:
        ax.annotate(f"{p.formula} ({p.prototype})", (p.x_M, p.formation_energy_eV_atom),
                    textcoords="offset points", xytext=(4, -12), fontsize=8)  # fmt: skip
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel(f"x in Li$_{{1-x}}${el}$_x$")
    ax.set_ylabel("formation energy (eV/atom)")
    ax.set_title(title or f"Li–{el} convex hull")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    return path
