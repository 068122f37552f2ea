"""The engine interface: run tasks somewhere, yield outcomes as they finish."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

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
