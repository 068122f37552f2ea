"""Workflow files (TOML): what a campaign computes, with which calculator, where, into which store.

Validated on load: an unknown or mistyped key is an error naming the key and the file. The options
of the science steps (``[steps.relax]``, ``[steps.adhesion]``, ``[steps.migration]``) are checked
against the keyword parameters of the science function they feed, so the file and the code can
never drift apart. Values are checked too, before anything is computed (``run --dry-run`` fails
with exit status 2 on them): each science option against the type of its parameter (a number
where the default is a number, positive where the default is positive), the calculator name
against the registry, interphase compositions/host/metal source with the composition parser,
the morphology with its own checks, and the ranking weights with the ranker's parser. Every
message names the file, the key and the value.

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
import math
import tomllib
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alloyscreen.calculators import DEFAULT_CALCULATOR
from alloyscreen.engines.slurm import DEFAULT_DEATH_TIMEOUT_S
from alloyscreen.errors import InputError
from alloyscreen.funnel import FUNNEL_OPTIONS, FunnelSettings


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
    death_timeout_s: float = Field(
        default=DEFAULT_DEATH_TIMEOUT_S,
        gt=0,
        description="seconds a worker without its driver (scheduler) lives on before it exits",
    )


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


STEP_ORDER = ("relax", "funnel", "adhesion", "migration", "interphase", "rank", "report")


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
    "funnel": frozenset(FUNNEL_OPTIONS),
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


def _bad(where: str, section: str, key: str, value: Any, problem: str) -> InputError:
    return InputError(f"{where}: [{section}] {key} = {value!r}: {problem}")


def _function(function_path: str) -> Callable[..., Any] | None:
    import importlib

    module, _, name = function_path.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


#: Science options that must be > 0 (thresholds, step counts, tolerances); every other numeric
#: option must be >= 0 (0 means "all" or "automatic" for some, e.g. ``max_terminations``).
_POSITIVE_OPTIONS = frozenset(
    {"n_images", "spring_k", "stress_tol_GPa", "symprec", "temperature_K", "vacuum_A"}
)


def _strictly_positive(key: str) -> bool:
    return key in _POSITIVE_OPTIONS or key.endswith(("fmax", "max_steps"))


def _check_science_value(
    where: str, step: str, key: str, value: Any, param: inspect.Parameter, hint: Any
) -> None:
    """``value`` of a science option against the parameter's annotation and default."""
    from pydantic import PydanticSchemaGenerationError, TypeAdapter

    section = f"steps.{step}"
    adapter = None
    if hint is not inspect.Parameter.empty:
        try:
            adapter = TypeAdapter(hint)
        except PydanticSchemaGenerationError:  # e.g. Atoms: the default's type is checked below
            adapter = None
    if adapter is not None:
        try:
            adapter.validate_python(value, strict=not isinstance(value, list))
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"].lower()
            raise _bad(
                where, section, key, value, f"{problem} (like the default {param.default!r})"
            ) from None
    default = param.default
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _bad(where, section, key, value, "expected true or false")
    elif isinstance(default, int | float) and default is not None:
        if not is_number:
            raise _bad(where, section, key, value, f"expected a number like {default!r}")
        if not math.isfinite(value):
            raise _bad(where, section, key, value, "must be a finite number")
        if _strictly_positive(key) and value <= 0:
            raise _bad(where, section, key, value, "must be > 0")
        if value < 0:
            raise _bad(where, section, key, value, "must be >= 0")
        if isinstance(default, int) and not isinstance(value, int):
            raise _bad(where, section, key, value, f"expected a whole number like {default}")
    elif isinstance(default, str) and not isinstance(value, str):
        raise _bad(where, section, key, value, f"expected text like {default!r}")
    if key.endswith("optimizer"):
        from alloyscreen.properties.bulk import OPTIMIZERS

        if value not in OPTIMIZERS:
            raise _bad(where, section, key, value, f"choose one of {', '.join(OPTIMIZERS)}")


def _check_runner_value(where: str, step: str, key: str, value: Any) -> None:
    from alloyscreen.structures.candidates import CATEGORIES

    section = f"steps.{step}"
    if key == "categories":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(where, section, key, value, "expected a list of category names")
        unknown = [v for v in value if v not in CATEGORIES]
        if unknown:
            raise _bad(
                where, section, key, value, f"unknown {unknown[0]!r}; use {', '.join(CATEGORIES)}"
            )
    elif key == "ids":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(where, section, key, value, "expected a list of candidate ids")
    elif key == "formation_energy" and not isinstance(value, bool):
        raise _bad(where, section, key, value, "expected true or false")


