"""Helpers shared by the CLI command modules: exit codes, JSON output, errors, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

EXIT_OK = 0
EXIT_TASKS_FAILED = 1
EXIT_BAD_INPUT = 2

#: Human output goes to stderr so that ``--json`` leaves stdout holding one JSON document only.
err_console = Console(stderr=True)
out_console = Console()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code`` (2 = bad input by default)."""
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def to_json_text(obj: Any) -> str:
    """Serialise ``obj`` (dataclasses, numpy, Atoms allowed) to indented JSON text."""
    from alloyscreen.serialization import to_jsonable

    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False, default=str)


def emit_json(obj: Any) -> None:
    """Write exactly one JSON document to stdout."""
    sys.stdout.write(to_json_text(obj) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(description: str, total: int | None, *, disable: bool = False) -> Iterator[Any]:
    """A rich progress bar on stderr; yields ``advance(n=1, description=None)``."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=disable,
    )
    with progress:
        task_id = progress.add_task(description, total=total)

        def advance(n: int = 1, description: str | None = None) -> None:
            if description is None:
                progress.advance(task_id, n)
            else:
                progress.update(task_id, advance=n, description=description)

        yield advance


def handle_errors(function: Any) -> Any:
    """Turn user errors (bad input, missing extras) into a message on stderr and exit code 2."""
    import functools

    from alloyscreen.errors import InputError, MissingExtraError

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (InputError, MissingExtraError) as exc:
            fail(str(exc), EXIT_BAD_INPUT)

    return wrapper


def progress_factory(disable: bool = False) -> Any:
    """A ``(description, total) -> context manager`` for library functions that report progress."""

    def factory(description: str, total: int) -> Any:
        return progress_bar(description, total, disable=disable)

    return factory
