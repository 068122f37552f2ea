"""CI-NEB machinery: the settings of a band (:class:`NEBSettings`), the band itself (:func:`run_band`,
with per-image cached calculators and a dynamic NEB whose climbing image is never frozen) and the
checks that turn a finished band into converged / unconverged / failed."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.geometry import find_mic

from alloyscreen.errors import InputError
from alloyscreen.properties.counting import count_calls

logger = logging.getLogger(__name__)

NEB_OPTIMIZERS = ("FIRE", "BFGS", "LBFGS", "MDMin", "ode")
ENDPOINT_OPTIMIZERS = ("BFGS", "FIRE", "LBFGS")
INTERPOLATIONS = ("idpp", "linear")


def non_default_fields(settings: Any) -> dict[str, Any]:
    """The fields of a settings dataclass whose values differ from their defaults."""
    return {
        f.name: getattr(settings, f.name)
        for f in fields(settings)
        if getattr(settings, f.name) != f.default
    }


@dataclass(frozen=True)
class NEBSettings:
    """How one hop is computed: the band, its optimizer, the endpoint relaxations and the
    false-convergence checks. Validated on construction (:class:`InputError`).

    The field names and defaults are those of the keyword arguments of
    :func:`alloyscreen.properties.migration.migration_barriers` (the task's parameters), so that
    :meth:`task_params` gives the same parameters, hence the same content keys.

    Attributes
    ----------
    n_images : int
        Intermediate NEB images (odd numbers put an image on a symmetric hop's midpoint).
    fmax : float
        Convergence threshold on every NEB force, climbing image included (eV/Å).
    pre_fmax : float
        Loose threshold (eV/Å) of the first, non-climbing stage.
    saddle_fmax : float or None
        Threshold (eV/Å) for the climbing image alone (``None``: ``fmax / 2`` in
        :meth:`resolved`; :func:`run_band` given ``None`` uses ``fmax``).
    optimizer : {"BFGS", "FIRE", "LBFGS", "MDMin", "ode"}
    max_steps : int
        Optimizer steps of both stages together.
    spring_k : float
        Spring constant (eV/Å^2).
    interpolation : {"idpp", "linear"}
    dynamic : bool
        Skip force calls on images already below the threshold (DyNEB).
    endpoint_fmax : float or None
        Force threshold of the endpoint relaxations (eV/Å; ``None``: ``fmax / 2``).
    endpoint_optimizer : {"BFGS", "FIRE", "LBFGS"}
    endpoint_max_steps : int
    max_endpoint_displacement_A : float
        An endpoint relaxation moving any atom farther than this (Å) fails the hop.
    flat_tol_eV : float
        A band whose energy span is below this (eV) is a false convergence.
    refine_image_fmax : float or None
        Refinement from a converged cheaper band only (``start_images``): threshold (eV/Å) of the
        non-climbing images, which there only define the tangent; the climbing image is still
        converged to ``saddle_fmax``, where its whole force vanishes (the climbing force reverses
        the tangential component), so the barrier is that of a true stationary point of the
        expensive calculator. ``None``: every image to ``fmax``, as from scratch.
    """

    n_images: int = 5
    fmax: float = 0.05
    pre_fmax: float = 0.3
    saddle_fmax: float | None = None
    optimizer: str = "LBFGS"
    max_steps: int = 300
    spring_k: float = 0.1
    interpolation: str = "idpp"
    dynamic: bool = True
    endpoint_fmax: float | None = None
    endpoint_optimizer: str = "BFGS"
    endpoint_max_steps: int = 200
    max_endpoint_displacement_A: float = 1.0
    flat_tol_eV: float = 1e-3
    refine_image_fmax: float | None = 0.15

    def __post_init__(self) -> None:
        fmax = self.fmax
        if self.n_images < 1:
            raise InputError(f"n_images must be at least 1 (got {self.n_images})")
        if not fmax > 0:
            raise InputError(f"fmax must be positive (got {fmax})")
        if self.pre_fmax < fmax:
            raise InputError(f"pre_fmax ({self.pre_fmax}) must not be below fmax ({fmax})")
        if self.saddle_fmax is not None and not 0 < self.saddle_fmax <= fmax:
            raise InputError(f"saddle_fmax ({self.saddle_fmax}) must be in (0, fmax={fmax}]")
        if self.optimizer not in NEB_OPTIMIZERS:
            raise InputError(
                f"unknown NEB optimizer '{self.optimizer}'; use one of {', '.join(NEB_OPTIMIZERS)}"
            )
        if self.endpoint_optimizer not in ENDPOINT_OPTIMIZERS:
            raise InputError(
                f"unknown endpoint optimizer '{self.endpoint_optimizer}'; use BFGS, FIRE or LBFGS"
            )
        if self.interpolation not in INTERPOLATIONS:
            raise InputError(f"unknown interpolation '{self.interpolation}'; use idpp or linear")
        if self.max_steps < 1:
            raise InputError(f"max_steps must be at least 1 (got {self.max_steps})")
        if self.refine_image_fmax is not None and self.refine_image_fmax < fmax:
            raise InputError(
                f"refine_image_fmax ({self.refine_image_fmax}) must not be below fmax ({fmax})"
            )

    def resolved(self) -> NEBSettings:
        """These settings with the ``None`` thresholds made explicit (``fmax / 2`` each)."""
        half = self.fmax / 2
        return NEBSettings(
            **{
                **asdict(self),
                "endpoint_fmax": self.endpoint_fmax if self.endpoint_fmax is not None else half,
                "saddle_fmax": self.saddle_fmax if self.saddle_fmax is not None else half,
            }
        )

    def task_params(self) -> dict[str, Any]:
        """The fields that differ from the defaults: the ``migration`` task's parameters.

        Default values stay out, so that a run with defaults shares its content keys (cached
        results) with a workflow step that sets no options.
        """
        return non_default_fields(self)


class _ImageCalculator(Calculator):
    """One image's cached view of a shared calculator.

    ASE caches results per calculator and compares positions; with one calculator shared by all
    images every image would look changed on every evaluation. This view keeps each image's own
    results, so only images that moved cost a force call of ``calc``.
    """

    implemented_properties = ("energy", "forces")

    def __init__(self, calc: Calculator) -> None:
        super().__init__()
        self._calc = calc

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        work = self.atoms.copy()
        work.calc = self._calc
        # forces first: calculators that compute forces lazily (GPAW) then have both in one call
        forces = np.array(work.get_forces())
        energy = float(work.get_potential_energy())
        work.calc = None
        self.results = {"energy": energy, "forces": forces}


def _dyneb_class():  # type: ignore[no-untyped-def]
    """DyNEB whose climbing image is never frozen (see :func:`run_band`)."""
    from ase.mep import DyNEB

    class SaddleDyNEB(DyNEB):
        """ASE's DyNEB freezes every image below ``self.fmax``, the climbing image included, so
        an optimizer asked for a tighter threshold than ``self.fmax`` would spin without moving.
        Here the climbing image always moves; the others freeze below ``self.fmax``."""

        def set_positions(self, positions):  # type: ignore[no-untyped-def]
            if not self.dynamic_relaxation:
                # DyNEB.set_positions takes the positions only (ASE 3.23+)
                return super().set_positions(positions)
            fmax_images = self._fmax_all(self.images)  # cached results: no force calls
            n = self.natoms
            for i, image in enumerate(self.images[1:-1]):
                moving_saddle = self.climb and i == self.imax - 1
                if fmax_images[i] >= self.fmax or moving_saddle:
                    image.set_positions(positions[i * n : (i + 1) * n])
            return None

    return SaddleDyNEB


def _optimizer(name: str, neb: Any):  # type: ignore[no-untyped-def]
    from ase.mep.neb import NEBOptimizer
    from ase.optimize import BFGS, FIRE, LBFGS, MDMin

    if name == "ode":
        return NEBOptimizer(neb, method="ode", logfile=None)
    cls = {"FIRE": FIRE, "BFGS": BFGS, "LBFGS": LBFGS, "MDMin": MDMin}[name]
    return cls(neb, logfile=None)


def _run_stage(opt: Any, fmax: float, steps: int) -> tuple[bool, int]:
    """Run ``opt`` to ``fmax`` for at most ``steps``; returns (converged, steps taken)."""
    if steps <= 0:
        return False, 0
    before = opt.nsteps
    converged = bool(opt.run(fmax=fmax, steps=steps))
    return converged, int(opt.nsteps - before)


def _band_forces(images: Sequence[Atoms], k: float, climb: bool) -> np.ndarray:
    """Largest NEB force of each intermediate image (eV/Å; climbing image included) from cached
    image results."""
    from ase.mep.neb import NEB

    check = NEB(list(images), k=k, climb=climb, method="improvedtangent")
    forces = check.get_forces().reshape(len(images) - 2, -1, 3)
    return np.linalg.norm(forces, axis=2).max(axis=1)


@dataclass
class BandRun:
    """A finished band: images (endpoints included) with their energies (eV) and forces (eV/Å),
    whether it converged (checked on every image, climbing image included), optimizer steps,
    force calls and the largest remaining NEB force (eV/Å)."""

    images: list[Atoms]
    energies: np.ndarray
    forces: list[np.ndarray]
    converged: bool
    steps: int
    n_calls: int
    max_force: float
    climbed: bool


def run_band(
    initial: Atoms,
    final: Atoms,
    calc: Calculator,
    settings: NEBSettings | None = None,
    *,
    climb: bool = True,
    start_images: Sequence[Atoms] | None = None,
) -> BandRun:
    """CI-NEB between two relaxed endpoints carrying energies and forces (SinglePointCalculator).

    Stage 1 relaxes the improved-tangent band to ``settings.pre_fmax`` (eV/Å) without climbing;
    stage 2 switches the climbing image on and converges every image to ``settings.fmax`` and,
    with ``settings.dynamic``, the climbing image alone further to ``settings.saddle_fmax``
    (None: ``fmax``). Convergence is re-checked on the final band, climbing image included. Force
    calls are counted on ``calc`` (each image evaluation is one call; unchanged images are served
    from their cache). The endpoint fields of ``settings`` are not used here.

    ``start_images`` (``n_images`` intermediate images, e.g. a band converged with a cheaper
    calculator) replace the interpolation; the band is then taken to be near the path already,
    so the non-climbing stage is skipped, and the non-climbing images are held to
    ``settings.refine_image_fmax`` (they only define the tangent) while the climbing image is
    converged as always.
    """
    s = settings if settings is not None else NEBSettings()
    n_images, fmax, pre_fmax, saddle_fmax = s.n_images, s.fmax, s.pre_fmax, s.saddle_fmax
    optimizer, max_steps, spring_k = s.optimizer, s.max_steps, s.spring_k
    interpolation, dynamic = s.interpolation, s.dynamic
    images = [initial.copy()]
    images[0].calc = initial.calc
    for _ in range(n_images):
        img = initial.copy()
        img.calc = _ImageCalculator(calc)
        images.append(img)
    last = final.copy()
    last.calc = final.calc
    images.append(last)
    neb = _dyneb_class()(
        images,
        k=spring_k,
        climb=False,
        fmax=pre_fmax,
        method="improvedtangent",
        dynamic_relaxation=dynamic,
    )
    if start_images is None:
        neb.interpolate(method=interpolation, mic=True)
    else:
        if len(start_images) != n_images:
            raise InputError(
                f"start_images has {len(start_images)} images; the band has {n_images}"
            )
        for img, start in zip(images[1:-1], start_images, strict=True):
            if len(start) != len(img) or (start.numbers != img.numbers).any():
                raise InputError("start_images do not match the endpoints' atoms")
            img.positions = start.positions
    steps = 0
    image_fmax = fmax
    if start_images is not None and climb and s.refine_image_fmax is not None:
        image_fmax = s.refine_image_fmax  # validated: not below fmax
    with count_calls(calc) as counter:
        converged = False
        if climb and pre_fmax > fmax and start_images is None:
            _, taken = _run_stage(_optimizer(optimizer, neb), pre_fmax, max_steps)
            steps += taken
        neb.climb = climb
        neb.fmax = image_fmax
        # With dynamic relaxation, images below fmax are frozen (zero force to the optimizer)
        # but the climbing image never is: running the optimizer to saddle_fmax converges the
        # band to fmax and the climbing image, whose energy is the barrier, tighter.
        target = fmax
        if dynamic and climb and saddle_fmax is not None:
            target = min(fmax, saddle_fmax)
        converged, taken = _run_stage(_optimizer(optimizer, neb), target, max_steps - steps)
        steps += taken
        calls = counter.n_calls
        # Honest check: all images, climbing image included, from cached results.
        per_image = _band_forces(images, spring_k, climb)
        if counter.n_calls != calls:  # pragma: no cover - the cache must make this free
            logger.warning("final band check cost %d force calls", counter.n_calls - calls)
        n_calls = counter.n_calls
    energies = np.array([img.get_potential_energy() for img in images])
    forces = [np.array(img.get_forces()) for img in images]
    max_force = float(per_image.max())
    limits = np.full(len(per_image), image_fmax)
    if climb:
        limits[int(np.argmax(energies[1:-1]))] = fmax
    converged = converged and bool(np.all(per_image <= limits * (1.0 + 1e-6)))
    return BandRun(images, energies, forces, converged, steps, n_calls, max_force, climb)


def mic_displacements(a: Atoms, b: Atoms) -> np.ndarray:
    d, _ = find_mic(b.positions - a.positions, a.cell, a.pbc)
    return np.linalg.norm(d, axis=1)


def path_coordinate(images: Sequence[Atoms]) -> np.ndarray:
    s = [0.0]
    for a, b in itertools.pairwise(images):
        d, _ = find_mic(b.positions - a.positions, a.cell, a.pbc)
        s.append(s[-1] + float(np.sqrt((d**2).sum())))
    return np.array(s)


def classify_band(
    band: BandRun, hop_length: float, flat_tol_eV: float
) -> tuple[str, str | None, int | None]:
    """Status, reason and saddle index of a finished band."""
    e = band.energies
    if band.n_calls == 0:
        return "failed", "false convergence: the NEB made no force calls", None
    if not np.all(np.isfinite(e)):
        return "failed", "non-finite energies along the path", None
    if float(e.max() - e.min()) < flat_tol_eV:
        return (
            "failed",
            f"false convergence: flat path (energy span {1000 * float(e.max() - e.min()):.2f} meV "
            f"< {1000 * flat_tol_eV:.2f} meV); the calculator may not respond to positions",
            None,
        )
    imax = 1 + int(np.argmax(e[1:-1]))
    if e[imax] < max(e[0], e[-1]) - 1e-9:
        return (
            "failed",
            "no energy maximum between the endpoints (the path runs downhill: an endpoint is not "
            "a stable site or the band found an intermediate minimum)",
            imax,
        )
    for a, b in itertools.pairwise(band.images):
        jump = float(mic_displacements(a, b).max())
        if jump > hop_length:
            return (
                "failed",
                f"discontinuous path: an atom moves {jump:.2f} Å between adjacent images "
                f"(hop length {hop_length:.2f} Å)",
                imax,
            )
    if not band.converged:
        return (
            "unconverged",
            f"NEB not converged in {band.steps} steps (max force {band.max_force:.3f} eV/Å)",
            imax,
        )
    return "converged", None, imax
