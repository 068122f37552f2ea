"""Analysis of Li|ISE|Li cycling data (symmetric and asymmetric cells).

Input is the normalised table of :mod:`alloyscreen.experiments.cells.readers`. Definitions:

Polarization of a half cycle
    Median of ``|V|`` over the middle of the half cycle (records whose elapsed time lies between
    25 % and 75 % of the half cycle's duration; all records if fewer than three fall there).
Nucleation peak
    Maximum ``|V|`` over the first 10 % of the half cycle (the Li nucleation overshoot).
Polarization per cycle
    Mean of the polarizations of the cycle's half cycles.
Trend
    Least-squares slope (mV per cycle) and the relative change between the mean of the first three
    and the last three cycles before any failure; "rising" / "falling" beyond ``trend_threshold``
    (default 20 %), else "stable".
Depletion
    The first record whose ``|V|`` reaches ``cutoff_V - cutoff_tolerance_V`` (the tester hits its
    voltage limit when the stripped electrode has run out of Li), or the end of a half cycle that is
    not the last one, passed less than ``early_fraction`` (90 %) of the nominal half-cycle
    charge and ended on a voltage spike (final ``|V|`` above ``early_spike_factor`` = 1.5 times its
    polarization: a tester limit below the cut-off). A last half cycle that ends early without reaching the cut-off is taken as the end of
    the test, not as depletion.
Soft short
    A half cycle whose polarization drops below ``short_drop_fraction`` (50 %) of the median of
    the (up to) five half cycles before it while the voltage noise (standard deviation of the
    record-to-record change of ``|V|`` over the middle of the half cycle) rises to at least
    ``short_noise_factor`` (3x) of theirs. The onset is the first record from which on at least
    80 % of the records are below the drop threshold.
Cycle life
    Number of complete cycles before the first failure (depletion or soft short); None when the
    cell did not fail within the data.
Average Coulombic efficiency (reservoir relation of Adams et al., Adv. Energy Mater. 2018, 8,
1702097, doi:10.1002/aenm.201702097)
    ``CE = (n Q_c + Q_s) / (n Q_c + Q_T)`` with ``Q_T`` the thin electrode's Li capacity
    (thickness x 0.206 mAh/cm2 per um, DESIGN.md §7, times the area), ``n Q_c`` the charge plated
    back onto the thin electrode before depletion, and ``n Q_c + Q_s`` all charge stripped from it
    up to the depletion (``Q_s``: the charge of the last, incomplete stripping half cycle). The
    half cycles whose current has the sign of the depleting half cycle are the stripping ones.
Li loss per cycle (inventory balance)
    ``(Q_T + plated - stripped) / n`` per cm2, and ``CE_balance = 1 - loss / Q_c``.

Assumptions (also returned in :attr:`CellAnalysis.assumptions`): all Li of the thin foil is
accessible; the thick electrode never limits; the loss per cycle is constant; the thin electrode is
the one stripped in the depleting half cycle. Adams' relation counts ``Q_T`` as if it had been
plated at the same CE; for a native foil that was never plated, ``1 - CE`` from the relation is
smaller than the per-cycle loss by the factor ``n Q_c / (n Q_c + Q_T)`` (a few % when depletion
takes many cycles); the inventory-balance numbers do not carry that bias.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.readers import NORMALISED_COLUMNS

logger = logging.getLogger(__name__)

#: Li capacity per um of Li foil (mAh/cm2/um): DESIGN.md §7, "1 um of Li = 0.206 mAh/cm2",
#: i.e. density 0.534 g/cm3 (CRC Handbook of Chemistry and Physics) x F/M_Li = 3861 mAh/g.
LI_MAH_CM2_PER_UM = 0.206

#: Reference for the reservoir CE relation.
ADAMS_2018 = (
    "Adams, Zheng, Ren, Xu, Zhang, Adv. Energy Mater. 2018, 8, 1702097, doi:10.1002/aenm.201702097"
)


@dataclass(frozen=True)
class CellProtocol:
    """Nominal cell and test parameters needed to interpret a cycling file.

    Attributes
    ----------
    thin_li_um, thick_li_um
        Li foil thicknesses (um) of the thin (working) and thick (counter) electrodes; for a
        symmetric cell both are the same.
    current_mA_cm2, capacity_mAh_cm2
        Nominal current density (mA/cm2) and charge per half cycle (mAh/cm2).
    area_cm2
        Electrode area (cm2); 0.785 cm2 is a 10 mm disc.
    cutoff_V
        The tester's voltage limit (V), e.g. +-5 V.
    """

    thin_li_um: float = 20.0
    thick_li_um: float = 100.0
    current_mA_cm2: float = 0.5
    capacity_mAh_cm2: float = 0.5
    area_cm2: float = 0.785
    cutoff_V: float = 5.0

    def __post_init__(self) -> None:
        for name in (
            "thin_li_um",
            "thick_li_um",
            "current_mA_cm2",
            "capacity_mAh_cm2",
            "area_cm2",
            "cutoff_V",
        ):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number, got {value!r}")

    @property
    def thin_capacity_mAh(self) -> float:
        """Li capacity of the thin electrode, ``Q_T`` (mAh)."""
        return self.thin_li_um * LI_MAH_CM2_PER_UM * self.area_cm2

    @property
    def half_cycle_mAh(self) -> float:
        """Nominal charge per half cycle, ``Q_c`` (mAh)."""
        return self.capacity_mAh_cm2 * self.area_cm2


@dataclass(frozen=True)
class HalfCycleStats:
    """Per-half-cycle quantities (tuples aligned by position)."""

    half_cycle: tuple[int, ...]
    cycle: tuple[int, ...]
    sign: tuple[int, ...]
    start_h: tuple[float, ...]
    end_h: tuple[float, ...]
    charge_mAh: tuple[float, ...]
    polarization_mV: tuple[float, ...]
    nucleation_mV: tuple[float, ...]
    noise_mV: tuple[float, ...]


@dataclass(frozen=True)
class PolarizationTrend:
    """Polarization trend over the cycles before failure."""

    slope_mV_per_cycle: float | None
    relative_change: float | None
    label: str  # "rising" | "stable" | "falling" | "insufficient data"


@dataclass(frozen=True)
class CellAnalysis:
    """Result of :func:`analyze_cell`. Charges in mAh, per-area values in mAh/cm2, times in h."""

    source: str
    protocol: CellProtocol
    n_cycles: int
    n_half_cycles: int
    duration_h: float
    depleted: bool
    depletion_time_h: float | None
    depletion_cycle: int | None
    depletion_half_cycle: int | None
    depletion_reason: str | None
    polarization_mV: tuple[float | None, ...]
    nucleation_mV: tuple[float | None, ...]
    polarization_trend: PolarizationTrend
    soft_short: bool
    soft_short_time_h: float | None
    soft_short_cycle: int | None
    cycle_life: int | None
    failure_mode: str | None
    average_ce: float | None
    average_ce_lower_bound: float | None
    ce_from_li_balance: float | None
    li_loss_mAh_cm2_per_cycle: float | None
    li_loss_mAh_cm2_per_cycle_upper_bound: float | None
    n_cycles_before_depletion: int | None
    stripped_mAh: float | None
    plated_mAh: float | None
    last_strip_mAh: float | None
    thin_capacity_mAh: float
    half_cycles: HalfCycleStats
    assumptions: tuple[str, ...]
    notes: tuple[str, ...]


def _half_cycle_stats(table: pd.DataFrame, rest_threshold_mA: float) -> dict[str, np.ndarray]:
    t = table["time_s"].to_numpy(dtype=float)
    v = table["voltage_V"].to_numpy(dtype=float)
    i = table["current_mA"].to_numpy(dtype=float)
    cap = table["capacity_mAh"].to_numpy(dtype=float)
    hc = table["half_cycle"].to_numpy(dtype=np.int64)
    cyc = table["cycle"].to_numpy(dtype=np.int64)
    active = (hc > 0) & (np.abs(i) > rest_threshold_mA)
    idx = np.flatnonzero(active)
    out: dict[str, list] = {
        k: []
        for k in (
            "half_cycle",
            "cycle",
            "sign",
            "start_s",
            "end_s",
            "charge_mAh",
            "pol_V",
            "nuc_V",
            "noise_V",
            "first",
            "last",
        )
    }
    if len(idx) == 0:
        return {k: np.asarray(val) for k, val in out.items()}
    hcs = hc[idx]
    bounds = np.flatnonzero(np.r_[True, hcs[1:] != hcs[:-1], True])
    for a, b in itertools.pairwise(bounds):
        rows = idx[a:b]
        tt = t[rows]
        av = np.abs(v[rows])
        t0, t1 = tt[0], tt[-1]
        dur = t1 - t0
        frac = (tt - t0) / dur if dur > 0 else np.zeros_like(tt)
        mid = (frac >= 0.25) & (frac <= 0.75)
        pol = float(np.median(av[mid])) if mid.sum() >= 3 else float(np.median(av))
        head = frac <= 0.10
        nuc = float(np.max(av[head])) if head.any() else float(av[0])
        window = av[mid] if mid.sum() >= 3 else av
        noise = float(np.std(np.diff(window))) if len(window) > 2 else 0.0
        out["half_cycle"].append(int(hcs[a]))
        out["cycle"].append(int(cyc[rows[0]]))
        out["sign"].append(int(np.sign(np.median(i[rows]))))
        out["start_s"].append(float(t0))
        out["end_s"].append(float(t1))
        out["charge_mAh"].append(float(np.max(cap[rows])))
        out["pol_V"].append(pol)
        out["nuc_V"].append(nuc)
        out["noise_V"].append(noise)
        out["first"].append(int(rows[0]))
        out["last"].append(int(rows[-1]))
    return {k: np.asarray(val) for k, val in out.items()}


def _trend(cycles: np.ndarray, pol: np.ndarray, threshold: float) -> PolarizationTrend:
    ok = np.isfinite(pol)
    c, p = cycles[ok], pol[ok]
    if len(p) < 2:
        return PolarizationTrend(None, None, "insufficient data")
    slope = float(np.polyfit(c.astype(float), p, 1)[0])
    k = min(3, len(p) // 2) or 1
    first, last = float(np.mean(p[:k])), float(np.mean(p[-k:]))
    rel = (last - first) / first if first > 0 else None
    if rel is None:
        label = "insufficient data"
    elif rel > threshold:
        label = "rising"
    elif rel < -threshold:
        label = "falling"
    else:
        label = "stable"
    return PolarizationTrend(slope, rel, label)


#: Largest factor between the measured and the nominal current accepted as a real protocol
#: (rate tests span ~10x); a wrong unit (A or uA read as mA) is a factor of 1000.
CURRENT_UNIT_FACTOR = 100.0


def _check_current_units(active_mA: np.ndarray, protocol: CellProtocol, source: str) -> None:
    """Refuse a table whose current is ~1000x off the nominal one: a unit mistake, not a cell."""
    if active_mA.size == 0:
        return
    nominal_mA = protocol.current_mA_cm2 * protocol.area_cm2
    measured_mA = float(np.median(active_mA))
    ratio = measured_mA / nominal_mA
    if 1.0 / CURRENT_UNIT_FACTOR <= ratio <= CURRENT_UNIT_FACTOR:
        return
    raise InputError(
        f"{source}: the median current {measured_mA:.4g} mA is {ratio:.3g} x the nominal "
        f"{nominal_mA:.4g} mA (current_mA_cm2 {protocol.current_mA_cm2:g} x area "
        f"{protocol.area_cm2:g} cm2); the current column is probably in another unit (give "
        "--current-unit A, mA or uA) or the nominal current density or area is wrong"
    )


def analyze_cell(
    table: pd.DataFrame,
    protocol: CellProtocol | None = None,
    *,
    cutoff_tolerance_V: float = 0.1,
    early_fraction: float = 0.9,
    early_spike_factor: float = 1.5,
    trend_threshold: float = 0.2,
    short_drop_fraction: float = 0.5,
    short_noise_factor: float = 3.0,
    rest_threshold_mA: float | None = None,
) -> CellAnalysis:
    """Analyse one Li|ISE|Li cycling record (normalised table).

    Parameters
    ----------
    table
        Normalised table (:data:`~alloyscreen.experiments.cells.readers.NORMALISED_COLUMNS`).
    protocol
        Cell and test parameters (thicknesses, area, current, half-cycle charge, cut-off).
    cutoff_tolerance_V
        ``|V| >= cutoff_V - cutoff_tolerance_V`` counts as reaching the voltage limit (V).
    early_fraction
        A non-final half cycle passing less than this fraction of the nominal charge ended early.
    early_spike_factor
        ... and counts as depletion only if its final ``|V|`` exceeds this multiple of its
        polarization (the voltage spike of an emptied electrode).
    trend_threshold
        Relative change of polarization separating "stable" from "rising"/"falling".
    short_drop_fraction, short_noise_factor
        Soft-short criteria (see module docstring).
    rest_threshold_mA
        ``|I|`` at or below this is rest (default 1 % of the largest ``|I|``).

    Returns
    -------
    CellAnalysis
    """
    protocol = protocol or CellProtocol()
    source = str(table.attrs.get("source", "<table>"))
    missing = [c for c in NORMALISED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{source}: not a normalised cycling table (missing {missing})")
    if len(table) == 0:
        raise InputError(f"{source}: no data records")
    i_abs = np.abs(table["current_mA"].to_numpy(dtype=float))
    thr = rest_threshold_mA if rest_threshold_mA is not None else 0.01 * float(i_abs.max())
    _check_current_units(i_abs[i_abs > thr], protocol, source)
    notes: list[str] = []
    t = table["time_s"].to_numpy(dtype=float)
    v = table["voltage_V"].to_numpy(dtype=float)
    hc_col = table["half_cycle"].to_numpy(dtype=np.int64)
    cap_col = table["capacity_mAh"].to_numpy(dtype=float)
    duration_h = float((t[-1] - t[0]) / 3600.0)

    s = _half_cycle_stats(table, thr)
    n_hc = len(s["half_cycle"])
    n_cycles = int(table["cycle"].max())
    q_c = protocol.half_cycle_mAh
    if n_hc:
        full = s["charge_mAh"][:-1] if n_hc > 1 else s["charge_mAh"]
        measured = float(np.median(full))
        if measured > 0 and abs(measured / q_c - 1.0) > 0.2:
            notes.append(
                f"median half-cycle charge {measured:.4g} mAh differs from the nominal "
                f"{q_c:.4g} mAh (capacity_mAh_cm2 x area) by more than 20 %; the measured "
                "median is used to recognise half cycles that ended early"
            )
            q_c = measured

    # ---- depletion -----------------------------------------------------------------------
    depleted = False
    dep_row: int | None = None
    dep_reason: str | None = None
    dep_pos: int | None = None  # position in the half-cycle arrays
    limit = protocol.cutoff_V - cutoff_tolerance_V
    for k in range(n_hc):
        a, b = s["first"][k], s["last"][k]
        hit = np.flatnonzero(np.abs(v[a : b + 1]) >= limit)
        if hit.size:
            depleted, dep_row, dep_reason, dep_pos = True, int(a + hit[0]), "cutoff", k
            break
        spike = abs(v[b]) > early_spike_factor * s["pol_V"][k]
        if k < n_hc - 1 and s["charge_mAh"][k] < early_fraction * q_c and spike:
            depleted, dep_row, dep_reason, dep_pos = True, int(b), "half cycle ended early", k
            break

    # ---- per-half-cycle polarization (up to the depletion record) ------------------------
    pol = s["pol_V"].astype(float).copy() if n_hc else np.zeros(0)
    if depleted and dep_reason == "cutoff":
        a = s["first"][dep_pos]
        rows = np.arange(a, dep_row)
        if len(rows) >= 1:
            tt = t[rows]
            span = tt[-1] - tt[0]
            frac = (tt - tt[0]) / span if span > 0 else np.zeros_like(tt)
            mid = (frac >= 0.25) & (frac <= 0.75)
            sel = rows[mid] if mid.sum() >= 3 else rows
            pol[dep_pos] = float(np.median(np.abs(v[sel])))
        else:
            pol[dep_pos] = np.nan

    # ---- soft short ----------------------------------------------------------------------
    short_pos: int | None = None
    noise = s["noise_V"] if n_hc else np.zeros(0)
    for k in range(2, n_hc):
        if depleted and k >= dep_pos:
            break
        lo = max(0, k - 5)
        base_p = float(np.nanmedian(pol[lo:k]))
        base_n = max(float(np.median(noise[lo:k])), 1e-5 * max(base_p, 1e-3))
        if pol[k] < short_drop_fraction * base_p and noise[k] >= short_noise_factor * base_n:
            short_pos = k
            break
    soft_short = short_pos is not None
    short_time_h = None
    short_cycle = None
    if soft_short:
        # onset: the first record (in this or the previous half cycle) from which on at least
        # 80 % of the records up to the end of this half cycle are collapsed
        base_p = float(np.nanmedian(pol[max(0, short_pos - 5) : short_pos]))
        a, b = s["first"][max(short_pos - 1, 0)], s["last"][short_pos]
        low = (np.abs(v[a : b + 1]) < short_drop_fraction * base_p).astype(float)
        frac_after = np.cumsum(low[::-1])[::-1] / np.arange(len(low), 0, -1)
        onset = np.flatnonzero((frac_after >= 0.8) & (low > 0))
        row = a + (int(onset[0]) if onset.size else len(low) - 1)
        short_time_h = float((t[row] - t[0]) / 3600.0)
        short_cycle = int(table["cycle"].iloc[row])

    # ---- per-cycle polarization and trend ------------------------------------------------
    cycles = np.arange(1, n_cycles + 1)
    pol_cycle = np.full(n_cycles, np.nan)
    nuc_cycle = np.full(n_cycles, np.nan)
    for c in cycles:
        sel = s["cycle"] == c if n_hc else np.zeros(0, dtype=bool)
        if sel.any():
            vals = pol[sel]
            if np.isfinite(vals).any():
                pol_cycle[c - 1] = float(np.nanmean(vals))
            nuc_cycle[c - 1] = float(np.max(s["nuc_V"][sel]))
    fail_cycle = None
    if depleted:
        fail_cycle = int(s["cycle"][dep_pos])
    if soft_short and (fail_cycle is None or short_cycle < fail_cycle):
        fail_cycle = short_cycle
    upto = (fail_cycle - 1) if fail_cycle is not None else n_cycles
    trend = _trend(cycles[:upto], 1e3 * pol_cycle[:upto], trend_threshold)

    # ---- cycle life ----------------------------------------------------------------------
    failure_mode = None
    cycle_life = None
    if fail_cycle is not None:
        cycle_life = fail_cycle - 1
        if (
            depleted
            and fail_cycle == int(s["cycle"][dep_pos])
            and (not soft_short or short_cycle >= fail_cycle)
        ):
            failure_mode = "depletion"
        else:
            failure_mode = "soft short"

    # ---- CE and Li loss ------------------------------------------------------------------
    q_t = protocol.thin_capacity_mAh
    area = protocol.area_cm2
    average_ce = ce_balance = loss = loss_ub = ce_lb = None
    stripped = plated = q_s = None
    n_before = None
    assumptions = [
        f"average CE from the reservoir relation CE = (n Q_c + Q_s)/(n Q_c + Q_T) ({ADAMS_2018})",
        f"Q_T = thin Li thickness x {LI_MAH_CM2_PER_UM} mAh/cm2/um x area "
        "(DESIGN.md §7; all of the foil's Li is accessible)",
        "the thin electrode is the one stripped in the depleting half cycle; the thick electrode "
        "never limits",
        "Li loss per cycle is constant over the test",
        "Adams' relation treats Q_T as if it had been plated at the same CE; for a native foil "
        "1 - CE from it underestimates the per-cycle loss by the factor n Q_c/(n Q_c + Q_T); "
        "ce_from_li_balance and li_loss_mAh_cm2_per_cycle (inventory balance) do not",
    ]
    if depleted and dep_pos is not None:
        s_strip = int(s["sign"][dep_pos])
        before = np.arange(dep_pos)
        strips = before[s["sign"][before] == s_strip]
        plates = before[s["sign"][before] == -s_strip]
        q_s = float(cap_col[dep_row]) if hc_col[dep_row] == s["half_cycle"][dep_pos] else 0.0
        q_s = max(q_s, 0.0)
        stripped = float(np.sum(s["charge_mAh"][strips])) + q_s
        plated = float(np.sum(s["charge_mAh"][plates]))
        n_before = len(plates)
        average_ce = stripped / (plated + q_t)
        if n_before > 0:
            loss_total = q_t + plated - stripped
            loss = loss_total / n_before / area
            ce_balance = 1.0 - loss_total / plated
        else:
            notes.append("depletion before any plating half cycle: no per-cycle loss")
    elif n_hc >= 2:
        pos = s["charge_mAh"][s["sign"] > 0].sum()
        neg = s["charge_mAh"][s["sign"] < 0].sum()
        plated_lb = float(min(pos, neg))
        n_pairs = int(min((s["sign"] > 0).sum(), (s["sign"] < 0).sum()))
        ce_lb = plated_lb / (plated_lb + q_t)
        if n_pairs:
            loss_ub = q_t / n_pairs / area
        notes.append(
            "no depletion: only a lower bound on the average CE (Q_s >= 0 in Adams' relation) "
            "and an upper bound on the Li loss per cycle are available"
        )

    def _tup(arr: np.ndarray) -> tuple[float | None, ...]:
        return tuple(float(x) if np.isfinite(x) else None for x in arr)

    stats = HalfCycleStats(
        half_cycle=tuple(int(x) for x in s["half_cycle"]),
        cycle=tuple(int(x) for x in s["cycle"]),
        sign=tuple(int(x) for x in s["sign"]),
        start_h=tuple(float((x - t[0]) / 3600.0) for x in s["start_s"]),
        end_h=tuple(float((x - t[0]) / 3600.0) for x in s["end_s"]),
        charge_mAh=tuple(float(x) for x in s["charge_mAh"]),
        polarization_mV=_tup(1e3 * pol) if n_hc else (),
        nucleation_mV=_tup(1e3 * s["nuc_V"]) if n_hc else (),
        noise_mV=_tup(1e3 * noise) if n_hc else (),
    )
    return CellAnalysis(
        source=source,
        protocol=protocol,
        n_cycles=n_cycles,
        n_half_cycles=n_hc,
        duration_h=duration_h,
        depleted=depleted,
        depletion_time_h=float((t[dep_row] - t[0]) / 3600.0) if depleted else None,
        depletion_cycle=int(s["cycle"][dep_pos]) if depleted else None,
        depletion_half_cycle=int(s["half_cycle"][dep_pos]) if depleted else None,
        depletion_reason=dep_reason,
        polarization_mV=_tup(1e3 * pol_cycle),
        nucleation_mV=_tup(1e3 * nuc_cycle),
        polarization_trend=trend,
        soft_short=soft_short,
        soft_short_time_h=short_time_h,
        soft_short_cycle=short_cycle,
        cycle_life=cycle_life,
        failure_mode=failure_mode,
        average_ce=average_ce,
        average_ce_lower_bound=ce_lb,
        ce_from_li_balance=ce_balance,
        li_loss_mAh_cm2_per_cycle=loss,
        li_loss_mAh_cm2_per_cycle_upper_bound=loss_ub,
        n_cycles_before_depletion=n_before,
        stripped_mAh=stripped,
        plated_mAh=plated,
        last_strip_mAh=q_s,
        thin_capacity_mAh=q_t,
        half_cycles=stats,
        assumptions=tuple(assumptions),
        notes=tuple(notes),
    )


def summary_dict(result: CellAnalysis) -> dict:
    """The headline numbers of ``result`` as a flat JSON-ready dict (CLI ``--json`` output)."""
    from alloyscreen.serialization import to_jsonable

    out = {
        "source": result.source,
        "n_cycles": result.n_cycles,
        "n_half_cycles": result.n_half_cycles,
        "duration_h": result.duration_h,
        "depleted": result.depleted,
        "depletion_time_h": result.depletion_time_h,
        "depletion_cycle": result.depletion_cycle,
        "depletion_half_cycle": result.depletion_half_cycle,
        "depletion_reason": result.depletion_reason,
        "polarization_mV": list(result.polarization_mV),
        "nucleation_mV": list(result.nucleation_mV),
        "polarization_trend": result.polarization_trend,
        "soft_short": result.soft_short,
        "soft_short_time_h": result.soft_short_time_h,
        "cycle_life": result.cycle_life,
        "failure_mode": result.failure_mode,
        "average_ce": result.average_ce,
        "average_ce_lower_bound": result.average_ce_lower_bound,
        "ce_from_li_balance": result.ce_from_li_balance,
        "li_loss_mAh_cm2_per_cycle": result.li_loss_mAh_cm2_per_cycle,
        "li_loss_mAh_cm2_per_cycle_upper_bound": result.li_loss_mAh_cm2_per_cycle_upper_bound,
        "n_cycles_before_depletion": result.n_cycles_before_depletion,
        "thin_capacity_mAh": result.thin_capacity_mAh,
        "protocol": result.protocol,
        "assumptions": list(result.assumptions),
        "notes": list(result.notes),
    }
    return to_jsonable(out)
