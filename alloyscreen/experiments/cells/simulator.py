"""Galvanostatic cycling of symmetric and asymmetric Li|ISE|Li cells with an interphase model.

The model (one value per unit area; per-electrode Li inventories in mAh/cm2):

* **Li inventory** of each electrode from its foil thickness: 1 um of Li = 0.206 mAh/cm2
  (DESIGN.md §7; density 0.534 g/cm3 times F/M_Li = 3861 mAh/g).
* **Cycling**: half cycles of ``capacity_mAh_cm2`` at ``current_mA_cm2``, no rests. Odd half
  cycles strip the working electrode (the thin one in an asymmetric cell; positive current and
  voltage), even half cycles plate it back. Of the Li plated on an electrode only the fraction
  ``ce`` stays accessible (dead Li / SEI loss per plating, the loss that the reservoir relation of
  Adams et al. 2018 measures).
* **Interphase growth** at each electrode consumes Li continuously, by an
  :class:`InterphaseGrowth` law (parabolic self-limiting, linear mixed-conducting, or the
  linear-parabolic law that contains both and is built from the interphase's electronic
  conductivity ``sigma_e``). Any object with the two methods of :class:`InterphaseLaw` may be used.
* **Voltage** ``V = s [ j (R_el + 2 (R_contact + R_int(t))) g(Q) + eta_nuc exp(-(t-t0)/tau) ]``:
  ohmic drop over the electrolyte, the two contacts and the two interphases
  (``R_int = thickness / sigma_ion``), a nucleation overshoot at the start of each half cycle, and
  ``g(Q) = 1 + q_knee / Q`` that makes the voltage run away when the stripped electrode's
  inventory ``Q`` approaches zero (loss of contact area). The tester stops at ``|V| = cutoff_V``
  (default 5 V, the instrument limit of DESIGN.md §1); the simulated test ends there.

Illustrative defaults: the electrolyte and contact resistances, the nucleation overshoot, the
interphase thickness per Li consumed, the interphase ionic conductivity and the front-limited growth
rate are round numbers chosen so that the qualitative behaviour shows within a few hundred hours;
they are not fitted to any material and are labelled as such where they are defined. The model
reproduces the asymmetric-cell protocol's qualitative findings (a mixed-conducting interphase only
raises the polarization of a symmetric cell but depletes a thin electrode; thinner electrodes
deplete sooner; a self-limiting interphase survives both); it does not predict absolute lifetimes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.analysis import LI_MAH_CM2_PER_UM, CellProtocol
from alloyscreen.experiments.cells.readers import NORMALISED_COLUMNS

#: Illustrative defaults (model choices, NOT literature values).
ILLUSTRATIVE_THICKNESS_UM_PER_MAH_CM2 = 5.0  # interphase thickness per Li consumed
ILLUSTRATIVE_INITIAL_THICKNESS_NM = 20.0  # interphase present when cycling starts
ILLUSTRATIVE_SIGMA_ION_S_CM = 1e-5  # Li+ conductivity of the interphase
ILLUSTRATIVE_FRONT_RATE_MA_CM2 = 0.02  # reaction-front-limited growth rate (linear limit)

#: Reduction onset of thiophosphate electrolytes (Li10GeP2S12, Li6PS5Cl, Li3PS4) vs Li/Li+:
#: 1.71 V, computed by Zhu, He & Mo, ACS Appl. Mater. Interfaces 2015, 7, 23685,
#: doi:10.1021/acsami.5b07517 (Table 1). Used as the driving force of ISE reduction at Li.
THIOPHOSPHATE_REDUCTION_V = 1.71


@runtime_checkable
class InterphaseLaw(Protocol):
    """What the simulator needs from an interphase model (per electrode, per unit area)."""

    def li_consumed_mAh_cm2(self, t_h: np.ndarray) -> np.ndarray:
        """Li consumed by interphase growth since cycling started (mAh/cm2) at times ``t_h`` (h)."""
        ...

    def asr_ohm_cm2(self, t_h: np.ndarray) -> np.ndarray:
        """Area-specific resistance of the interphase (ohm cm2) at times ``t_h`` (h)."""
        ...


_KINDS = ("parabolic", "linear", "linear_parabolic")


@dataclass(frozen=True)
class InterphaseGrowth:
    """Interphase growth law at a Li electrode.

    The law is written for ``X(t) = X0 + Q(t)``, the Li equivalent (mAh/cm2) of the interphase:
    ``Q`` is the Li consumed since cycling started and ``X0 = L0 / lambda`` the Li equivalent of the
    initial interphase (``L0 = initial_thickness_nm``, ``lambda = thickness_um_per_mAh_cm2``).

    ``kind="parabolic"``
        ``X^2 = X0^2 + k_p t``: growth limited by electron transport through the interphase
        (Wagner-type), self-limiting: the rate falls as ``1/X``. An SEI or an MI-SEI.
    ``kind="linear"``
        ``X = X0 + k_l t``: growth limited by the reaction front only, as when a percolating metal
        network carries electrons (and Li) to the electrolyte: a mixed-conducting interphase (MCI).
    ``kind="linear_parabolic"``
        ``X^2 + (k_p / k_l) X = k_p t + X0^2 + (k_p / k_l) X0``: both resistances in series, the
        form of Deal & Grove (J. Appl. Phys. 1965, 36, 3770, doi:10.1063/1.1713945). Linear while
        ``X < k_p / (2 k_l)``, parabolic after. :meth:`from_sigma_e` builds it.

    Attributes
    ----------
    kind
        ``"parabolic"``, ``"linear"`` or ``"linear_parabolic"``.
    parabolic_rate_mAh2_cm4_per_h
        ``k_p`` ((mAh/cm2)^2 per h).
    linear_rate_mA_cm2
        ``k_l`` (mA/cm2 = mAh/cm2 per h).
    thickness_um_per_mAh_cm2
        Interphase thickness formed per mAh/cm2 of Li consumed (um); set by the molar volume of the
        reduction products (the interphase module can supply it). Default illustrative.
    initial_thickness_nm
        Interphase thickness when cycling starts (nm). Default illustrative.
    sigma_ion_S_cm
        Li+ conductivity of the interphase (S/cm); its resistance is thickness / sigma_ion.
        Default illustrative.
    sigma_e_S_cm, driving_potential_V
        Provenance when built by :meth:`from_sigma_e` (else None).
    """

    kind: str = "parabolic"
    parabolic_rate_mAh2_cm4_per_h: float = 0.0
    linear_rate_mA_cm2: float = 0.0
    thickness_um_per_mAh_cm2: float = ILLUSTRATIVE_THICKNESS_UM_PER_MAH_CM2
    initial_thickness_nm: float = ILLUSTRATIVE_INITIAL_THICKNESS_NM
    sigma_ion_S_cm: float = ILLUSTRATIVE_SIGMA_ION_S_CM
    sigma_e_S_cm: float | None = None
    driving_potential_V: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InputError(f"interphase kind {self.kind!r} unknown; use one of {_KINDS}")
        for name in ("parabolic_rate_mAh2_cm4_per_h", "linear_rate_mA_cm2", "initial_thickness_nm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"interphase {name} must be >= 0, got {value!r}")
        for name in ("thickness_um_per_mAh_cm2", "sigma_ion_S_cm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"interphase {name} must be > 0, got {value!r}")
        if self.kind == "linear_parabolic" and (
            self.parabolic_rate_mAh2_cm4_per_h <= 0 or self.linear_rate_mA_cm2 <= 0
        ):
            raise InputError("a linear_parabolic interphase needs both rates > 0")

    @classmethod
    def from_sigma_e(
        cls,
        sigma_e_S_cm: float,
        *,
        driving_potential_V: float = THIOPHOSPHATE_REDUCTION_V,
        front_rate_mA_cm2: float = ILLUSTRATIVE_FRONT_RATE_MA_CM2,
        thickness_um_per_mAh_cm2: float = ILLUSTRATIVE_THICKNESS_UM_PER_MAH_CM2,
        initial_thickness_nm: float = ILLUSTRATIVE_INITIAL_THICKNESS_NM,
        sigma_ion_S_cm: float = ILLUSTRATIVE_SIGMA_ION_S_CM,
    ) -> InterphaseGrowth:
        """Linear-parabolic law from the interphase's electronic conductivity.

        The electronic leakage current through an interphase of thickness ``L`` is
        ``j_e = sigma_e * E / L`` (``E``: driving potential of electrolyte reduction); every
        electron reduces the electrolyte with one Li, so Li is consumed at ``j_e`` (mA/cm2 =
        mAh/cm2 per h). With ``L = lambda X`` this gives ``k_p = 2 * 1000 * sigma_e * E / lambda``
        (lambda in cm per mAh/cm2). In series with a reaction front that cannot consume faster
        than ``front_rate_mA_cm2`` (``k_l``) this is the linear-parabolic law: an insulating
        interphase (small ``sigma_e``) grows parabolically and self-limits; a mixed-conducting one
        (electronically percolating, large ``sigma_e``) grows linearly at ``k_l``. The crossover
        thickness is ``sigma_e * E / k_l``.

        Parameters
        ----------
        sigma_e_S_cm
            Electronic conductivity of the interphase (S/cm), e.g. from the percolation model.
        driving_potential_V
            Reduction potential of the electrolyte vs Li (V); default 1.71 V for thiophosphates
            (Zhu, He & Mo 2015, doi:10.1021/acsami.5b07517).
        front_rate_mA_cm2
            Front-limited consumption rate (mA/cm2). Default illustrative.
        thickness_um_per_mAh_cm2, initial_thickness_nm, sigma_ion_S_cm
            See the class attributes.
        """
        if not (math.isfinite(sigma_e_S_cm) and sigma_e_S_cm > 0):
            raise InputError(f"sigma_e_S_cm must be a positive number, got {sigma_e_S_cm!r}")
        if not (math.isfinite(driving_potential_V) and driving_potential_V > 0):
            raise InputError(f"driving_potential_V must be > 0, got {driving_potential_V!r}")
        lam_cm = thickness_um_per_mAh_cm2 * 1e-4
        k_p = 2.0 * 1000.0 * sigma_e_S_cm * driving_potential_V / lam_cm
        return cls(
            kind="linear_parabolic",
            parabolic_rate_mAh2_cm4_per_h=k_p,
            linear_rate_mA_cm2=front_rate_mA_cm2,
            thickness_um_per_mAh_cm2=thickness_um_per_mAh_cm2,
            initial_thickness_nm=initial_thickness_nm,
            sigma_ion_S_cm=sigma_ion_S_cm,
            sigma_e_S_cm=sigma_e_S_cm,
            driving_potential_V=driving_potential_V,
        )

    @property
    def initial_li_mAh_cm2(self) -> float:
        """``X0``: Li equivalent of the initial interphase (mAh/cm2)."""
        return self.initial_thickness_nm * 1e-3 / self.thickness_um_per_mAh_cm2

    @property
    def crossover_li_mAh_cm2(self) -> float | None:
        """``X`` at which the linear-parabolic law turns from linear to parabolic (mAh/cm2)."""
        if self.kind != "linear_parabolic":
            return None
        return self.parabolic_rate_mAh2_cm4_per_h / (2.0 * self.linear_rate_mA_cm2)

    def li_consumed_mAh_cm2(self, t_h: np.ndarray) -> np.ndarray:
        """Li consumed since cycling started (mAh/cm2) at times ``t_h`` (h)."""
        t = np.maximum(np.asarray(t_h, dtype=float), 0.0)
        x0 = self.initial_li_mAh_cm2
        k_p, k_l = self.parabolic_rate_mAh2_cm4_per_h, self.linear_rate_mA_cm2
        if self.kind == "linear":
            return k_l * t
        if self.kind == "parabolic":
            return np.sqrt(x0 * x0 + k_p * t) - x0
        a = k_p / k_l
        c = k_p * t + x0 * x0 + a * x0
        x = 2.0 * c / (a + np.sqrt(a * a + 4.0 * c))  # stable root of X^2 + a X - c = 0
        return x - x0

    def thickness_um(self, t_h: np.ndarray) -> np.ndarray:
        """Interphase thickness (um) at times ``t_h`` (h)."""
        return self.initial_thickness_nm * 1e-3 + self.thickness_um_per_mAh_cm2 * (
            self.li_consumed_mAh_cm2(t_h)
        )

    def asr_ohm_cm2(self, t_h: np.ndarray) -> np.ndarray:
        """Area-specific resistance thickness / sigma_ion (ohm cm2) at times ``t_h`` (h)."""
        return self.thickness_um(t_h) * 1e-4 / self.sigma_ion_S_cm


@dataclass(frozen=True)
class CellConfig:
    """A simulated cell and its test.

    Attributes
    ----------
    kind
        ``"symmetric"`` (both electrodes ``thick_li_um``) or ``"asymmetric"`` (working electrode
        ``thin_li_um`` against ``thick_li_um``).
    thin_li_um, thick_li_um
        Li foil thicknesses (um); DESIGN.md §1 uses 20 or 50 um against 100 um.
    current_mA_cm2, capacity_mAh_cm2
        Current density (mA/cm2) and charge per half cycle (mAh/cm2); DESIGN.md §1: 0.5 and 0.5.
    area_cm2
        Electrode area (cm2) for the absolute currents and charges in the table.
    n_cycles
        Cycles to run unless the cell fails first.
    ce
        Fraction of plated Li that stays accessible (per plating, on both electrodes).
    interphase
        Growth law (:class:`InterphaseGrowth` or any :class:`InterphaseLaw`), or None.
    cutoff_V
        Instrument voltage limit (V); the test stops when ``|V|`` reaches it.
    electrolyte_asr_ohm_cm2, contact_asr_ohm_cm2
        Electrolyte and per-electrode contact resistances (ohm cm2). Illustrative defaults.
    nucleation_overpotential_V
        Overshoot at the start of each half cycle (V). Illustrative default.
    knee_fraction
        ``q_knee`` of the depletion run-away as a fraction of the half-cycle charge.
    points_per_half_cycle
        Uniformly spaced records per half cycle (a few extra resolve the nucleation peak).
    noise_V
        Standard deviation of Gaussian measurement noise (V).
    soft_short_after_h, short_noise_V
        Emulate a soft short from this time on: ``|V|`` drops to 10 % with noise of this standard
        deviation. For testing detectors only; Li transfer is not modified.
    seed
        Random seed for the noise.
    max_hours
        Stop the test at this time (h) even before ``n_cycles`` (None: no time limit).
    """

    kind: str = "asymmetric"
    thin_li_um: float = 20.0
    thick_li_um: float = 100.0
    current_mA_cm2: float = 0.5
    capacity_mAh_cm2: float = 0.5
    area_cm2: float = 0.785
    n_cycles: int = 100
    ce: float = 1.0
    interphase: InterphaseLaw | None = None
    cutoff_V: float = 5.0
    electrolyte_asr_ohm_cm2: float = 40.0
    contact_asr_ohm_cm2: float = 10.0
    nucleation_overpotential_V: float = 0.01
    knee_fraction: float = 0.01
    points_per_half_cycle: int = 30
    noise_V: float = 0.0
    soft_short_after_h: float | None = None
    short_noise_V: float = 0.005
    seed: int = 0
    max_hours: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("symmetric", "asymmetric"):
            raise InputError(f"cell kind {self.kind!r} unknown; use symmetric or asymmetric")
        for name in (
            "thin_li_um",
            "thick_li_um",
            "current_mA_cm2",
            "capacity_mAh_cm2",
            "area_cm2",
            "cutoff_V",
            "knee_fraction",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number, got {value!r}")
        for name in (
            "electrolyte_asr_ohm_cm2",
            "contact_asr_ohm_cm2",
            "nucleation_overpotential_V",
            "noise_V",
            "short_noise_V",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be >= 0, got {value!r}")
        if not (0.0 < self.ce <= 1.0):
            raise InputError(f"ce must be in (0, 1], got {self.ce!r}")
        if int(self.n_cycles) != self.n_cycles or self.n_cycles < 1:
            raise InputError(f"n_cycles must be a positive integer, got {self.n_cycles!r}")
        if self.max_hours is not None and not (
            math.isfinite(self.max_hours) and self.max_hours > 0
        ):
            raise InputError(f"max_hours must be a positive number, got {self.max_hours!r}")
        if self.points_per_half_cycle < 5:
            raise InputError("points_per_half_cycle must be at least 5")
        if self.interphase is not None and not isinstance(self.interphase, InterphaseLaw):
            raise InputError(
                "interphase must provide li_consumed_mAh_cm2(t_h) and asr_ohm_cm2(t_h)"
            )

    @property
    def working_li_um(self) -> float:
        """Thickness of the working electrode (stripped first), um."""
        return self.thin_li_um if self.kind == "asymmetric" else self.thick_li_um

    def protocol(self) -> CellProtocol:
        """The :class:`CellProtocol` to analyse this cell's data with."""
        return CellProtocol(
            thin_li_um=self.working_li_um,
            thick_li_um=self.thick_li_um,
            current_mA_cm2=self.current_mA_cm2,
            capacity_mAh_cm2=self.capacity_mAh_cm2,
            area_cm2=self.area_cm2,
            cutoff_V=self.cutoff_V,
        )


