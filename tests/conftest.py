"""Shared fixtures: paths, calculators (loaded once per session), the repository's shared data."""

from __future__ import annotations

import os

# Before numpy is imported: single-threaded OpenBLAS, as the CLI uses (see alloyscreen.cli.main).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Real cycler files etc. live beside the checkout (absent in a user's clone: tests skip).
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no model downloads, ever

HAS_CHGNET = importlib.util.find_spec("chgnet") is not None
HAS_SEVENN = importlib.util.find_spec("sevenn") is not None

needs_chgnet = pytest.mark.skipif(not HAS_CHGNET, reason="needs the ml extra (chgnet)")


@pytest.fixture(scope="session")
def chgnet_calc():
    """One CHGNet calculator for the whole session (model load costs seconds)."""
    if not HAS_CHGNET:
        pytest.skip("needs the ml extra (chgnet)")
    from alloyscreen.calculators import get_calculator

    calc, _ = get_calculator("chgnet", device="cpu")
    return calc


@pytest.fixture(scope="session")
def emt_calc():
    """ASE EMT (no Li parameters; fast)."""
    from alloyscreen.calculators import get_calculator

    calc, _ = get_calculator("emt")
    return calc


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the checkout, or skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (only in the developers' checkout)")
    return SHARED_DATA
