"""The grouped migration options (HopSearch, NEBSettings) and the flat task parameters agree."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from alloyscreen.errors import InputError
from alloyscreen.properties.migration import (
    HopSearch,
    NEBSettings,
    migration_barriers,
    migration_task_params,
)


def test_settings_fields_are_the_task_keywords_with_the_same_defaults():
    signature = inspect.signature(migration_barriers).parameters
    grouped = [*dataclasses.fields(HopSearch), *dataclasses.fields(NEBSettings)]
    # diffusion estimate, and the cheaper calculator of ML -> DFT refinement (built by the worker)
    diffusion = {"attempt_frequency_Hz", "vacancy_fraction", "preconverge"}
    keywords = {n for n, p in signature.items() if p.kind is p.KEYWORD_ONLY}
    assert {f.name for f in grouped} | diffusion == keywords
    for f in grouped:
        assert signature[f.name].default == f.default, f.name


def test_task_params_hold_only_non_default_values():
    assert migration_task_params() == {}
    assert migration_task_params(HopSearch(max_hops=2), NEBSettings(fmax=0.03, n_images=3)) == {
        "max_hops": 2,
        "fmax": 0.03,
        "n_images": 3,
    }
    # a default given explicitly stays out (shares the content key of a run without options)
    assert migration_task_params(HopSearch(species="Li"), NEBSettings(fmax=0.05)) == {}


def test_resolved_thresholds_default_to_half_fmax():
    s = NEBSettings(fmax=0.08).resolved()
    assert s.endpoint_fmax == pytest.approx(0.04)
    assert s.saddle_fmax == pytest.approx(0.04)
    kept = NEBSettings(fmax=0.08, saddle_fmax=0.02, endpoint_fmax=0.01).resolved()
    assert (kept.saddle_fmax, kept.endpoint_fmax) == (0.02, 0.01)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_images": 0}, "n_images"),
        ({"fmax": 0.0}, "fmax must be positive"),
        ({"fmax": 0.1, "pre_fmax": 0.05}, "pre_fmax"),
        ({"saddle_fmax": 0.5}, "saddle_fmax"),
        ({"optimizer": "Newton"}, "NEB optimizer"),
        ({"endpoint_optimizer": "MDMin"}, "endpoint optimizer"),
        ({"interpolation": "spline"}, "interpolation"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_bad_neb_settings_name_the_option(kwargs, match):
    with pytest.raises(InputError, match=match):
        NEBSettings(**kwargs)


def test_bad_hop_search_names_the_option():
    with pytest.raises(InputError, match="mechanism"):
        HopSearch(mechanism="ring")
    with pytest.raises(InputError, match="max_hops"):
        HopSearch(max_hops=0)
