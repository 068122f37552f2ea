"""Workflow files (TOML): what a campaign computes, with which calculator, where, into which store.

Validated on load: an unknown or mistyped key is an error naming the key and the file. The options
of the science steps (``[steps.relax]``, ``[steps.adhesion]``, ``[steps.migration]``) are checked
against the keyword parameters of the science function they feed, so the file and the code can
never drift apart.

Example (``workflows/demo.toml``)::

    [campaign]
    name = "demo"
    candidates = ["candidates/demo.json"]

    [calculator]
    name = "sevenn"

    [engine]
    kind = "local"
    workers = 2

    [steps.relax]
    fmax = 0.05
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alloyscreen.calculators import DEFAULT_CALCULATOR
from alloyscreen.errors import InputError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignSection(_Strict):
    """``[campaign]``: name, inputs and outputs."""

    name: str = "campaign"
    candidates: list[str] = Field(
        default_factory=list, description="candidate sets, structure files or folders"
    )
    ids: list[str] | None = Field(default=None, description="only these candidate ids")
    db: str = "results/alloyscreen.db"
    output: str = "results"


class CalculatorSection(_Strict):
    """``[calculator]``: registry name or ``module:Class`` plus keyword options."""

    name: str = DEFAULT_CALCULATOR
    options: dict[str, Any] = Field(default_factory=dict)


class SlurmSection(_Strict):
    """``[engine.slurm]``: resources of each SLURM job (one dask worker per job by default)."""

    queue: str | None = None
    account: str | None = None
    walltime: str = "01:00:00"
    cores: int = 2
    processes: int = 1
    memory: str = "4GB"
    jobs: int = 2
    gpus_per_job: int = 0
    prologue: list[str] = Field(
        default_factory=list, description="job-script lines, e.g. 'module load ...'"
    )
    interface: str | None = None
    local_directory: str | None = None
    extra_directives: list[str] = Field(default_factory=list)
    python: str | None = None


class EngineSection(_Strict):
    """``[engine]``: where tasks run."""

    kind: Literal["local", "slurm"] = "local"
    workers: int = Field(default=1, ge=1)
    retries: int = Field(default=2, ge=0)
    slurm: SlurmSection = Field(default_factory=SlurmSection)


class StepSection(BaseModel):
    """One ``[steps.NAME]`` table: ``enabled`` plus options checked against the step's function."""

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = True

    @property
    def options(self) -> dict[str, Any]:
        """The step's options (everything but ``enabled``)."""
        return dict(self.model_extra or {})


STEP_ORDER = ("relax", "adhesion", "migration", "interphase", "rank", "report")


class Workflow(_Strict):
    """A validated workflow file."""

    campaign: CampaignSection = Field(default_factory=CampaignSection)
    calculator: CalculatorSection = Field(default_factory=CalculatorSection)
    engine: EngineSection = Field(default_factory=EngineSection)
    steps: dict[str, StepSection] = Field(default_factory=dict)
    source: str | None = Field(default=None, description="file the workflow was read from")

    def step(self, name: str) -> StepSection | None:
        """The step called ``name`` if present and enabled."""
        section = self.steps.get(name)
        return section if section is not None and section.enabled else None


#: Science function whose keyword parameters each step's options must match (module:function),
#: plus options the campaign runner consumes itself.
STEP_FUNCTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "relax": (
        "alloyscreen.properties.bulk:relax_bulk",
        frozenset({"formation_energy", "categories"}),
    ),
    "adhesion": (
        "alloyscreen.properties.adhesion:work_of_adhesion",
        frozenset({"categories", "ids"}),
    ),
    "migration": (
        "alloyscreen.properties.migration:migration_barriers",
        frozenset({"categories", "ids"}),
    ),
}

#: Steps whose options the campaign runner validates itself (no science function signature).
RUNNER_STEPS: dict[str, frozenset[str]] = {
    "interphase": frozenset(
        {
            "host",
            "metal_source",
            "margin",
            "aspect_ratio",
            "size_ratio",
            "distribution",
            "route",
            "compositions",
            "max_fraction",
            "alloy_fraction",
            "assume_metallic",
        }
    ),
    "rank": frozenset({"weights", "top"}),
    "report": frozenset({"formats", "directory"}),
}


def _keyword_parameters(function_path: str) -> set[str] | None:
    import importlib

    module, _, name = function_path.partition(":")
    try:
        function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None  # the capability is not installed in this version; checked when it runs
    params = inspect.signature(function).parameters.values()
    return {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _check_steps(workflow: Workflow, where: str) -> None:
    for name, section in workflow.steps.items():
        if name in STEP_FUNCTIONS:
            function_path, runner_keys = STEP_FUNCTIONS[name]
            allowed = _keyword_parameters(function_path)
            if allowed is None:
                continue
            allowed |= runner_keys
        elif name in RUNNER_STEPS:
            allowed = set(RUNNER_STEPS[name])
        else:
            raise InputError(
                f"{where}: unknown step [steps.{name}]; known steps: {', '.join(STEP_ORDER)}"
            )
        unknown = sorted(set(section.options) - allowed)
        if unknown:
            raise InputError(
                f"{where}: unknown key(s) {', '.join(unknown)} in [steps.{name}]; "
                f"allowed: enabled, {', '.join(sorted(allowed))}"
            )


def _format_validation_error(exc: ValidationError, where: str) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key '{loc}'")
        else:
            lines.append(f"'{loc}': {err['msg']}")
    return f"{where}: invalid workflow: " + "; ".join(lines)


def workflow_from_dict(data: Mapping[str, Any], where: str = "<workflow>") -> Workflow:
    """Validate a decoded workflow mapping; errors name ``where`` and the key."""
    try:
        workflow = Workflow.model_validate({**data, "source": where})
    except ValidationError as exc:
        raise InputError(_format_validation_error(exc, where)) from None
    _check_steps(workflow, where)
    return workflow


def load_workflow(path: str | Path) -> Workflow:
    """Read and validate a workflow TOML file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: workflow file not found")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    return workflow_from_dict(data, str(path))
