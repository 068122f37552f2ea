"""Coupling to the percolation engine: morphology -> V_p, and the GEM interphase conductivity.

The percolation engine (:mod:`alloyscreen.percolation`) computes the critical metal
volume fraction V_p of a particle microstructure and the McLachlan general-effective-media (GEM)
conductivity. This module wraps it behind a small protocol, :class:`PercolationModel`, so that
the interphase code can run with the engine (default, :class:`EnginePercolation`), with a user
value of V_p (:class:`FixedThreshold`), or with any other object that has the two methods (tests
use simple stand-ins). The engine is imported lazily, on first use.

Illustrative defaults (model choices, NOT literature values) for the GEM conductivities:
``ILLUSTRATIVE_SIGMA_METAL_S_CM = 1e4`` (order of magnitude of metallic alloys) and
``ILLUSTRATIVE_SIGMA_INSULATOR_S_CM = 1e-10`` (an electronically insulating ionic matrix). The
classification does not depend on them; only ``sigma_e`` and the growth law do. Pass measured
values where known.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from alloyscreen.errors import InputError

logger = logging.getLogger(__name__)

PERCOLATION_MODULE = "alloyscreen.percolation"
DISTRIBUTIONS = ("random", "enveloped", "segregated")

ILLUSTRATIVE_SIGMA_METAL_S_CM = 1e4
ILLUSTRATIVE_SIGMA_INSULATOR_S_CM = 1e-10
#: 3D conductivity exponent t ~ 2.0 (DESIGN.md section 7: conducting particles in an insulator).
CONDUCTIVITY_EXPONENT_3D = 2.0

#: Names under which the engine may expose its fast cached morphology -> V_p lookup, in order.
_LOOKUP_NAMES = (
    "lookup_critical_volume_fraction",
    "critical_volume_fraction_lookup",
    "vp_lookup",
    "lookup_vp",
    "cached_critical_volume_fraction",
    "lookup",
)


@dataclass(frozen=True)
class Morphology:
    """Microstructure of the metal in the interphase (percolation engine's parameters).

    Attributes
    ----------
    aspect_ratio : float
        a/b of spheroidal metal particles (1 = spheres, > 1 prolate/needles, < 1 oblate/plates).
    size_ratio : float
        Metal particle radius / insulating grain radius (the ``segregated`` distribution uses it).
    distribution : str
        ``random``, ``enveloped`` (metal wrapped in insulating shells) or ``segregated`` (metal
        on the boundaries of insulating grains).
    shell_thickness, tunnelling_distance : float
        Insulating shell thickness s and electron tunnelling distance d, in metal radii
        (``enveloped`` needs d > s to ever percolate).
    """

    aspect_ratio: float = 1.0
    size_ratio: float = 1.0
    distribution: str = "random"
    shell_thickness: float = 0.0
    tunnelling_distance: float = 0.0

    def __post_init__(self) -> None:
        for name in ("aspect_ratio", "size_ratio"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError(f"morphology {name} must be a positive number, got {value!r}")
        for name in ("shell_thickness", "tunnelling_distance"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InputError(f"morphology {name} must be >= 0, got {value!r}")
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(
                f"unknown distribution {self.distribution!r}; use one of {', '.join(DISTRIBUTIONS)}"
            )

    @property
    def shape(self) -> str:
        """``sphere`` when the aspect ratio is 1, else ``spheroid``."""
        return "sphere" if abs(self.aspect_ratio - 1.0) < 1e-12 else "spheroid"

    @property
    def label(self) -> str:
        """Short text, e.g. ``AR=10, size=1, random``."""
        text = f"AR={self.aspect_ratio:g}, size={self.size_ratio:g}, {self.distribution}"
        if self.shell_thickness or self.tunnelling_distance:
            text += f", s={self.shell_thickness:g}, d={self.tunnelling_distance:g}"
        return text

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the engine's ``critical_volume_fraction``."""
        return {
            "shape": self.shape,
            "aspect_ratio": float(self.aspect_ratio),
            "size_ratio": float(self.size_ratio),
            "distribution": self.distribution,
            "shell_thickness": float(self.shell_thickness),
            "tunnelling_distance": float(self.tunnelling_distance),
        }


@dataclass(frozen=True)
class Threshold:
    """Percolation threshold of a morphology.

    Attributes
    ----------
    v_p : float
        Critical metal volume fraction (``inf`` when the morphology never percolates).
    v_p_err : float
        1-sigma uncertainty (0 when exact or user-given).
    morphology : Morphology or None
    source : str
        Where the value comes from (engine lookup, simulation, user value).
    """

    v_p: float
    v_p_err: float
    morphology: Morphology | None
    source: str

    @property
    def percolates(self) -> bool:
        """False when the morphology never forms a connected metal network."""
        return math.isfinite(self.v_p)


@runtime_checkable
class PercolationModel(Protocol):
    """What the interphase code needs from a percolation model."""

    def threshold(self, morphology: Morphology) -> Threshold:
        """V_p of ``morphology``."""
        ...

    def conductivity(
        self,
        v_fm: float,
        threshold: Threshold,
        sigma_metal_S_cm: float,
        sigma_insulator_S_cm: float,
        exponent: float,
    ) -> float | None:
        """Electronic conductivity (S/cm) of the interphase, or None if unavailable."""
        ...


def _call_with_supported(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Call ``fn`` with the subset of ``kwargs`` its signature accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(**kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in params})


def _engine() -> Any:
    try:
        return importlib.import_module(PERCOLATION_MODULE)
    except ImportError as exc:
        raise InputError(
            f"the percolation engine ({PERCOLATION_MODULE}) is not available ({exc}); "
            "give V_p explicitly (--v-p) instead"
        ) from exc


def _engine_function(name: str, submodules: tuple[str, ...] = ()) -> Callable[..., Any] | None:
    """``name`` from the engine package, else from one of its submodules; None if absent."""
    try:
        mod = _engine()
    except InputError:
        return None
    fn = getattr(mod, name, None)
    if callable(fn):
        return fn
    for sub in submodules:
        try:
            fn = getattr(importlib.import_module(f"{PERCOLATION_MODULE}.{sub}"), name, None)
        except ImportError:
            continue
        if callable(fn):
            return fn
    return None


def _read_phi(result: Any) -> tuple[float, float]:
    if isinstance(result, int | float):
        return float(result), 0.0
    if isinstance(result, tuple) and len(result) == 2:
        return float(result[0]), float(result[1])
    for names in (("phi_c", "phi_c_err"), ("v_p", "v_p_err")):
        if hasattr(result, names[0]):
            return float(getattr(result, names[0])), float(getattr(result, names[1], 0.0) or 0.0)
    raise InputError(f"percolation engine returned {type(result).__name__}, not a threshold")


def engine_gem(
    v_fm: float,
    v_p: float,
    sigma_metal_S_cm: float,
    sigma_insulator_S_cm: float,
    exponent: float,
) -> float | None:
    """The engine's GEM conductivity, or None when the engine does not provide it."""
    fn = _engine_function("gem_conductivity", ("analytic",))
    if fn is None:
        return None
    kwargs = {
        # the common spellings of the GEM arguments; unsupported ones are dropped
        "v_f": v_fm,
        "v_p": v_p,
        "phi": v_fm,
        "volume_fraction": v_fm,
        "phi_c": v_p,
        "sigma_metal_S_cm": sigma_metal_S_cm,
        "sigma_insulator_S_cm": sigma_insulator_S_cm,
        "sigma_high": sigma_metal_S_cm,
        "sigma_metal": sigma_metal_S_cm,
        "sigma_conductor": sigma_metal_S_cm,
        "sigma_low": sigma_insulator_S_cm,
        "sigma_insulator": sigma_insulator_S_cm,
        "t": exponent,
        "exponent": exponent,
    }
    value = _call_with_supported(fn, kwargs)
    if hasattr(value, "sigma_S_cm"):
        value = value.sigma_S_cm
    return float(value)


@dataclass
class EnginePercolation:
    """V_p from the percolation engine: its cached lookup, else its simulation.

    Parameters
    ----------
    allow_simulation : bool
        When the engine offers no fast lookup, run ``critical_volume_fraction`` (a Monte Carlo
        finite-size-scaling simulation: slow). False raises instead.
    simulation_options : dict
        Extra keyword arguments for the simulation (``preset="fast"``, ``seed``...).
    """

    allow_simulation: bool = True
    simulation_options: dict[str, Any] = field(default_factory=lambda: {"preset": "fast"})
    _cache: dict[Morphology, Threshold] = field(default_factory=dict, repr=False)

    def threshold(self, morphology: Morphology) -> Threshold:
        """V_p of ``morphology`` (cached per instance)."""
        if morphology in self._cache:
            return self._cache[morphology]
        _engine()  # a clear error when the engine is missing altogether
        kwargs = morphology.engine_kwargs()
        for name in _LOOKUP_NAMES:
            fn = _engine_function(name, ("table", "continuum", "lookup"))
            if fn is not None:
                options = {"compute_missing": self.allow_simulation, **self.simulation_options}
                result = _call_with_supported(fn, {**kwargs, **options})
                v_p, err = _read_phi(result)
                how = getattr(result, "source", "")
                source = f"percolation engine {name}" + (f" ({how})" if how else "")
                break
        else:
            fn = _engine_function("critical_volume_fraction", ("continuum",))
            if fn is None or not self.allow_simulation:
                raise InputError(
                    "the percolation engine offers no V_p lookup; give V_p explicitly (--v-p)"
                )
            logger.info("simulating V_p for %s (no cached lookup in the engine)", morphology.label)
            v_p, err = _read_phi(fn(**kwargs, **self.simulation_options))
            source = "percolation engine simulation (critical_volume_fraction)"
        if math.isnan(v_p):
            v_p, err = math.inf, 0.0  # the engine's "never percolates" (e.g. thick shells)
        result = Threshold(v_p, err, morphology, source)
        self._cache[morphology] = result
        return result

    def conductivity(
        self,
        v_fm: float,
        threshold: Threshold,
        sigma_metal_S_cm: float,
        sigma_insulator_S_cm: float,
        exponent: float,
    ) -> float | None:
        """GEM conductivity from the engine (None if it has none)."""
        if not threshold.percolates:
            return sigma_insulator_S_cm if v_fm < 1.0 else sigma_metal_S_cm
        return engine_gem(v_fm, threshold.v_p, sigma_metal_S_cm, sigma_insulator_S_cm, exponent)


@dataclass(frozen=True)
class FixedThreshold:
    """A user-given V_p (same for every morphology), e.g. from a calibration window."""

    v_p: float
    v_p_err: float = 0.0
    source: str = "user value"

    def __post_init__(self) -> None:
        if not (0 < self.v_p <= 1):
            raise InputError(f"V_p must be in (0, 1], got {self.v_p!r}")
        if not (self.v_p_err >= 0):
            raise InputError(f"V_p error must be >= 0, got {self.v_p_err!r}")

    def threshold(self, morphology: Morphology) -> Threshold:
        """The fixed value."""
        return Threshold(self.v_p, self.v_p_err, morphology, self.source)

    def conductivity(
        self,
        v_fm: float,
        threshold: Threshold,
        sigma_metal_S_cm: float,
        sigma_insulator_S_cm: float,
        exponent: float,
    ) -> float | None:
        """GEM conductivity from the engine, if installed."""
        return engine_gem(v_fm, threshold.v_p, sigma_metal_S_cm, sigma_insulator_S_cm, exponent)


def default_model() -> PercolationModel:
    """The engine-backed model."""
    return EnginePercolation()


def morphology_grid(
    aspect_ratios: Iterable[float] = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    distributions: Iterable[str] = ("random",),
    size_ratios: Iterable[float] = (1.0,),
    **fixed: float,
) -> list[Morphology]:
    """All combinations of the given parameters as morphologies.

    The size ratio only matters for the ``segregated`` distribution; other distributions get
    one morphology per aspect ratio (size ratio 1).
    """
    out: list[Morphology] = []
    for d in distributions:
        sizes = tuple(size_ratios) if d == "segregated" else (1.0,)
        for s in sizes:
            for a in aspect_ratios:
                m = Morphology(aspect_ratio=a, size_ratio=s, distribution=d, **fixed)
                if m not in out:
                    out.append(m)
    return out
