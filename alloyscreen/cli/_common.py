"""Helpers shared by the CLI command modules: exit codes, JSON output, errors, progress bars,
the results store, task options and the relaxation that per-structure commands run first."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

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

if TYPE_CHECKING:
    from alloyscreen.store import ResultStore

EXIT_OK = 0
EXIT_TASKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C

#: Human output goes to stderr so that ``--json`` leaves stdout holding one JSON document only.
err_console = Console(stderr=True)
out_console = Console()


def print_literal(label: str, message: str, style: str = "bold red") -> None:
    """Print ``label`` (styled) and ``message`` on stderr; ``message`` is never read as markup.

    File names, section names (``[steps.relax]``) and values in messages print as they are.
    """
    from rich.text import Text

    err_console.print(Text.assemble((label, style), " ", message), highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``message`` literally on stderr and exit with ``code`` (2 = bad input by default)."""
    print_literal("error:", message)
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
    """Turn user errors (bad input, missing extras) into a message on stderr and exit code 2,
    and Ctrl-C into "interrupted, rerun to resume" with exit code 130 (results computed so far
    are already in the store: the runner commits each one as it arrives)."""
    import functools

    from alloyscreen.errors import InputError, MissingExtraError

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (InputError, MissingExtraError) as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            print_literal(
                "interrupted,",
                "rerun to resume (finished results are in the store; running tasks were stopped)",
                style="bold yellow",
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def progress_factory(disable: bool = False) -> Any:
    """A ``(description, total) -> context manager`` for library functions that report progress."""

    def factory(description: str, total: int) -> Any:
        return progress_bar(description, total, disable=disable)

    return factory


def split_ids(ids: list[str] | None) -> list[str] | None:
    """Candidate ids from repeated and/or comma-separated ``--ids`` options; None for all."""
    if not ids:
        return None
    out = [part.strip() for item in ids for part in item.split(",") if part.strip()]
    return out or None


def open_store(db: str | None, *, read_only: bool = False) -> ResultStore:
    """The results store at ``db`` (SQLite file or ASE db URL; default results/alloyscreen.db).

    ``read_only``: for commands that only read (``db summary``): the store must exist already
    and need not be writable.
    """
    from alloyscreen.store import DEFAULT_DB, ResultStore

    return ResultStore(db or DEFAULT_DB, create=not read_only, write=not read_only)
