"""The ``alloyscreen`` command line: parses arguments and calls library functions, nothing more.

Each command module in this package exposes ``register(app)``; this file only assembles them, so
that ``alloyscreen --help`` stays fast (heavy imports happen inside the commands).
"""

from __future__ import annotations

import importlib
import logging
import os
import warnings

import typer

from alloyscreen import __version__

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "core",
    "candidates",
    "adhesion",
    "migration",
    "interphase",
    "percolation",
    "cells",
    "ranking",
    "calculators",
    "hpc",
)


_QUIET_WARNINGS = (
    "Only FixAtoms and FixCartesian is supported by Pymatgen",  # chgnet converting FixSymmetry
    "Converting a tensor with requires_grad=True to a scalar",  # chgnet internals
    "No tensor product accelerator is enabled",  # sevenn on CPU
    "It is best not to use keys",  # ase.db
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"alloyscreen {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Create the Typer application with every command module registered."""
    app = typer.Typer(
        name="alloyscreen",
        help=(
            "Screen Li alloys (Li affinity, Li mobility), model the Li/electrolyte interphase "
            "and its percolation, and analyse Li cell cycling data."
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # Help texts print literally: "[default: ...]", "[engine]" and "[steps.relax]" in them
        # are text, not Rich markup (which would silently drop them).
        rich_markup_mode=None,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
        verbose: int = typer.Option(
            0,
            "--verbose",
            "-v",
            count=True,
            metavar="",
            show_default=False,
            help="More log output: -v for progress messages (INFO), -vv for debugging (DEBUG).",
        ),
    ) -> None:
        # Logging is configured here, in the application, never in library modules.
        level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
        # The handler's own level also filters third-party loggers that set themselves to INFO
        # (dask.distributed's in-process scheduler of the slurm engine).
        handler = logging.StreamHandler()
        handler.setLevel(level)
        logging.basicConfig(
            level=level, format="%(levelname)s %(name)s: %(message)s", handlers=[handler]
        )
        # Known harmless warnings of third-party packages, silenced for the application only.
        for message in _QUIET_WARNINGS:
            warnings.filterwarnings("ignore", message=message)

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"alloyscreen.cli.{name}")
        module.register(app)
    return app


def main() -> None:
    """Console-script entry point."""
    # numpy's OpenBLAS spins up threads even for the 3x3..1000x1000 matrices of optimizers and
    # cell filters; on a busy or small machine that makes them up to 4x slower. The application
    # (not the library) chooses 1 unless the user set it; torch keeps its own thread pool.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    build_app()()
