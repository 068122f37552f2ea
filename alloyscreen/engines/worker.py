"""Code that runs on workers: build (and cache) the calculator, run one task, return its outcome.

Workers never write the store; they return :class:`~alloyscreen.tasks.TaskOutcome` objects.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from typing import Any

from alloyscreen.calculators import get_calculator
from alloyscreen.errors import CalculationError, InputError
from alloyscreen.provenance import provenance_record, utc_now
from alloyscreen.serialization import to_jsonable
from alloyscreen.tasks import CalculatorSpec, Task, TaskOutcome, task_kind

logger = logging.getLogger(__name__)

# One calculator per spec per worker process: loading an ML model costs seconds, a task less.
_CALCULATORS: dict[CalculatorSpec, Any] = {}


def worker_calculator(spec: CalculatorSpec) -> Any:
    """The calculator for ``spec``, built once per process."""
    if spec not in _CALCULATORS:
        calc, _ = get_calculator(spec.name, **dict(spec.kwargs))
        _CALCULATORS[spec] = calc
    return _CALCULATORS[spec]


def _error_summary(exc: BaseException, max_lines: int = 12) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    text = "".join(lines).strip().splitlines()
    tail = "\n".join(text[-max_lines:])
    return f"{type(exc).__name__}: {exc}\n--- traceback (last lines) ---\n{tail}"


def _with_calculators(params: dict[str, Any]) -> dict[str, Any]:
    """``preconverge`` names a second, cheaper calculator (``"sevenn"`` or ``{"name": ...,
    "options": {...}}``; an ``identity`` entry only keys the task): built here, like the task's
    own calculator, so that science functions receive calculators, never names."""
    spec = params.get("preconverge")
    if spec is not None:
        if isinstance(spec, str):
            spec = {"name": spec}
        params["preconverge"] = worker_calculator(
            CalculatorSpec.make(spec["name"], **dict(spec.get("options", {})))
        )
    return params


def execute_task(task: Task) -> TaskOutcome:
    """Run ``task`` and return its outcome; exceptions become ``failed`` outcomes.

    A :class:`~alloyscreen.errors.CalculationError` (e.g. an unconverged NEB) keeps its partial
    data in ``result`` but is still ``failed``: partial data is never a valid result.
    """
    started = utc_now()
    t0 = time.perf_counter()
    identity = task.calculator.identity()
    result: Any = None
    atoms = None
    error = None
    verdict = False
    try:
        function = task_kind(task.kind).resolve()
        calc = worker_calculator(task.calculator)
        value = function(task.atoms.copy(), calc, **_with_calculators(dict(task.params)))
        atoms = getattr(value, "atoms", None)
        result = to_jsonable(value)
        status = "done"
    except CalculationError as exc:
        status, error, verdict = "failed", exc.reason, True
        result = to_jsonable(exc.partial) if exc.partial is not None else None
    except InputError as exc:  # inputs the science function refuses: the same key, the same answer
        status, error, verdict = "failed", _error_summary(exc), True
        logger.info("task %s (%s) refused: %s", task.candidate_id, task.kind, exc)
    except Exception as exc:  # any failure of a calculation is recorded, never lost or hidden
        status, error = "failed", _error_summary(exc)
        logger.info("task %s (%s) failed: %s", task.candidate_id, task.kind, exc)
    wall = time.perf_counter() - t0
    return TaskOutcome(
        key=task.key,
        kind=task.kind,
        candidate_id=task.candidate_id,
        formula=task.formula,
        status=status,
        result=result,
        atoms=atoms,
        error=error,
        calculator=identity.as_dict(),
        params=to_jsonable(dict(task.params)),
        provenance=provenance_record(
            started=started,
            finished=utc_now(),
            pid=os.getpid(),
            slurm_job_id=os.environ.get("SLURM_JOB_ID"),
        ),
        wall_time_s=wall,
        verdict=verdict,
    )
