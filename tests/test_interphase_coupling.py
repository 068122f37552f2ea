"""Coupling to the real percolation engine (alloyscreen.percolation).

Skipped while the engine lacks the functions; the simulation-backed checks are slow.
"""

from __future__ import annotations

import pytest

from alloyscreen.interphase.classification import assess_interphase
from alloyscreen.interphase.coupling import (
    _LOOKUP_NAMES,
    EnginePercolation,
    Morphology,
    _engine_function,
    engine_gem,
)

GEM = _engine_function("gem_conductivity", ("analytic",))
SIMULATE = _engine_function("critical_volume_fraction", ("continuum",))
LOOKUP = next(
    (f for f in (_engine_function(n, ("table", "continuum")) for n in _LOOKUP_NAMES) if f), None
)

needs_gem = pytest.mark.skipif(GEM is None, reason="percolation engine has no gem_conductivity")
needs_vp = pytest.mark.skipif(
    SIMULATE is None and LOOKUP is None, reason="percolation engine has no V_p function"
)

#: Overlapping spheres: 0.2896 (DESIGN.md §7: Rintoul & Torquato 1997, Lorenz & Ziff 2001).
PHI_C_SPHERES = 0.2896


@needs_gem
def test_gem_adapter_calls_the_engine():
    direct = GEM(0.11, 0.087, 1e4, 1e-10, t=2.0)
    assert engine_gem(0.11, 0.087, 1e4, 1e-10, 2.0) == pytest.approx(direct)
    below = engine_gem(0.05, 0.087, 1e4, 1e-10, 2.0)
    above = engine_gem(0.15, 0.087, 1e4, 1e-10, 2.0)
    assert below < 1e-3 < above


@needs_vp
@needs_gem
@pytest.mark.skipif(LOOKUP is None, reason="no cached V_p lookup in the engine (slow test covers)")
def test_engine_lookup_classifies_lgps_and_lpsc():
    from alloyscreen.errors import InputError

    model = EnginePercolation(allow_simulation=False)  # tabulated values only: fast
    try:
        for ar in (1.0, 10.0):
            model.threshold(Morphology(ar))
    except InputError as exc:
        pytest.skip(f"the engine's V_p table lacks these morphologies ({exc})")
    _check_classes(model)


@pytest.mark.slow
@needs_vp
@needs_gem
def test_engine_simulation_classifies_lgps_and_lpsc():
    model = EnginePercolation()
    _check_classes(model)


def _check_classes(model):
    spheres = model.threshold(Morphology(1.0))
    assert abs(spheres.v_p - PHI_C_SPHERES) < 3 * spheres.v_p_err + 0.01
    lpsc = assess_interphase("Li6PS5Cl", Morphology(10.0), model=model)
    assert lpsc.classification == "SEI"
    lgps_needles = assess_interphase("Li10GeP2S12", Morphology(10.0), model=model)
    lgps_spheres = assess_interphase("Li10GeP2S12", Morphology(1.0), model=model)
    assert lgps_needles.v_p < lgps_needles.v_fm  # needles percolate at V_FM ~ 0.11
    assert lgps_needles.classification == "MCI"
    assert lgps_spheres.classification == "MI-SEI"
    assert lgps_needles.sigma_e_S_cm > 1e6 * lgps_spheres.sigma_e_S_cm