@dataclass(frozen=True)
class SimulationSummary:
    """Ground truth of a simulation (JSON-ready). Times in h, inventories in mAh/cm2."""

    kind: str
    working_li_um: float
    counter_li_um: float
    depleted: bool
    failure: str | None  # "depletion" | "cutoff by polarization" | None
    depletion_time_h: float | None
    depletion_cycle: int | None
    depletion_half_cycle: int | None
    n_cycles_completed: int
    duration_h: float
    ce: float
    li_loss_mAh_cm2_per_cycle_plating: float
    li_remaining_working_mAh_cm2: float
    li_remaining_counter_mAh_cm2: float
    li_consumed_by_interphase_mAh_cm2: float
    interphase_asr_ohm_cm2_final: float
    polarization_first_mV: float
    polarization_last_mV: float
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SimulationResult:
    """A simulated record: the normalised table and the model's ground truth."""

    table: pd.DataFrame
    summary: SimulationSummary


def _grid(n: int) -> np.ndarray:
    base = np.linspace(0.0, 1.0, n)
    head = np.array([0.002, 0.005, 0.01, 0.02, 0.05])
    return np.unique(np.concatenate([base, head]))


def _bisect(f: Callable[[float], float], a: float, b: float) -> float:
    """Root of ``f`` on ``[a, b]`` with ``f(a) < 0 <= f(b)`` (``f`` monotone there), by bisection."""
    for _ in range(200):
        m = 0.5 * (a + b)
        if f(m) >= 0.0:
            b = m
        else:
            a = m
        if b - a <= 1e-13 * max(1.0, abs(b)):
            break
    return b


