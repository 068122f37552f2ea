"""Assemble a candidate set: known phases, references, prototypes, solid solutions, sources.

``generate_candidates`` is deterministic: the same arguments give the same candidates in the
same order with the same ids, and the ``generator`` record holds only the arguments (no
timestamps, no absolute paths), so the written file is byte-identical between runs apart from
the ``created`` field added by :func:`alloyscreen.structures.candidates.save_candidates`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError
from alloyscreen.structures.candidates import Candidate, CandidateSet

logger = logging.getLogger(__name__)

#: Order of the blocks in a generated set.
SOURCE_ORDER = ("known", "reference", "prototype", "solid_solution", "mp", "file")

#: External sources understood by ``sources=``.
EXTERNAL_SOURCES = ("mp", "files")


def parse_source(source: str | tuple[str, str | None]) -> tuple[str, str | None]:
    """``"mp"``, ``"files:DIR"`` or ``("files", "DIR")`` -> ``(kind, argument)``."""
    if isinstance(source, tuple):
        kind, arg = source
    elif ":" in source and not source.startswith("mp"):
        kind, arg = source.split(":", 1)
    else:
        kind, arg = source, None
    kind = kind.strip().lower()
    if kind not in EXTERNAL_SOURCES:
        raise InputError(f"unknown source {kind!r}; choose from {', '.join(EXTERNAL_SOURCES)}")
    if kind == "files" and not arg:
        raise InputError("source 'files' needs a path: --source files PATH")
    return kind, arg


def _unique_ids(cands: Sequence[Candidate]) -> list[Candidate]:
    used: set[str] = set()
    out = []
    for cand in cands:
        cid, k = cand.id, 1
        while cid in used:
            k += 1
            cid = f"{cand.id}-{k}"
        used.add(cid)
        out.append(cand if cid == cand.id else replace(cand, id=cid))
    return out


def generate_candidates(
    elements: Iterable[str],
    prototypes: Sequence[str] | None = None,
    known: bool = True,
    references: bool = True,
    solid_solutions: Mapping[str, Iterable[float]] | None = None,
    sources: Sequence[str | tuple[str, str | None]] = (),
    *,
    li_metal: bool = True,
    reference_categories: Sequence[str] = ("metal", "sei"),
    both_orderings: bool = True,
    seed: int = 0,
    sqs_size: int = 3,
    sqs_method: str = "sqs",
    sqs_steps: int = 4000,
    mp_max_e_above_hull: float = 0.025,
    mp_client: Any | None = None,
    deduplicate_structures: bool = True,
    select: Sequence[str] | None = None,
) -> CandidateSet:
    """Build a candidate set for Li alloys of ``elements`` plus the usual references.

    Parameters
    ----------
    elements : iterable of str
        Alloying elements M (``Al``, ``Ga``...). Order is kept in the output.
    prototypes : sequence of str, optional
        Prototype names (``B2``, ``B32``, ``D03``, ``L12``); ``None`` = all of them, ``()``
        = none.
    known : bool
        Include the shipped experimentally known Li–M phases (and bcc Li if ``li_metal``).
    references : bool
        Include the reference phases (non-alloying metals, SEI phases).
    solid_solutions : mapping, optional
        ``{"Mg": (0.05, 0.1)}``: bcc Li-rich solid solutions (SQS) per solute and fraction.
    sources : sequence
        ``"mp"`` (Materials Project, extra ``mp``) and/or ``("files", PATH)`` / ``"files:PATH"``.
    seed, sqs_size, sqs_method, sqs_steps
        Solid-solution settings (see :mod:`alloyscreen.structures.solid_solutions`).
    mp_max_e_above_hull : float
        Hull tolerance for the Materials Project (eV/atom).
    mp_client : object, optional
        MPRester-like client (tests).
    deduplicate_structures : bool
        Drop prototype/MP structures that match an earlier candidate (StructureMatcher).
    select : sequence of str, optional
        Keep only these ids, in this order.

    Returns
    -------
    CandidateSet
        ``generator`` holds the arguments, the dropped duplicates and the files that could not
        be read (``file_errors``; the good files are imported regardless).
    """
    from alloyscreen import __version__
    from alloyscreen.structures.known_phases import known_phase_candidates
    from alloyscreen.structures.prototypes import (
        DEFAULT_PROTOTYPES,
        check_element,
        deduplicate,
        normalize_prototype,
        prototype_candidates,
    )

    els: list[str] = []
    for el in elements:
        sym = check_element(el)
        if sym not in els:
            els.append(sym)
    protos = list(DEFAULT_PROTOTYPES if prototypes is None else prototypes)
    protos = list(dict.fromkeys(normalize_prototype(p) for p in protos))
    parsed_sources = [parse_source(s) for s in sources]
    ss = {k: tuple(float(x) for x in v) for k, v in (solid_solutions or {}).items()}

    blocks: list[Candidate] = []
    if known:
        blocks += known_phase_candidates(els, include_li_metal=li_metal)
    if references:
        from alloyscreen.structures.references import reference_candidates

        blocks += reference_candidates(reference_categories)
    if protos and els:
        blocks += prototype_candidates(els, protos, both_orderings=both_orderings)
    if ss:
        from alloyscreen.structures.solid_solutions import solid_solution_candidates

        blocks += solid_solution_candidates(
            ss, size=sqs_size, seed=seed, method=sqs_method, n_steps=sqs_steps
        )
    file_errors: list[dict[str, str]] = []
    for kind, arg in parsed_sources:
        if kind == "mp":
            from alloyscreen.structures.materials_project import mp_candidates

            blocks += mp_candidates(els, max_e_above_hull=mp_max_e_above_hull, client=mp_client)
        else:
            from alloyscreen.structures.files import read_candidates

            found, errors = read_candidates([Path(str(arg))])
            blocks += found
            file_errors += [{"path": e.path, "message": e.message} for e in errors]

    dropped: list[dict[str, str]] = []
    if deduplicate_structures:
        blocks, dropped = deduplicate(blocks)
    cands = _unique_ids(blocks)
    generator: dict[str, Any] = {
        "tool": "alloyscreen.structures.generate.generate_candidates",
        "alloyscreen_version": __version__,
        "elements": els,
        "prototypes": protos,
        "both_orderings": both_orderings,
        "known": known,
        "li_metal": li_metal,
        "references": list(reference_categories) if references else [],
        "solid_solutions": {k: list(v) for k, v in ss.items()},
        "sqs": {"size": sqs_size, "method": sqs_method, "steps": sqs_steps, "seed": seed}
        if ss
        else None,
        "sources": [
            {"kind": k, **({"path": a} if a else {})}
            | ({"max_e_above_hull_eV_atom": mp_max_e_above_hull} if k == "mp" else {})
            for k, a in parsed_sources
        ],
        "deduplicated": dropped,
        "file_errors": file_errors,
    }
    chosen = tuple(cands)
    if select is not None:
        chosen = CandidateSet(chosen).select(list(select)).candidates
        generator["select"] = list(select)
    counts: dict[str, int] = {}
    for c in chosen:
        counts[c.source] = counts.get(c.source, 0) + 1
    generator["counts"] = counts
    return CandidateSet(chosen, generator)
