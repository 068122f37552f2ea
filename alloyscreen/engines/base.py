"""The engine interface: run tasks somewhere, yield outcomes as they finish."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from alloyscreen.tasks import Task, TaskOutcome


@runtime_checkable
class Engine(Protocol):
    """Executes tasks and yields their outcomes in completion order.

    Engines never touch the store: the driver writes each outcome as soon as it is yielded, so a
    crash of the driver loses at most the tasks still in flight.
    """

    name: str

    def map(self, tasks: Sequence[Task]) -> Iterator[TaskOutcome]:
        """Run ``tasks``; yield one outcome per task (order of completion)."""
        ...

    def close(self) -> None:
        """Release workers/jobs."""
        ...


def failed_outcome(task: Task, error: str, **provenance: Any) -> TaskOutcome:
    """A ``failed`` outcome for a task that returned nothing (its worker died, it was cancelled).

    ``provenance`` adds fields to the provenance record (e.g. ``engine="slurm"``).
    """
    from alloyscreen.provenance import provenance_record

    return TaskOutcome(
        key=task.key,
        kind=task.kind,
        candidate_id=task.candidate_id,
        formula=task.formula,
        status="failed",
        result=None,
        atoms=None,
        error=error,
        calculator=task.calculator.identity().as_dict(),
        params=dict(task.params),
        provenance=provenance_record(**provenance),
        wall_time_s=0.0,
    )