def simulate_cell(
    config: CellConfig, *, progress: Callable[[int], None] | None = None
) -> SimulationResult:
    """Simulate galvanostatic cycling of ``config`` until ``n_cycles`` or the voltage limit.

    Parameters
    ----------
    config
        The cell and its test.
    progress
        Called with the number of completed cycles after each cycle (for progress bars).

    Returns
    -------
    SimulationResult
        ``table`` in the normalised format (``attrs["source"] = "simulated"``) and ``summary``.
    """
    j = config.current_mA_cm2
    t_h = config.capacity_mAh_cm2 / j  # duration of a half cycle, h
    q_knee = config.knee_fraction * config.capacity_mAh_cm2
    tau_nuc = 0.01 * t_h
    law = config.interphase
    rng = np.random.default_rng(config.seed)

    def consumed(t: np.ndarray | float) -> np.ndarray:
        if law is None:
            return np.zeros_like(np.asarray(t, dtype=float))
        return np.asarray(law.li_consumed_mAh_cm2(np.asarray(t, dtype=float)), dtype=float)

    def asr(t: np.ndarray | float) -> np.ndarray:
        base = config.electrolyte_asr_ohm_cm2 + 2.0 * config.contact_asr_ohm_cm2
        if law is None:
            return np.full_like(np.asarray(t, dtype=float), base)
        return base + 2.0 * np.asarray(law.asr_ohm_cm2(np.asarray(t, dtype=float)), dtype=float)

    inv = {
        "working": config.working_li_um * LI_MAH_CM2_PER_UM,
        "counter": config.thick_li_um * LI_MAH_CM2_PER_UM,
    }
    grid = _grid(config.points_per_half_cycle)
    chunks: list[np.ndarray] = []
    failure: str | None = None
    dep_time = dep_cycle = dep_hc = None
    completed = 0
    pol_first = pol_last = float("nan")

    for k in range(2 * config.n_cycles):
        sign = 1 if k % 2 == 0 else -1
        t0 = k * t_h
        if config.max_hours is not None and k > 0 and t0 >= config.max_hours - 1e-9:
            break
        stripped, plated = ("working", "counter") if sign > 0 else ("counter", "working")
        q_str0, q_pl0 = inv[stripped], inv[plated]
        c0 = float(consumed(t0))

        def q_str(t: np.ndarray | float, q_str0=q_str0, t0=t0, c0=c0) -> np.ndarray:
            return q_str0 - j * (np.asarray(t) - t0) - (consumed(t) - c0)

        def volt(t: np.ndarray | float, t0=t0, q_str=q_str) -> np.ndarray:
            q = np.maximum(q_str(t), 1e-300)
            ohmic = j * 1e-3 * asr(t) * (1.0 + q_knee / q)  # mA/cm2 * ohm cm2 -> mV -> V
            return ohmic + config.nucleation_overpotential_V * np.exp(
                -(np.asarray(t) - t0) / tau_nuc
            )

        times = t0 + grid * t_h
        t_end = t0 + t_h
        end_fail = q_str(t_end) <= 0 or volt(t_end) >= config.cutoff_V
        t_stop = t_end
        if end_fail:
            if volt(t0) >= config.cutoff_V:
                t_stop = t0
            else:
                t_hi = t_end
                if q_str(t_end) <= 0:
                    t_zero = _bisect(lambda x: -float(q_str(x)), t0, t_end)
                    t_hi = t_zero - 1e-9 * t_h
                if volt(t_hi) >= config.cutoff_V:
                    t_stop = _bisect(lambda x: float(volt(x)) - config.cutoff_V, t0, t_hi)
                else:  # run-away too steep to resolve: stop at the end of the inventory
                    t_stop = t_hi
            # depletion: the inventory ran out or the run-away of its last q_knee reached the limit
            ran_out = float(q_str(t_stop)) <= q_knee or float(q_str(t_end)) <= 0.0
            failure = "depletion" if ran_out else "cutoff by polarization"
            times = np.append(times[times < t_stop], t_stop)

        volts = volt(times)
        if end_fail:
            volts[-1] = config.cutoff_V
        if config.noise_V > 0:
            noisy = rng.normal(0.0, config.noise_V, len(volts))
            if end_fail:
                noisy[-1] = 0.0
            volts = volts + noisy
        if config.soft_short_after_h is not None:
            after = times >= config.soft_short_after_h
            volts = np.where(
                after, 0.1 * volts + rng.normal(0.0, config.short_noise_V, len(volts)), volts
            )
        volts = np.minimum(volts, config.cutoff_V)
        if k == 0:
            pol_first = 1e3 * float(volt(t0 + 0.5 * t_h))
        if not end_fail:
            pol_last = 1e3 * float(volt(t0 + 0.5 * t_h))

        dt = times - t0
        chunk = np.column_stack(
            [
                times * 3600.0,
                sign * volts,
                np.full(len(times), sign * j * config.area_cm2),
                j * dt * config.area_cm2,
                np.full(len(times), k // 2 + 1),
                np.full(len(times), k + 1),
                np.full(len(times), k + 1),
            ]
        )
        chunks.append(chunk)

        c1 = float(consumed(t_stop))
        inv[stripped] = float(q_str(t_stop))
        inv[plated] = q_pl0 + config.ce * j * (t_stop - t0) - (c1 - c0)
        if end_fail:
            dep_time, dep_cycle, dep_hc = t_stop, k // 2 + 1, k + 1
            break
        if sign < 0:
            completed += 1
            if progress is not None:
                progress(completed)

    data = np.concatenate(chunks)
    table = pd.DataFrame(data, columns=list(NORMALISED_COLUMNS))
    for col in ("cycle", "half_cycle", "step"):
        table[col] = table[col].astype(np.int64)
    table.attrs["source"] = "simulated"
    table.attrs["format"] = "simulated"
    t_last = float(data[-1, 0] / 3600.0)
    summary = SimulationSummary(
        kind=config.kind,
        working_li_um=config.working_li_um,
        counter_li_um=config.thick_li_um,
        depleted=failure == "depletion",
        failure=failure,
        depletion_time_h=dep_time,
        depletion_cycle=dep_cycle,
        depletion_half_cycle=dep_hc,
        n_cycles_completed=completed,
        duration_h=t_last,
        ce=config.ce,
        li_loss_mAh_cm2_per_cycle_plating=(1.0 - config.ce) * config.capacity_mAh_cm2,
        li_remaining_working_mAh_cm2=inv["working"],
        li_remaining_counter_mAh_cm2=inv["counter"],
        li_consumed_by_interphase_mAh_cm2=float(consumed(t_last)),
        interphase_asr_ohm_cm2_final=float(law.asr_ohm_cm2(np.asarray(t_last)))
        if law is not None
        else 0.0,
        polarization_first_mV=pol_first,
        polarization_last_mV=pol_last,
        config=_config_dict(config),
    )
    return SimulationResult(table=table, summary=summary)


def _config_dict(config: CellConfig) -> dict:
    out = {k: v for k, v in asdict(config).items() if k != "interphase"}
    law = config.interphase
    if law is None:
        out["interphase"] = None
    elif isinstance(law, InterphaseGrowth):
        out["interphase"] = asdict(law)
    else:
        out["interphase"] = type(law).__name__
    return out


def header_lines(summary: SimulationSummary) -> tuple[str, ...]:
    """``#`` metadata lines for a CSV written from a simulation (provenance only)."""
    cfg = summary.config
    keys = (
        "kind",
        "thin_li_um",
        "thick_li_um",
        "current_mA_cm2",
        "capacity_mAh_cm2",
        "area_cm2",
        "ce",
        "cutoff_V",
    )
    lines = [
        "simulated by alloyscreen.experiments.cells.simulator (model data, not a measurement)",
        " ".join(f"{k}={cfg.get(k)}" for k in keys),
        f"interphase={cfg.get('interphase')}",
    ]
    return tuple(lines)
