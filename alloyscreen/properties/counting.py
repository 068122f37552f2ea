"""Count energy/force evaluations of any ASE calculator (the cost unit of every workflow)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ase.calculators.calculator import Calculator


@dataclass
class CallCounter:
    """Number of ``calculate`` calls made while the counter was active."""

    n_calls: int = 0


#: Instance attribute listing the counters active on a calculator (for :func:`add_calls`).
_ACTIVE = "_alloyscreen_call_counters"


def add_calls(calc: Calculator, n: int) -> None:
    """Count ``n`` evaluations made without ``calc.calculate`` (a batched forward pass) in every
    counter active on ``calc``."""
    for counter in calc.__dict__.get(_ACTIVE, ()):
        counter.n_calls += n


@contextmanager
def count_calls(calc: Calculator) -> Iterator[CallCounter]:
    """Count ``calc.calculate`` invocations inside the ``with`` block.

    Each call of ``calculate`` is one energy+forces(+stress) evaluation; cached property reads
    are not counted. The patch lives on this instance only and is removed on exit.
    """
    counter = CallCounter()
    active = calc.__dict__.setdefault(_ACTIVE, [])
    active.append(counter)
    previous = calc.__dict__.get("calculate")  # an outer counter's patch, if nested
    original = calc.calculate

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        counter.n_calls += 1
        return original(*args, **kwargs)

    calc.calculate = counted  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        del active[next(i for i, c in enumerate(active) if c is counter)]
        if previous is None:
            del calc.calculate  # back to the class method
        else:
            calc.calculate = previous  # type: ignore[method-assign]
