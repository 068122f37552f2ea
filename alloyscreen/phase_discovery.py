"""Li–M phase discovery through the results store: enumerate prototypes, relax them (cached,
resumable, on any engine), build the convex hull and keep the phases on or near it.

The science is in :mod:`alloyscreen.structures.discovery` (prototypes, decoration, merging) and
:mod:`alloyscreen.structures.hull` (hull, table, plot); this module runs it as relax tasks of the
campaign machinery and writes the candidate set and hull files of ``alloyscreen candidates
discover``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alloyscreen.engines.base import Engine
from alloyscreen.errors import InputError
from alloyscreen.runner import RunSummary
from alloyscreen.store import ResultStore
from alloyscreen.structures.candidates import Candidate
from alloyscreen.structures.discovery import Enumeration
from alloyscreen.structures.hull import BinaryHull
from alloyscreen.tasks import CalculatorSpec

__all__ = ["DiscoveryResult", "DiscoveryRun", "discover", "run_discovery", "write_hull_files"]


@dataclass(frozen=True)
class DiscoveryRun:
    """One system's discovery: enumeration, relaxations, hull and the discovered candidates."""

    element: str
    enumeration: Enumeration
    hull: BinaryHull
    discovered: tuple[Candidate, ...]
    summary: RunSummary
    failed: tuple[str, ...]
    merged: dict[str, str]


