"""MI-SEI design: how much metal source a host electrolyte tolerates before the metal percolates.

A host electrolyte (e.g. Li6PS5Cl, which forms an SEI) is combined with a metal source:

``electrolyte``
    a second electrolyte B (e.g. Li10GeP2S12): a molar blend ``(1 - x) host + x B``;
    ``x`` is the mole fraction of B formula units.
``dopant``
    an element M (e.g. Cu) substituting Li in the host: ``Li_(n - v x) M_x (rest)`` with ``v``
    the dopant's charge (Cu+ -> 1 by default); ``x`` is moles of M per host formula unit.
``alloy``
    a Li-M alloy from the screen (e.g. Li17Ge4, or any phase with a product-table row or a
    relaxed molar volume), added as particles that Li does not reduce further:
    ``(1 - x) host + x alloy``; ``x`` is the mole fraction of alloy formula units.

In each case the reduction products are linear in ``x``, so the metal volume fraction is a ratio
of two linear functions, ``V_FM(x) = (M0 + x dM) / (T0 + x dT)``, and the largest fraction that
keeps ``V_FM`` below the target is exact:

    target = (V_p - 2 V_p_err) (1 - margin)        (relative margin, default)
    target = (V_p - 2 V_p_err) - margin            (absolute margin)

The limit is reported for several morphologies (more spherical metal, larger particles,
enveloped/segregated distributions), showing how much it grows when the morphology changes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymatgen.core import Composition

from alloyscreen.errors import InputError
from alloyscreen.interphase.composition import formula_key, parse_formula
from alloyscreen.interphase.coupling import Morphology, PercolationModel, default_model
from alloyscreen.interphase.products import ProductTable, load_product_table
from alloyscreen.interphase.reactions import (
    ReactionTable,
    ReductionReaction,
    curated_reaction,
    load_reaction_table,
)

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("electrolyte", "dopant", "alloy")
#: Elements that make a metal source an electrolyte (anions of common solid electrolytes).
_ANIONS = {"S", "Se", "Te", "O", "N", "F", "Cl", "Br", "I", "P"}


@dataclass(frozen=True)
class MixtureLine:
    """Products of the mixture as a linear function of the fraction x.

    ``metal(x) = metal0 + x * d_metal`` and ``total(x) = total0 + x * d_total`` (cm^3 of
    products per formula unit of mixture); ``li(x)`` likewise (moles of Li consumed).
    """

    metal0: float
    d_metal: float
    total0: float
    d_total: float
    li0: float
    d_li: float

    def v_fm(self, x: np.ndarray | float) -> np.ndarray | float:
        """Metal volume fraction at fraction ``x``."""
        total = self.total0 + np.asarray(x) * self.d_total
        return (self.metal0 + np.asarray(x) * self.d_metal) / total

    def fraction_at(self, target: float, x_max: float) -> tuple[float, str]:
        """Largest x in [0, x_max] with V_FM(x) <= target, and what limits it."""
        if not math.isfinite(target):
            return x_max, "never percolates"
        if target <= 0:
            return 0.0, "target <= 0 (margin larger than V_p)"
        if float(self.v_fm(0.0)) > target:
            return 0.0, "host alone is above the target"
        if float(self.v_fm(x_max)) <= target:
            return x_max, "not limited up to the maximum fraction"
        denom = self.d_metal - target * self.d_total
        x = (target * self.total0 - self.metal0) / denom
        return float(min(max(x, 0.0), x_max)), "percolation target"


@dataclass(frozen=True)
class DesignLimit:
    """Largest fraction for one morphology.

    Attributes
    ----------
    morphology : Morphology
    v_p, v_p_err : float
        Threshold and its error (``inf``: never percolates).
    target_v_fm : float
        V_FM allowed after the safety margin.
    max_fraction : float
        Largest blend/doping fraction with V_FM <= target.
    v_fm_at_limit : float
    li_consumed_at_limit : float
        Moles of Li consumed per formula unit of mixture at the limit.
    limited_by : str
    gain_vs_baseline : float or None
        ``max_fraction / baseline max_fraction`` (None when the baseline allows nothing).
    threshold_source : str
    """

    morphology: Morphology
    v_p: float
    v_p_err: float
    target_v_fm: float
    max_fraction: float
    v_fm_at_limit: float
    li_consumed_at_limit: float
    limited_by: str
    gain_vs_baseline: float | None
    threshold_source: str


@dataclass(frozen=True)
class DesignCalibration:
    """The design recommendation from observations of the mixture's metal.

    With the observed window ``V_FM(benign) < V_p <= V_FM(detrimental)`` the target keeps the
    margin below the smallest V_FM observed detrimental (``hi (1 - margin)`` relative, ``hi -
    margin`` absolute), but never below the largest V_FM observed benign (that one is tested).
    Fractions between the tested-benign one and the recommendation are untested: confirm them with
    an asymmetric cell.

    Attributes
    ----------
    basis : str
        ``observations`` (a window exists) or ``morphology model``.
    metals : tuple of str
    v_p_window : tuple or None
    target_v_fm : float or None
    recommended_max_fraction : float
    tested_benign_fraction, first_detrimental_fraction : float or None
        Fractions of the mixture at the bounding observations' V_FM.
    observations : tuple of dict
        Observation records of this metal with ``fraction`` (x on this mixture's line, or None
        when the observed composition is not a mixture of this host and source).
    contradictions : tuple of str
    note : str
    """

    basis: str
    metals: tuple[str, ...]
    v_p_window: tuple[float, float | None] | None
    target_v_fm: float | None
    recommended_max_fraction: float
    tested_benign_fraction: float | None
    first_detrimental_fraction: float | None
    observations: tuple[dict, ...] = ()
    contradictions: tuple[str, ...] = ()
    note: str = ""

    def text(self, result: DesignResult) -> str:
        """Sentence for reports."""
        lo, hi = self.v_p_window or (0.0, None)
        hi_text = "unbounded" if hi is None else f"{hi:.4f}"
        text = (
            f"{result.host} + {result.metal_source} (x = {result.fraction_definition}); metal: "
            f"{', '.join(self.metals)}. Observations bound V_p to {lo:.4f} < V_p <= {hi_text}; "
            f"keeping V_FM <= {self.target_v_fm:.4f} recommends x <= "
            f"{self.recommended_max_fraction:.3g} (basis: observations)."
        )
        if self.tested_benign_fraction is not None:
            text += f" Tested benign up to x = {self.tested_benign_fraction:.3g}"
            if self.recommended_max_fraction > self.tested_benign_fraction + 1e-12:
                text += (
                    f"; x in ({self.tested_benign_fraction:.3g}, "
                    f"{self.recommended_max_fraction:.3g}] is untested: run an asymmetric cell"
                )
            text += "."
        if self.first_detrimental_fraction is not None:
            text += f" Observed detrimental from x = {self.first_detrimental_fraction:.3g}."
        return text

    def record(self) -> dict[str, object]:
        """JSON-ready record."""
        return {
            "basis": self.basis,
            "metals": list(self.metals),
            "v_p_window": None if self.v_p_window is None else list(self.v_p_window),
            "target_v_fm": self.target_v_fm,
            "recommended_max_fraction": self.recommended_max_fraction,
            "tested_benign_fraction": self.tested_benign_fraction,
            "first_detrimental_fraction": self.first_detrimental_fraction,
            "observations": [dict(o) for o in self.observations],
            "contradictions": list(self.contradictions),
            "note": self.note,
        }


@dataclass(frozen=True)
class DesignResult:
    """MI-SEI design of a host and a metal source.

    Attributes
    ----------
    host, metal_source, source_kind : str
    fraction_definition : str
        What ``x`` means for this source kind.
    margin : float
    margin_mode : str
        ``relative`` or ``absolute``.
    max_fraction_scanned : float
    line : MixtureLine
        Exact V_FM(x).
    fractions, v_fm : tuple of float
        Sampled curve for tables and plots.
    limits : tuple of DesignLimit
        First entry = baseline morphology.
    metal_products : tuple of str
        Metallic products of the mixture.
    skipped : tuple of (str, str)
        Morphologies without a V_p (label, reason), e.g. outside the engine's range.
    calibration : DesignCalibration or None
        The recommendation from the observations of the mixture's metal (None: not asked for).
    """

    host: str
    metal_source: str
    source_kind: str
    fraction_definition: str
    margin: float
    margin_mode: str
    max_fraction_scanned: float
    line: MixtureLine
    fractions: tuple[float, ...]
    v_fm: tuple[float, ...]
    limits: tuple[DesignLimit, ...]
    metal_products: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    calibration: DesignCalibration | None = None

    @property
    def recommended_max_fraction(self) -> float:
        """The calibrated recommendation when observations bound V_p, else the baseline limit."""
        if self.calibration is not None:
            return self.calibration.recommended_max_fraction
        return self.limits[0].max_fraction

    @property
    def basis(self) -> str:
        """``observations`` or ``morphology model``."""
        return self.calibration.basis if self.calibration is not None else "morphology model"

    def table(self) -> list[dict[str, object]]:
        """One JSON-ready row per morphology."""
        rows = []
        for lim in self.limits:
            m = lim.morphology
            rows.append(
                {
                    "morphology": m.label,
                    "aspect_ratio": m.aspect_ratio,
                    "size_ratio": m.size_ratio,
                    "distribution": m.distribution,
                    "v_p": lim.v_p if math.isfinite(lim.v_p) else None,
                    "v_p_err": lim.v_p_err,
                    "target_v_fm": lim.target_v_fm if math.isfinite(lim.target_v_fm) else None,
                    "max_fraction": lim.max_fraction,
                    "v_fm_at_limit": lim.v_fm_at_limit,
                    "li_consumed_at_limit": lim.li_consumed_at_limit,
                    "limited_by": lim.limited_by,
                    "gain_vs_baseline": lim.gain_vs_baseline,
                }
            )
        return rows

    def summary(self) -> str:
        """One paragraph for reports."""
        cal = self.calibration
        model_text = self._model_summary()
        if cal is None or cal.basis != "observations":
            note = f" {cal.note}" if cal is not None and cal.note else ""
            return model_text + note
        return f"{cal.text(self)} Morphology model, for comparison: {model_text}"

    def _model_summary(self) -> str:
        base = self.limits[0]
        best = max(self.limits, key=lambda lim: lim.max_fraction)
        margin = (
            f"{self.margin:.0%} below V_p" if self.margin_mode == "relative"
            else f"{self.margin:g} below V_p"
        )  # fmt: skip
        text = (
            f"{self.host} + {self.metal_source} ({self.source_kind}; x = "
            f"{self.fraction_definition}); metal: {', '.join(self.metal_products) or 'none'}. "
            f"Keeping V_FM {margin} (V_p lowered by 2 sigma), the baseline morphology "
            f"({base.morphology.label}, V_p = {base.v_p:.3g}) allows x <= {base.max_fraction:.3g}"
        )
        if best is not base and best.max_fraction > base.max_fraction:
            text += (
                f"; {best.morphology.label} (V_p = {best.v_p:.3g}) allows x <= "
                f"{best.max_fraction:.3g}"
            )
        return text + "."


def _source_kind(metal_source: str) -> str:
    comp = parse_formula(metal_source)
    elements = set(comp.get_el_amt_dict())
    if len(elements) == 1 and "Li" not in elements:
        return "dopant"
    if elements & _ANIONS:
        return "electrolyte"
    return "alloy"


def _product_volumes(products: Mapping[str, float], table: ProductTable) -> tuple[float, float]:
    metal = total = 0.0
    for formula, moles in products.items():
        rec = table.get(formula)
        v = moles * rec.molar_volume_cm3_mol
        total += v
        if rec.metallic:
            metal += v
    return metal, total


def mixture_line(
    host: str,
    metal_source: str,
    *,
    kind: str = "auto",
    dopant_charge: float | None = None,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
    reaction: Callable[[str], ReductionReaction] | None = None,
) -> tuple[MixtureLine, str, str, tuple[str, ...]]:
    """V_FM(x) of host + metal source as an exact linear-fractional function.

    ``reaction`` reduces one compound (host, electrolyte metal source) against Li; default: the
    curated table (``reactions``). The thermodynamic route passes its grand-potential reduction
    (:func:`alloyscreen.interphase.thermo.thermo_reaction` with the relaxed phases). A dopant's
    product always comes from the table's element rules.

    Returns
    -------
    (line, kind, fraction_definition, metal_products)
    """
    reactions = reactions or load_reaction_table()
    products = products or load_product_table()
    kind = _source_kind(metal_source) if kind == "auto" else kind
    if kind not in SOURCE_KINDS:
        raise InputError(f"unknown metal-source kind {kind!r}; use one of {SOURCE_KINDS} or auto")
    table = reactions

    def _curated(formula: str) -> ReductionReaction:
        return curated_reaction(formula, table)

    reduce_one = reaction or _curated
    host_rx = reduce_one(host)
    host_p = {p.formula: p.moles for p in host_rx.products}
    m_h, t_h = _product_volumes(host_p, products)
    li_h = host_rx.li_consumed_per_fu
    if kind == "electrolyte":
        src_rx = reduce_one(metal_source)
        src_p = {p.formula: p.moles for p in src_rx.products}
        m_s, t_s = _product_volumes(src_p, products)
        line = MixtureLine(m_h, m_s - m_h, t_h, t_s - t_h, li_h, src_rx.li_consumed_per_fu - li_h)
        definition = f"mole fraction of {metal_source} in the blend"
        metal_names = {f for f in (*host_p, *src_p) if products.get(f).metallic}
    elif kind == "alloy":
        rec = products.get(metal_source)
        alloy_f = rec.formula
        scale = Composition(metal_source).num_atoms / Composition(alloy_f).num_atoms
        vm = rec.molar_volume_cm3_mol * scale
        m_s, t_s = (vm if rec.metallic else 0.0), vm
        line = MixtureLine(m_h, m_s - m_h, t_h, t_s - t_h, li_h, -li_h)
        definition = f"mole fraction of {metal_source} formula units (inert to Li)"
        metal_names = {f for f in host_p if products.get(f).metallic}
        if rec.metallic:
            metal_names.add(alloy_f)
    else:  # dopant
        el = str(next(iter(parse_formula(metal_source).get_el_amt_dict())))
        if el not in reactions.element_products:
            raise InputError(
                f"no element rule for dopant {el}: add an element_products entry "
                "(--reactions FILE) saying which product it forms against Li"
            )
        rule = reactions.element_products[el]
        per = Composition(rule.product).get_el_amt_dict()[el]
        prod_moles = 1.0 / per
        rec = products.get(rule.product)
        dv = prod_moles * rec.molar_volume_cm3_mol
        if dopant_charge is None:
            dopant_charge = 1.0
            logger.info("dopant %s assumed to substitute Li+ one for one (charge 1)", el)
        li_in_product = prod_moles * Composition(rule.product).get_el_amt_dict().get("Li", 0.0)
        line = MixtureLine(
            m_h, dv if rec.metallic else 0.0, t_h, dv, li_h, li_in_product + float(dopant_charge)
        )
        definition = (
            f"moles of {el} per {host} formula unit (substituting {dopant_charge:g} Li each)"
        )
        metal_names = {f for f in host_p if products.get(f).metallic}
        if rec.metallic:
            metal_names.add(rec.formula)
    return line, kind, definition, tuple(sorted(metal_names))


#: Size ratios (metal radius / insulating grain radius) of the segregated variants; the engine's
#: segregated model accepts ratios up to 0.5. Larger ratio = larger metal particles.
SEGREGATED_SIZE_RATIOS = (0.1, 0.5)


def default_design_morphologies(base: Morphology | None = None) -> list[Morphology]:
    """Baseline plus variants: more spherical metal, larger particles, other distributions.

    Variants keep the baseline's other parameters: aspect ratios closer to 1 (5, 2, 1 for
    needles; 0.2, 0.5, 1 for plates: more spherical); spherical metal segregated on the
    boundaries of insulating grains with size ratios 0.1 and 0.5 (larger metal particles
    relative to the grains; spheres because the engine tabulates that family), or, for a
    segregated baseline, its size ratio x2 and x5 (up to 0.5); and
    ``enveloped`` metal when the baseline sets a shell thickness below the tunnelling distance.
    The default baseline, needles of aspect ratio 10 randomly distributed, is the morphology
    the shipped literature observations are consistent with (Li10GeP2S12 with V_FM = 0.11 forms
    an MCI, so V_p <= 0.11 there; see :mod:`alloyscreen.interphase.calibration`); it is a
    modelling choice, not a measurement.
    """
    base = base or Morphology(aspect_ratio=10.0)
    out = [base]

    def add(m: Morphology) -> None:
        if m not in out:
            out.append(m)

    if base.aspect_ratio >= 1.0:
        rounder = [ar for ar in (5.0, 2.0, 1.0) if ar < base.aspect_ratio]
    else:
        rounder = [ar for ar in (0.2, 0.5, 1.0) if ar > base.aspect_ratio]
    for ar in rounder:
        add(Morphology(ar, base.size_ratio, base.distribution, base.shell_thickness,
                       base.tunnelling_distance))  # fmt: skip
    if base.distribution == "segregated":
        for factor in (2.0, 5.0):
            size = min(base.size_ratio * factor, 0.5)
            add(Morphology(base.aspect_ratio, size, "segregated", base.shell_thickness,
                           base.tunnelling_distance))  # fmt: skip
    else:
        for size in SEGREGATED_SIZE_RATIOS:  # spheres: the engine's tabulated segregated family
            add(Morphology(1.0, size, "segregated", base.shell_thickness,
                           base.tunnelling_distance))  # fmt: skip
    if base.distribution != "enveloped" and base.tunnelling_distance > base.shell_thickness:
        add(Morphology(base.aspect_ratio, base.size_ratio, "enveloped", base.shell_thickness,
                       base.tunnelling_distance))  # fmt: skip
    return out


def design_mixture(
    host: str,
    metal_source: str,
    *,
    margin: float = 0.2,
    margin_mode: str = "relative",
    morphologies: Sequence[Morphology] | None = None,
    kind: str = "auto",
    dopant_charge: float | None = None,
    max_fraction: float = 1.0,
    n_points: int = 201,
    model: PercolationModel | None = None,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
    reaction: Callable[[str], ReductionReaction] | None = None,
) -> DesignResult:
    """Largest blend/doping fraction keeping V_FM below the percolation target, per morphology.

    Parameters
    ----------
    host, metal_source
        Formulas (the metal source: an electrolyte, a dopant element, or an alloy).
    margin, margin_mode
        Safety margin: relative (fraction of V_p, default 0.2) or absolute (volume fraction).
    morphologies
        First = baseline (default :func:`default_design_morphologies`).
    kind
        ``auto``, ``electrolyte``, ``dopant`` or ``alloy``.
    dopant_charge
        Li removed per dopant atom (default 1).
    max_fraction
        Upper end of the scanned fraction (1 for blends; the doping range for dopants).
    model
        Percolation model (default: the engine).
    reaction
        Reduction of one compound against Li (default: curated; see :func:`mixture_line`).
    """
    if margin_mode not in ("relative", "absolute"):
        raise InputError(f"margin_mode must be relative or absolute, got {margin_mode!r}")
    if not (0 <= margin < (1 if margin_mode == "relative" else math.inf)):
        raise InputError(f"margin must be in [0, 1) for a relative margin, got {margin!r}")
    if not (max_fraction > 0 and math.isfinite(max_fraction)):
        raise InputError(f"max_fraction must be > 0, got {max_fraction!r}")
    line, kind, definition, metal = mixture_line(
        host, metal_source, kind=kind, dopant_charge=dopant_charge,
        reactions=reactions, products=products, reaction=reaction,
    )  # fmt: skip
    if kind != "dopant" and max_fraction > 1:
        raise InputError("a blend or alloy mole fraction cannot exceed 1")
    model = model or default_model()
    morphs = list(morphologies) if morphologies else default_design_morphologies()
    x = np.linspace(0.0, max_fraction, max(int(n_points), 2))
    limits: list[DesignLimit] = []
    skipped: list[tuple[str, str]] = []
    base_fraction = None
    for m in morphs:
        try:
            th = model.threshold(m)
        except InputError as exc:
            if not limits and m is morphs[0]:
                raise  # the baseline must have a threshold
            logger.warning("design: no V_p for %s (%s); skipped", m.label, exc)
            skipped.append((m.label, str(exc)))
            continue
        v_p_low = th.v_p - 2.0 * th.v_p_err
        target = v_p_low * (1.0 - margin) if margin_mode == "relative" else v_p_low - margin
        xf, why = line.fraction_at(target, max_fraction)
        if base_fraction is None:
            base_fraction = xf
        gain = (xf / base_fraction) if base_fraction and base_fraction > 0 else None
        limits.append(
            DesignLimit(
                morphology=m,
                v_p=th.v_p,
                v_p_err=th.v_p_err,
                target_v_fm=target,
                max_fraction=xf,
                v_fm_at_limit=float(line.v_fm(xf)),
                li_consumed_at_limit=line.li0 + xf * line.d_li,
                limited_by=why,
                gain_vs_baseline=gain,
                threshold_source=th.source,
            )
        )
    return DesignResult(
        host=host,
        metal_source=metal_source,
        source_kind=kind,
        fraction_definition=definition,
        margin=margin,
        margin_mode=margin_mode,
        max_fraction_scanned=max_fraction,
        line=line,
        fractions=tuple(float(v) for v in x),
        v_fm=tuple(float(v) for v in line.v_fm(x)),
        limits=tuple(limits),
        metal_products=metal,
        skipped=tuple(skipped),
    )


def _fraction_on_line(composition: str, host: str, source: str) -> float | None:
    """Mole fraction of ``source`` when ``composition`` is a blend of ``host`` and ``source``."""
    from alloyscreen.interphase.composition import parse_composition

    keys = {formula_key(host): 0.0, formula_key(source): 1.0}
    try:
        inp = parse_composition(composition)
        comps = [(formula_key(c.formula), c.mole_fraction) for c in inp.components]
    except (InputError, ValueError):
        return None
    if not all(k in keys for k, _ in comps):
        return None
    return float(sum(f for k, f in comps if keys[k] == 1.0))


def calibrate_design(
    result: DesignResult,
    observations: Sequence[object] | None,
) -> DesignResult:
    """Attach the observation-based recommendation (:class:`DesignCalibration`) to a design.

    ``observations``: :class:`~alloyscreen.interphase.calibration.Observation` objects (shipped
    and user ones); None or empty leaves the morphology model's limit as the recommendation.
    """
    from dataclasses import replace

    from alloyscreen.interphase.calibration import calibrate_by_metal

    base = result.limits[0]
    metals = tuple(sorted(result.metal_products))
    if not observations or not metals:
        cal = DesignCalibration("morphology model", metals, None, base.target_v_fm,
                                base.max_fraction, None, None,
                                note="" if observations else "no observations used")  # fmt: skip
        return replace(result, calibration=cal)
    mine = calibrate_by_metal(observations).get(metals)  # type: ignore[arg-type]
    records = []
    in_group = set(map(id, getattr(mine, "observations", ())))
    for o in observations:  # this metal's observations, and any on this mixture's line
        x = (
            _fraction_on_line(o.composition, result.host, result.metal_source)  # type: ignore[attr-defined]
            if result.source_kind == "electrolyte"
            else None
        )
        if id(o) in in_group or x is not None:
            records.append({**o.record(), "fraction": x})  # type: ignore[attr-defined]
    if mine is None or mine.window is None:
        contradictions = tuple(c.message() for c in mine.contradictions) if mine else ()
        note = (
            f"the observations of {', '.join(metals)} contradict each other: no window, "
            "morphology model used" if contradictions
            else f"no observations bound V_p for {', '.join(metals)}: morphology model used"
        )  # fmt: skip
        if contradictions:
            logger.warning("design: %s", note)
        cal = DesignCalibration("morphology model", metals, None, base.target_v_fm,
                                base.max_fraction, None, None, tuple(records), contradictions,
                                note)  # fmt: skip
        return replace(result, calibration=cal)
    lo, hi = mine.window
    line, xmax = result.line, result.max_fraction_scanned
    if hi is None:
        target = lo
    elif result.margin_mode == "relative":
        target = max(hi * (1.0 - result.margin), lo)
    else:
        target = max(hi - result.margin, lo)
    x_rec, _ = line.fraction_at(target, xmax)
    tested = line.fraction_at(lo, xmax)[0] if lo > 0 else None
    first_bad = None
    if hi is not None:
        x_hi, why = line.fraction_at(hi, xmax)
        first_bad = x_hi if why == "percolation target" else None
    cal = DesignCalibration(
        basis="observations",
        metals=metals,
        v_p_window=(lo, hi),
        target_v_fm=target,
        recommended_max_fraction=x_rec,
        tested_benign_fraction=tested,
        first_detrimental_fraction=first_bad,
        observations=tuple(records),
        contradictions=tuple(c.message() for c in mine.contradictions),
        note="",
    )
    return replace(result, calibration=cal)


def plot_design(result: DesignResult, path: str | Path, *, max_bands: int = 6) -> Path:
    """PNG of V_FM vs fraction against the V_p bands (V_p +- 2 sigma) and targets.

    Uses ``matplotlib.figure.Figure`` + ``savefig`` (no pyplot, no backend switch).
    """
    from matplotlib.figure import Figure

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(9.5, 4.8), dpi=120)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(result.fractions, result.v_fm, color="black", lw=2, label="V_FM (products)")
    colors = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    top = max(result.v_fm) if result.v_fm else 0.0
    for i, lim in enumerate(result.limits[:max_bands]):
        if not math.isfinite(lim.v_p):
            continue
        c = colors[i % len(colors)]
        lo, hi = lim.v_p - 2 * lim.v_p_err, lim.v_p + 2 * lim.v_p_err
        ax.axhspan(lo, hi, color=c, alpha=0.18, lw=0)
        ax.axhline(lim.v_p, color=c, lw=1, label=f"V_p {lim.morphology.label}")
        ax.axhline(lim.target_v_fm, color=c, lw=1, ls="--")
        ax.axvline(lim.max_fraction, color=c, lw=1, ls=":")
        top = max(top, hi)
    cal = result.calibration
    if cal is not None and cal.v_p_window is not None:
        lo, hi = cal.v_p_window
        hi_plot = hi if hi is not None else top
        ax.axhspan(lo, hi_plot, color="0.6", alpha=0.35, lw=0, hatch="//",
                   label=f"observed V_p window ({lo:.4f}, {hi_text(hi)}]")  # fmt: skip
        ax.axvline(cal.recommended_max_fraction, color="black", lw=1.5, ls="-.",
                   label=f"recommended x <= {cal.recommended_max_fraction:.3g} (observations)")  # fmt: skip
        top = max(top, hi_plot)
    if cal is not None:
        for rec in cal.observations:
            x = rec.get("fraction")
            if x is None:
                continue
            benign = rec["outcome"] == "benign"
            ax.plot([x], [rec["v_fm"]], marker="o" if benign else "X", ms=9, ls="none",
                    color="tab:green" if benign else "tab:red", markeredgecolor="black",
                    label=f"{rec['composition']}: {rec['outcome']} ({rec['evidence_kind'] or 'n/a'})")  # fmt: skip
    ax.set_xlim(0, result.max_fraction_scanned)
    ax.set_ylim(0, min(1.0, 1.15 * top if top > 0 else 1.0))
    ax.set_xlabel(f"x ({result.fraction_definition})")
    ax.set_ylabel("metal volume fraction of the interphase")
    ax.set_title(f"{result.host} + {result.metal_source}: V_FM vs V_p (dashed: target)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(out)
    return out


def hi_text(hi: float | None) -> str:
    """Upper window bound as text."""
    return "inf" if hi is None else f"{hi:.4f}"


def design_document(result: DesignResult, plot: str | Path | None = None) -> dict[str, object]:
    """``{"summary", "plot", "table", "recommended_max_fraction", "basis", "v_p_window",
    "calibration"}`` for :func:`alloyscreen.report.write_report`."""
    cal = result.calibration
    return {
        "summary": result.summary(),
        "plot": None if plot is None else str(plot),
        "table": result.table(),
        "recommended_max_fraction": result.recommended_max_fraction,
        "basis": result.basis,
        "v_p_window": None if cal is None or cal.v_p_window is None else list(cal.v_p_window),
        "calibration": None if cal is None else cal.record(),
    }


def alloy_margins(
    alloys: Mapping[str, str],
    host: str,
    *,
    fraction: float,
    morphology: Morphology | None = None,
    model: PercolationModel | None = None,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
    molar_volumes: Mapping[str, float] | None = None,
    assume_metallic: bool = False,
    v_p_window: Sequence[float | None] | None = None,
) -> dict[str, float | None]:
    """Percolation margin ``V_p - V_FM`` of each candidate alloy mixed into ``host``.

    With ``v_p_window = (lo, hi)`` observed for the host's interphase metal (calibration), V_p is
    the window's upper bound ``hi``, the smallest V_FM observed detrimental: a negative margin
    then means at least as much metal as an interphase observed to consume Li (the morphology
    model is not used). The window is that of the host's metal applied to the candidate alloys,
    i.e. it assumes their particles take the microstructure observed in that interphase.

    This is the ``percolation_margin`` descriptor of the ranking: each alloy (id -> formula) is
    added to the host electrolyte at mole fraction ``fraction`` (kind ``alloy``), and the margin
    is V_p of ``morphology`` minus V_FM of the resulting interphase.

    Parameters
    ----------
    alloys
        Candidate id -> formula.
    host, fraction, morphology, model, reactions, products
        As in :func:`design_mixture`.
    molar_volumes
        Candidate id -> molar volume (cm^3 per mol of the candidate's reduced formula), e.g.
        from relaxed structures (:func:`alloyscreen.interphase.products.relaxed_molar_volumes`);
        used for alloys without a product-table row.
    assume_metallic
        Treat such alloys as metallic (Li-M intermetallics usually are, but e.g. Li3Sb is a
        semiconductor). False (default) reports them as missing (None) instead.

    Returns
    -------
    dict
        Candidate id -> margin, or None when the alloy's volume or class is unknown.
    """
    from alloyscreen.interphase.products import ProductRecord

    if not (0 <= fraction <= 1):
        raise InputError(f"fraction must be in [0, 1], got {fraction!r}")
    if v_p_window is not None and v_p_window[1] is not None:
        from alloyscreen.interphase.coupling import FixedThreshold

        model = FixedThreshold(float(v_p_window[1]), 0.0, source="observed V_p window")
    model = model or default_model()
    morphology = morphology or Morphology()
    th = model.threshold(morphology)
    reactions = reactions or load_reaction_table()
    products = products or load_product_table()
    out: dict[str, float | None] = {}
    for cid, formula in alloys.items():
        table = products
        key = formula_key(formula)
        if key not in products.records and molar_volumes and cid in molar_volumes:
            if not assume_metallic:
                logger.info("no electronic class for %s (%s): margin missing", cid, formula)
                out[cid] = None
                continue
            rec = ProductRecord(
                formula=key,
                molar_volume_cm3_mol=float(molar_volumes[cid]),
                volume_source="relaxed",
                metallic=True,
                citation=f"relaxed structure of candidate {cid}",
                metallic_citation="assumed metallic (Li-M alloy from the screen)",
            )
            table = products.with_records([rec], f"candidate {cid}")
        try:
            line, *_ = mixture_line(
                host, formula, kind="alloy", reactions=reactions, products=table
            )
        except InputError as exc:
            logger.info("no percolation margin for %s (%s): %s", cid, formula, exc)
            out[cid] = None
            continue
        v_fm = float(line.v_fm(fraction))
        out[cid] = th.v_p - v_fm if math.isfinite(th.v_p) else None
    return out


def interphase_step(
    options: Mapping[str, object],
    directory: str | Path,
    *,
    model: PercolationModel | None = None,
    entries: Sequence[object] | None = None,
) -> dict[str, object]:
    """The campaign's ``[steps.interphase]``: assessments and an MI-SEI design with its plot.

    Options (the keys :mod:`alloyscreen.workflow` allows): ``compositions`` (list of inputs to
    assess), ``host`` and ``metal_source`` (design), ``margin`` (relative, default 0.2),
    ``aspect_ratio`` (default 10), ``size_ratio`` (1), ``distribution`` (random),
    ``max_fraction`` (1), ``route`` (``curated``, default, or ``thermo``: the reductions of the
    compositions, host and metal source come from the grand-potential phase diagram of
    ``entries``, the energies of the relaxed phases that the campaign computed through the
    store; ``mp`` needs network access and runs only from the CLI).

    The shipped observations (:func:`~alloyscreen.interphase.calibration.shipped_observations`)
    calibrate both: each assessment carries ``classification`` (from the window of its metal when
    one exists), ``classification_basis`` and ``v_p_window``; the design its
    ``recommended_max_fraction`` and ``basis``.

    Returns
    -------
    dict
        ``{"assessments": [summary, ...], "design": design_document or None}``.
    """
    from alloyscreen.interphase.classification import assess_interphase

    route = str(options.get("route", "curated"))
    if route not in ("curated", "thermo"):
        raise InputError(
            f"[steps.interphase] route {route!r}: a campaign runs 'curated' or 'thermo'; the "
            "Materials Project route needs network access: alloyscreen interphase COMPOSITION "
            "--route mp"
        )
    reaction: Callable[[str], ReductionReaction] | None = None
    if route == "thermo":
        from alloyscreen.interphase.thermo import li_chemical_potential, thermo_reaction

        if not entries:
            raise InputError(
                "[steps.interphase] route 'thermo' needs the energies of the relaxed phases "
                "(the campaign computes them through the store)"
            )
        mu_li = li_chemical_potential(entries)

        def reaction(formula: str) -> ReductionReaction:
            return thermo_reaction(formula, entries, mu_li_eV=mu_li)

    morphology = Morphology(
        aspect_ratio=float(options.get("aspect_ratio", 10.0)),  # type: ignore[arg-type]
        size_ratio=float(options.get("size_ratio", 1.0)),  # type: ignore[arg-type]
        distribution=str(options.get("distribution", "random")),
    )
    model = model or default_model()
    compositions = options.get("compositions") or []
    if isinstance(compositions, str):
        compositions = [compositions]
    from alloyscreen.interphase.calibration import (
        calibrate_by_metal,
        calibrated_verdict,
        shipped_observations,
    )

    observations = shipped_observations()
    by_metal = calibrate_by_metal(observations)
    assessments = []
    for c in compositions:  # type: ignore[union-attr]
        if reaction is None:
            a = assess_interphase(str(c), morphology, model=model)
        else:
            from alloyscreen.interphase.thermo import reduce_thermo

            a = assess_interphase(reduce_thermo(str(c), entries), morphology, model=model)
        metals = tuple(sorted({p.formula for p in a.products if p.metallic and p.moles > 0}))
        verdict = calibrated_verdict(
            a.label, a.v_fm, metals, a.classification, observations, by_metal=by_metal
        )
        assessments.append({**a.summary(), **verdict.record()})
    design = None
    host, source = options.get("host"), options.get("metal_source")
    if host and source:
        result = design_mixture(
            str(host),
            str(source),
            margin=float(options.get("margin", 0.2)),  # type: ignore[arg-type]
            morphologies=default_design_morphologies(morphology),
            max_fraction=float(options.get("max_fraction", 1.0)),  # type: ignore[arg-type]
            model=model,
            reaction=reaction,
        )
        result = calibrate_design(result, observations)
        plot = plot_design(result, Path(directory) / "interphase_design.png")
        design = design_document(result, plot)
    elif host or source:
        raise InputError("[steps.interphase] needs both host and metal_source for a design")
    window = None
    if design is not None and design.get("basis") == "observations":
        window = design.get("v_p_window")
    return {"assessments": assessments, "design": design, "v_p_window": window}