def _check_interphase(where: str, options: dict[str, Any]) -> None:
    from alloyscreen.interphase.composition import parse_composition
    from alloyscreen.interphase.coupling import Morphology

    section = "steps.interphase"

    def number(key: str, low: float, high: float | None = None, *, open_low: bool = True) -> None:
        if key not in options:
            return
        value = options[key]
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            ok = math.isfinite(value) and (value > low if open_low else value >= low)
            ok = ok and (high is None or value <= high)
        if not ok:
            bound = f"> {low}" if open_low else f">= {low}"
            rng = bound if high is None else f"{bound} and <= {high}"
            raise _bad(where, section, key, value, f"expected a number {rng}")

    compositions = options.get("compositions", [])
    items = [compositions] if isinstance(compositions, str) else compositions
    if not isinstance(items, list):
        raise _bad(where, section, "compositions", compositions, "expected a list of compositions")
    for item in items:
        try:
            parse_composition(item if isinstance(item, str) else "")
        except InputError as exc:
            raise _bad(where, section, "compositions", item, str(exc)) from None
    for key in ("host", "metal_source"):
        if key in options:
            value = options[key]
            try:
                parse_composition(value if isinstance(value, str) else "")
            except InputError as exc:
                raise _bad(where, section, key, value, str(exc)) from None
    if ("host" in options) != ("metal_source" in options):
        missing = "metal_source" if "host" in options else "host"
        raise InputError(f"{where}: [{section}] {missing} is missing: a design needs both")
    route = options.get("route", "curated")
    if route == "mp":
        raise _bad(
            where,
            section,
            "route",
            route,
            "the Materials Project route needs an API key and network access, so it runs only "
            "from the CLI (alloyscreen interphase COMPOSITION --route mp); a campaign runs "
            "'curated' or 'thermo'",
        )
    if route not in ("curated", "thermo"):
        raise _bad(where, section, "route", route, "expected 'curated' or 'thermo'")
    number("aspect_ratio", 0.0)
    number("size_ratio", 0.0)
    number("margin", 0.0, 1.0, open_low=False)
    number("max_fraction", 0.0, 1.0)
    number("alloy_fraction", 0.0, 1.0)
    if "assume_metallic" in options and not isinstance(options["assume_metallic"], bool):
        raise _bad(where, section, "assume_metallic", options["assume_metallic"], "true or false")
    for key in ("aspect_ratio", "size_ratio", "distribution"):
        if key not in options:
            continue
        try:
            Morphology(**{key: options[key]})
        except (InputError, TypeError, ValueError) as exc:
            raise _bad(where, section, key, options[key], str(exc)) from None


def interphase_elements(options: Mapping[str, Any]) -> list[str]:
    """Elements other than Li of the interphase step's compositions, host and metal source (the
    chemical system whose phases the thermodynamic route relaxes, with Li)."""
    from alloyscreen.interphase.composition import parse_composition

    texts = options.get("compositions") or []
    texts = [texts] if isinstance(texts, str) else list(texts)
    texts += [str(options[k]) for k in ("host", "metal_source") if options.get(k)]
    elements: set[str] = set()
    for text in texts:
        elements |= {str(el) for el in parse_composition(str(text)).composition.elements}
    return sorted(elements - {"Li"})


def _check_thermo_elements(workflow: Workflow, where: str, options: dict[str, Any]) -> None:
    """The thermodynamic route relaxes phases of Li + the step's elements with the workflow's
    calculator: it must treat them (known only for calculators with a fixed element list)."""
    from alloyscreen.calculators import check_elements

    try:
        check_elements(["Li", *interphase_elements(options)], workflow.calculator.name)
    except InputError as exc:
        raise _bad(where, "steps.interphase", "route", "thermo", str(exc)) from None


def _check_rank(where: str, options: dict[str, Any]) -> None:
    from alloyscreen.ranking import parse_weights

    if "weights" in options:
        weights = options["weights"]
        if not isinstance(weights, dict):
            raise _bad(where, "steps.rank", "weights", weights, "expected a table of name = weight")
        try:
            parse_weights(weights)
        except (InputError, TypeError, ValueError) as exc:
            raise _bad(where, "steps.rank", "weights", weights, str(exc)) from None
    if "top" in options:
        top = options["top"]
        if not isinstance(top, int) or isinstance(top, bool) or top < 1:
            raise _bad(where, "steps.rank", "top", top, "expected a whole number >= 1")


def _check_calculator(workflow: Workflow, where: str) -> None:
    from alloyscreen.calculators import calculator_identity

    name = workflow.calculator.name
    if ":" in name:
        import importlib.util

        module = name.partition(":")[0]
        try:
            found = module and importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise _bad(where, "calculator", "name", name, f"module '{module}' is not installed")
    try:
        calculator_identity(name, **workflow.calculator.options)
    except InputError as exc:
        raise _bad(where, "calculator", "name", name, str(exc)) from None


def check_values(workflow: Workflow, where: str) -> None:
    """Check the values of the workflow's options (types, ranges, names) before any compute."""
    _check_calculator(workflow, where)
    for name, section in workflow.steps.items():
        options = section.options
        if name in STEP_FUNCTIONS:
            function_path, runner_keys = STEP_FUNCTIONS[name]
            function = _function(function_path)
            for key, value in options.items():
                if key in runner_keys:
                    _check_runner_value(where, name, key, value)
            if function is None:
                continue
            params = inspect.signature(function).parameters
            try:
                hints = typing.get_type_hints(function)
            except Exception:  # unresolvable annotations: defaults still give the types
                hints = {}
            for key, value in options.items():
                if key in params and key not in runner_keys:
                    hint = hints.get(key, inspect.Parameter.empty)
                    _check_science_value(where, name, key, value, params[key], hint)
        elif name == "interphase":
            _check_interphase(where, options)
            if options.get("route") == "thermo":
                _check_thermo_elements(workflow, where, options)
        elif name == "rank":
            _check_rank(where, options)
        elif name == "funnel":
            FunnelSettings.from_options(options, f"{where}: [steps.funnel]")


def _format_validation_error(exc: ValidationError, where: str) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key '{loc}'")
        else:
            lines.append(f"'{loc}' = {err.get('input')!r}: {err['msg']}")
    return f"{where}: invalid workflow: " + "; ".join(lines)


def workflow_from_dict(data: Mapping[str, Any], where: str = "<workflow>") -> Workflow:
    """Validate a decoded workflow mapping; errors name ``where`` and the key."""
    try:
        workflow = Workflow.model_validate({**data, "source": where})
    except ValidationError as exc:
        raise InputError(_format_validation_error(exc, where)) from None
    _check_steps(workflow, where)
    check_values(workflow, where)
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