def run_discovery(
    element: str,
    spec: CalculatorSpec,
    store: ResultStore,
    engine: Engine,
    progress: Callable[[str, int], Any],
    *,
    max_atoms: int | None = None,
    prototypes: Sequence[str] | None = None,
    max_e_hull_eV_atom: float = 0.025,
) -> DiscoveryRun:
    """Enumerate, relax (through the store: cached and resumable), build the hull, select.

    The relax tasks are the campaign's ``relax`` tasks with the standard options (same content
    keys as ``alloyscreen relax`` and workflow relax steps), elemental references included.
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    from alloyscreen.campaign import ELEMENT_PREFIX, relax_tasks, run_step
    from alloyscreen.structures.discovery import (
        DEFAULT_MAX_ATOMS,
        discovered_candidate,
        enumerate_system,
        merge_relaxed,
    )
    from alloyscreen.structures.hull import PhaseEnergy, binary_hull
    from alloyscreen.tasks import STANDARD_RELAX_OPTIONS

    enum = enumerate_system(
        element, max_atoms=max_atoms or DEFAULT_MAX_ATOMS, prototypes=prototypes
    )
    options = {**STANDARD_RELAX_OPTIONS, "formation_energy": True, "categories": ["alloy"]}
    tasks, _ = relax_tasks(enum.candidates, spec, options)
    summary = run_step(f"relax Li-{element}", tasks, store, engine, progress)
    done = {r.candidate_id: r for r in summary.results if r.done}
    failed = tuple(sorted(r.candidate_id for r in summary.results if not r.done))
    refs = {
        el: float(done[ELEMENT_PREFIX + el].result["energy_per_atom_eV"])
        for el in ("Li", element)
        if ELEMENT_PREFIX + el in done
    }
    relaxed = {
        c.id: AseAtomsAdaptor.get_structure(done[c.id].atoms)
        for c in enum.candidates
        if c.id in done
    }
    energies = {i: float(done[i].result["energy_per_atom_eV"]) for i in relaxed}
    merged = merge_relaxed(enum.candidates, relaxed, energies)
    phases = [
        PhaseEnergy(c.id, c.formula, energies[c.id], c.prototype)
        for c in enum.candidates
        if c.id in relaxed and c.id not in merged
    ]
    hull = binary_hull(element, phases, refs)
    by_id = {c.id: c for c in enum.candidates}
    relaxed_as: dict[str, list[str]] = {}
    for dropped, kept in merged.items():
        relaxed_as.setdefault(kept, []).append(dropped)
    discovered = tuple(
        discovered_candidate(
            by_id[p.id],
            relaxed[p.id],
            e_hull_eV_atom=p.e_above_hull_eV_atom,
            formation_energy_eV_atom=p.formation_energy_eV_atom,
            calculator=spec.name,
            also_relaxed_from=relaxed_as.get(p.id, ()),
        )
        for p in sorted(hull.near_hull(max_e_hull_eV_atom), key=lambda p: p.e_above_hull_eV_atom)
    )
    return DiscoveryRun(element, enum, hull, discovered, summary, failed, merged)


def write_hull_files(run: DiscoveryRun, directory: Path, max_e_hull: float, calc: str) -> dict:
    import csv
    import json

    from alloyscreen.structures.hull import hull_rows, plot_hull

    directory.mkdir(parents=True, exist_ok=True)
    rows = hull_rows(run.hull)
    stem = f"Li-{run.element}"
    csv_path = directory / f"{stem}_hull.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
    json_path = directory / f"{stem}_hull.json"
    json_path.write_text(
        json.dumps(
            {
                "system": stem,
                "calculator": calc,
                "reference_energies_eV_atom": dict(run.hull.reference_energies_eV_atom),
                "max_e_hull_eV_atom": max_e_hull,
                "phases": rows,
            },
            indent=1,
        )
        + "\n"
    )
    png = plot_hull(
        run.hull,
        directory / f"{stem}_hull.png",
        max_e_hull_eV_atom=max_e_hull,
        title=f"Li–{run.element} convex hull ({calc})",
    )
    return {"table": str(csv_path), "json": str(json_path), "plot": str(png)}


@dataclass(frozen=True)
class DiscoveryResult:
    """What ``discover`` did: one run per system, the hull files written per system
    (``{"Li-Ge": {"table": ..., "json": ..., "plot": ...}}``), the candidate set and the
    calculator name."""

    runs: list[DiscoveryRun]
    files: dict[str, Any]
    path: Path
    calculator: str


def discover(
    systems: Sequence[str],
    store: ResultStore | str | None = None,
    *,
    calculator: str | None = None,
    max_atoms: int | None = None,
    prototypes: Sequence[str] | None = None,
    max_e_hull_eV_atom: float = 0.025,
    engine_kind: str = "local",
    workers: int = 1,
    outdir: str | Path = "results/discovery",
    output: str | Path | None = None,
    progress: Callable[[str, int], Any] | None = None,
) -> DiscoveryResult:
    """``alloyscreen candidates discover``: discover every system (``"Li-Ge"``), write each hull
    (CSV, JSON, PNG) into ``outdir`` and the near-hull phases as one candidate set (``output``,
    default ``outdir/discovered.json``).

    Raises
    ------
    InputError
        Bad systems or limits, an engine other than local/slurm, or a calculator that cannot
        treat the elements; raised before the store is opened.
    """
    from alloyscreen.calculators import DEFAULT_CALCULATOR, check_elements
    from alloyscreen.campaign import no_progress
    from alloyscreen.engines import engine_from_section
    from alloyscreen.recipes import open_store
    from alloyscreen.structures.candidates import CandidateSet, save_candidates
    from alloyscreen.structures.discovery import parse_system
    from alloyscreen.workflow import EngineSection

    elements = [parse_system(s) for s in systems]
    if not elements:
        raise InputError("--system: name at least one system, e.g. Li-Ge")
    if max_atoms is not None and max_atoms < 2:
        raise InputError(f"--max-atoms must be at least 2, got {max_atoms}")
    if not max_e_hull_eV_atom >= 0:
        raise InputError(f"--max-ehull must be >= 0 eV/atom, got {max_e_hull_eV_atom}")
    if engine_kind not in ("local", "slurm"):
        raise InputError(f"--engine must be local or slurm, got {engine_kind!r}")
    calc = calculator or DEFAULT_CALCULATOR
    check_elements(["Li", *elements], calc)
    spec = CalculatorSpec.make(calc)
    db = open_store(store)
    eng = engine_from_section(EngineSection(kind=engine_kind, workers=workers))
    out = Path(outdir)
    runs: list[DiscoveryRun] = []
    files: dict[str, Any] = {}
    try:
        for el in elements:
            run = run_discovery(
                el,
                spec,
                db,
                eng,
                progress or no_progress,
                max_atoms=max_atoms,
                prototypes=prototypes,
                max_e_hull_eV_atom=max_e_hull_eV_atom,
            )
            runs.append(run)
            files[f"Li-{el}"] = write_hull_files(run, out, max_e_hull_eV_atom, calc)
    finally:
        eng.close()
    cands = CandidateSet(
        tuple(c for r in runs for c in r.discovered),
        {
            "command": "alloyscreen candidates discover",
            "systems": [f"Li-{e}" for e in elements],
            "calculator": calc,
            "max_atoms": runs[0].enumeration.max_atoms,
            "max_e_hull_eV_atom": max_e_hull_eV_atom,
            "relax_options": "alloyscreen.tasks.STANDARD_RELAX_OPTIONS (symmetry kept)",
            "counts": {f"Li-{r.element}": len(r.discovered) for r in runs},
        },
    )
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    path = save_candidates(
        cands, Path(output) if output else out / "discovered.json", created=created
    )
    return DiscoveryResult(runs, files, path, calc)
