"""Tasks: one calculation of one structure with one calculator, identified by a content key.

The content key is a SHA-256 hash of the canonical structure, the calculator identity, the task
parameters, the task kind and the kind's version. Equal keys mean equal inputs, so a stored done
result can be returned instead of recomputing — which makes every campaign resumable.

Task kinds map to pure science functions ``(atoms, calc, **params) -> frozen dataclass``. The map
is the static table :data:`TASK_KINDS` below: each kind names its function by a lazy
``module:function`` path, imported only by the worker that runs the task
(:meth:`TaskKind.resolve`). A task's ``params`` are exactly the keyword arguments of that
function (the worker calls ``task_kind(kind).resolve()(atoms, calc, **params)``), so an option
can be followed from the command line to the science, e.g. ``fmax``: ``alloyscreen relax
--fmax`` -> ``Task.params["fmax"]`` (part of the content key) -> ``relax_bulk(atoms, calc,
fmax=...)``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ase import Atoms

from alloyscreen.calculators import CalculatorIdentity, calculator_identity
from alloyscreen.errors import InputError
from alloyscreen.formula import reduced_formula
from alloyscreen.serialization import to_jsonable


@dataclass(frozen=True)
class TaskKind:
    """A registered kind of task.

    Attributes
    ----------
    function : str
        ``module:function`` of the science function ``(atoms, calc, **params) -> result``.
    version : int
        Bump when the function's results change for the same inputs (invalidates cached keys).
    description : str
        One line for ``status`` and docs.
    result : str
        ``module:Class`` of the frozen dataclass the function returns, for typed read-back
        (:func:`alloyscreen.results.typed_result`); empty when not declared.
    """

    function: str
    version: int
    description: str = ""
    result: str = ""

    def resolve(self) -> Callable[..., Any]:
        """Import and return the science function."""
        module, _, name = self.function.partition(":")
        return getattr(importlib.import_module(module), name)


TASK_KINDS: dict[str, TaskKind] = {
    "relax": TaskKind(
        "alloyscreen.properties.bulk:relax_bulk",
        1,
        "bulk relaxation (cell + positions)",
        "alloyscreen.properties.bulk:BulkRelaxResult",
    ),
    "adhesion": TaskKind(
        "alloyscreen.properties.adhesion:work_of_adhesion",
        1,
        "Li/substrate work of adhesion",
        "alloyscreen.properties.adhesion:AdhesionResult",
    ),
    "migration": TaskKind(
        "alloyscreen.properties.migration:migration_barriers",
        1,
        "CI-NEB Li migration barriers",
        "alloyscreen.properties.migration:MigrationResult",
    ),
    # The calculator-validation set (``alloyscreen calculators validate``, ML vs DFT).
    "surface_energy": TaskKind(
        "alloyscreen.properties.calculator_checks:surface_energy",
        1,
        "surface energy of a relaxed slab cut from a bulk structure",
        "alloyscreen.properties.calculator_checks:SurfaceEnergyResult",
    ),
    "vacancy_hop": TaskKind(
        "alloyscreen.properties.calculator_checks:vacancy_hop",
        1,
        "nearest-neighbour vacancy hop barrier (NEB) in a bulk supercell",
        "alloyscreen.properties.calculator_checks:VacancyHopResult",
    ),
}


#: The relax options the CLI and the interphase thermo route pass explicitly (they enter content
#: keys), so that every command relaxing the same structure shares one stored result.
STANDARD_RELAX_OPTIONS: dict[str, Any] = {"fmax": 0.05, "max_steps": 300, "optimizer": "BFGS"}


def register_task_kind(name: str, kind: TaskKind) -> None:
    """Add (or replace) a task kind (plugins, tests, benchmarks; built-ins are in the table)."""
    TASK_KINDS[name] = kind


def task_kind(name: str) -> TaskKind:
    """Look up a registered task kind; the error lists the known ones."""
    try:
        return TASK_KINDS[name]
    except KeyError:
        raise InputError(
            f"unknown task kind '{name}'; known: {', '.join(sorted(TASK_KINDS))}"
        ) from None


@dataclass(frozen=True)
class CalculatorSpec:
    """Name and keyword arguments of a calculator, cheap to send to workers."""

    name: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def make(cls, name: str, **kwargs: Any) -> CalculatorSpec:
        """Build a spec with sorted keyword arguments."""
        return cls(name, tuple(sorted(kwargs.items())))

    def identity(self) -> CalculatorIdentity:
        """Identity record (no model is loaded)."""
        return calculator_identity(self.name, **dict(self.kwargs))


def canonical_structure(atoms: Atoms, decimals: int = 5) -> dict[str, Any]:
    """Order-independent, rounding-stable description of a structure for hashing.

    Fractional coordinates are wrapped into [0, 1) and rounded; sites are sorted by atomic number
    and coordinates, so a permuted copy of a structure has the same canonical form.
    """
    cell = np.round(np.asarray(atoms.cell.array, dtype=float), decimals) + 0.0
    if atoms.cell.rank == 3:
        frac = np.round(atoms.get_scaled_positions(wrap=True), decimals) % 1.0
    else:
        frac = np.round(np.asarray(atoms.positions, dtype=float), decimals)
    frac = np.round(frac, decimals) + 0.0  # +0.0 turns -0.0 into 0.0
    rows = sorted(zip(atoms.numbers.tolist(), map(tuple, frac.tolist()), strict=True))
    return {
        "cell": cell.tolist(),
        "pbc": [bool(p) for p in atoms.pbc],
        "sites": [[z, *xyz] for z, xyz in rows],
    }


def content_key(
    atoms: Atoms,
    identity: CalculatorIdentity,
    params: Mapping[str, Any],
    kind: str,
    version: int,
) -> str:
    """SHA-256 hex digest over structure, calculator identity, parameters, kind and version."""
    payload = {
        "structure": canonical_structure(atoms),
        "calculator": identity.as_dict(),
        "params": to_jsonable(dict(params)),
        "kind": kind,
        "version": version,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class Task:
    """One unit of work; build with :func:`make_task`.

    Attributes
    ----------
    key : str
        Content key (see module docstring).
    kind : str
        Registered task kind (``relax``, ``adhesion``, ``migration``...).
    candidate_id : str
        The candidate the task belongs to (``element:Li`` for elemental references).
    atoms : ase.Atoms
        Input structure.
    calculator : CalculatorSpec
    params : mapping
        Keyword options of the science function (JSON-compatible).
    meta : mapping
        Descriptive data stored with the result but not part of the key (candidate category,
        prototype, source...).
    """

    key: str
    kind: str
    candidate_id: str
    atoms: Atoms
    calculator: CalculatorSpec
    params: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def formula(self) -> str:
        """Reduced formula of the input structure."""
        return reduced_formula(self.atoms)


def make_task(
    kind: str,
    candidate_id: str,
    atoms: Atoms,
    calculator: CalculatorSpec,
    params: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Task:
    """Create a task with its content key (``meta`` is stored but not hashed)."""
    params = dict(params or {})
    spec = task_kind(kind)
    key = content_key(atoms, calculator.identity(), params, kind, spec.version)
    return Task(key, kind, candidate_id, atoms.copy(), calculator, params, dict(meta or {}))


@dataclass(frozen=True, eq=False)
class TaskOutcome:
    """What a worker sends back to the driver (the driver alone writes the store).

    ``status`` is ``done`` or ``failed``; ``result`` is the JSON-ready science result (for a failed
    task, any partial data); ``atoms`` the final structure if the result has one. ``verdict``
    marks a failure that is the calculation's own answer for these inputs (a
    :class:`~alloyscreen.errors.CalculationError` such as "no energy maximum between the
    endpoints", or an :class:`~alloyscreen.errors.InputError` of the science function): the same
    key gives the same answer, so a rerun reuses it instead of computing it again.
    """

    key: str
    kind: str
    candidate_id: str
    formula: str
    status: str
    result: Mapping[str, Any] | None
    atoms: Atoms | None
    error: str | None
    calculator: Mapping[str, Any]
    params: Mapping[str, Any]
    provenance: Mapping[str, Any]
    wall_time_s: float
    verdict: bool = False
