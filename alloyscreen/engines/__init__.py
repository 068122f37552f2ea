"""Execution engines: where tasks run. Engines import science; science never imports engines."""

from __future__ import annotations

from typing import Any

from alloyscreen.engines.base import Engine
from alloyscreen.engines.local import LocalEngine

ENGINES = ("local", "slurm")


def make_engine(kind: str = "local", **options: Any) -> Engine:
    """Build an engine by name.

    Parameters
    ----------
    kind : {"local", "slurm"}
    **options
        ``local``: ``workers``, ``threads_per_worker``, ``retries``;
        ``slurm``: see :class:`alloyscreen.engines.slurm.SlurmEngine`.
    """
    if kind == "local":
        return LocalEngine(**options)
    if kind == "slurm":
        from alloyscreen.engines.slurm import SlurmEngine

        return SlurmEngine(**options)
    from alloyscreen.errors import InputError

    raise InputError(f"unknown engine '{kind}'; choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "LocalEngine", "make_engine"]


def engine_from_section(section: Any) -> Engine:
    """Engine described by a workflow's ``[engine]`` section (:class:`~alloyscreen.workflow.EngineSection`)."""
    if section.kind == "local":
        return LocalEngine(workers=section.workers, retries=section.retries)
    from alloyscreen.engines.slurm import SlurmEngine

    return SlurmEngine.from_section(section)
