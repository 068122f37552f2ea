"""Test-only calculators for the engine fault tests (imported by worker processes too).

Workers are separate processes (spawned pool workers, dask workers in SLURM jobs), so anything a
task needs must be importable there: the tests put this folder on ``PYTHONPATH`` and name these
classes as ``hpc_helpers:SlowEMT`` / ``hpc_helpers:DyingEMT`` calculators.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ase.calculators.emt import EMT


class SlowEMT(EMT):
    """ASE EMT that sleeps ``delay_s`` seconds per calculation (makes tasks last long enough).

    Parameters
    ----------
    delay_s : float
        Seconds slept before each energy/force evaluation.
    """

    def __init__(self, delay_s: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay_s = float(delay_s)

    def calculate(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(self.delay_s)
        super().calculate(*args, **kwargs)


class DyingEMT(EMT):
    """ASE EMT whose process dies (``os._exit``) at its first calculation while ``marker`` is absent.

    The first worker that calculates creates ``marker`` and exits hard, as a segfault or the
    out-of-memory killer would; later calculations (the retry on a new worker) run normally.

    Parameters
    ----------
    marker : str
        Path of the marker file (created by the dying process).
    always : bool
        Die at every first calculation of a process, marker or not (a task that kills every
        worker it runs on).
    """

    def __init__(self, marker: str, always: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.marker = Path(marker)
        self.always = bool(always)

    def calculate(self, *args: Any, **kwargs: Any) -> None:
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if not self.always:
                super().calculate(*args, **kwargs)
                return
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
        os._exit(17)


def sleep_task(atoms: Any, calc: Any, *, seconds: float = 0.0) -> dict[str, Any]:
    """A trivial task kind (``(atoms, calc, **options) -> result``): sleep and echo the pid."""
    if seconds:
        time.sleep(seconds)
    return {"pid": os.getpid(), "n_atoms": len(atoms)}
