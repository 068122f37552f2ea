"""Exceptions with messages meant for users."""

from __future__ import annotations


class AlloyscreenError(Exception):
    """Base class of alloyscreen's own errors."""


class InputError(AlloyscreenError, ValueError):
    """Bad user input (file, option, value). The message names the problem and the fix."""


class MissingExtraError(AlloyscreenError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        what = f" (needed for {purpose})" if purpose else ""
        super().__init__(
            f"the optional package '{package}' is not installed{what}; "
            f"install it with: pip install 'alloyscreen[{extra}]'"
        )
        self.package = package
        self.extra = extra


def require(module: str, extra: str, purpose: str = ""):
    """Import and return ``module`` or raise :class:`MissingExtraError` naming ``extra``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, purpose) from exc


class CalculationError(AlloyscreenError, RuntimeError):
    """A calculation ran but its result must not be used (not converged, false convergence...).

    The runner stores the task as failed with ``reason`` and keeps ``partial`` (e.g. the path of
    an unconverged NEB) for inspection, never as a valid result.
    """

    def __init__(self, reason: str, partial: object | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.partial = partial
