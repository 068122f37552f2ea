"""Interphase growth law for the cell simulator, from the classification and sigma_e.

The cell simulator (:mod:`alloyscreen.experiments.cells.simulator`) takes any object with
``li_consumed_mAh_cm2(t_h)`` and ``asr_ohm_cm2(t_h)``; its :class:`InterphaseGrowth` already
implements parabolic, linear and linear-parabolic laws. This module only chooses the law and its
rates from an :class:`~alloyscreen.interphase.classification.InterphaseAssessment`:

* ``SEI`` / ``MI-SEI`` (electronically insulating): **parabolic**, Wagner-type,
  ``X^2 = X0^2 + k_p t`` with ``k_p = 2000 sigma_e E / lambda`` - the electronic leakage
  current ``sigma_e E / L`` through an interphase of thickness ``L = lambda X`` consumes Li; the
  rate falls as ``1/X`` (self-limiting). Same ``k_p`` as ``InterphaseGrowth.from_sigma_e``.
* ``MCI`` (percolating metal): **linear**, ``X = X0 + k_l t`` with
  ``k_l = min(1000 sigma_e E / L_ref, k_max)``: electrons reach the electrolyte through the metal
  network across a reaction zone of fixed thickness ``L_ref``, so the rate does not fall with
  the interphase thickness and is proportional to sigma_e until it reaches the front-limited
  rate ``k_max`` (the simulator's illustrative reaction-front rate by default).
* ``borderline``: the **linear-parabolic** law of ``InterphaseGrowth.from_sigma_e`` (parabolic
  and front-limited resistances in series).

``lambda`` (interphase thickness per mAh/cm^2 of Li consumed) comes from the molar volumes of
the products; ``E`` is the electrolyte's reduction driving force (default 1.71 V for
thiophosphates, Zhu, He & Mo 2015, as in the simulator). ``L_ref`` (default 1 um) is a model
choice (illustrative, not a literature value).
"""

from __future__ import annotations

import math

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.simulator import (
    ILLUSTRATIVE_FRONT_RATE_MA_CM2,
    ILLUSTRATIVE_INITIAL_THICKNESS_NM,
    ILLUSTRATIVE_SIGMA_ION_S_CM,
    ILLUSTRATIVE_THICKNESS_UM_PER_MAH_CM2,
    THIOPHOSPHATE_REDUCTION_V,
    InterphaseGrowth,
)
from alloyscreen.interphase.classification import InterphaseAssessment

#: Reaction-zone thickness for the MCI linear law (um); illustrative model choice.
ILLUSTRATIVE_REACTION_ZONE_UM = 1.0


def growth_law(
    assessment: InterphaseAssessment,
    *,
    driving_potential_V: float = THIOPHOSPHATE_REDUCTION_V,
    reaction_zone_um: float = ILLUSTRATIVE_REACTION_ZONE_UM,
    max_linear_rate_mA_cm2: float | None = ILLUSTRATIVE_FRONT_RATE_MA_CM2,
    initial_thickness_nm: float = ILLUSTRATIVE_INITIAL_THICKNESS_NM,
    sigma_ion_S_cm: float = ILLUSTRATIVE_SIGMA_ION_S_CM,
) -> InterphaseGrowth:
    """Growth law (an :class:`InterphaseGrowth`) for the cell simulator.

    Parameters
    ----------
    assessment
        Classified interphase (needs ``sigma_e_S_cm``).
    driving_potential_V
        Reduction driving force of the electrolyte vs Li (V).
    reaction_zone_um
        ``L_ref`` of the MCI linear law (um).
    max_linear_rate_mA_cm2
        Cap ``k_max`` of the MCI linear rate (mA/cm^2); None for no cap.
    initial_thickness_nm, sigma_ion_S_cm
        Passed to :class:`InterphaseGrowth` (illustrative defaults of the simulator).

    Raises
    ------
    InputError
        No electronic conductivity is available (the percolation engine's GEM is missing).
    """
    sigma = assessment.sigma_e_S_cm
    if sigma is None or not (math.isfinite(sigma) and sigma > 0):
        raise InputError(
            "the interphase has no electronic conductivity (the percolation engine's GEM model "
            "is unavailable); give sigma_e explicitly with InterphaseGrowth.from_sigma_e"
        )
    if not driving_potential_V > 0:
        raise InputError(f"driving_potential_V must be > 0, got {driving_potential_V!r}")
    lam_um = assessment.thickness_um_per_mAh_cm2 or ILLUSTRATIVE_THICKNESS_UM_PER_MAH_CM2
    common = {
        "thickness_um_per_mAh_cm2": lam_um,
        "initial_thickness_nm": initial_thickness_nm,
        "sigma_ion_S_cm": sigma_ion_S_cm,
    }
    cls = assessment.classification
    if cls in ("SEI", "MI-SEI"):
        k_p = 2.0 * 1000.0 * sigma * driving_potential_V / (lam_um * 1e-4)
        return InterphaseGrowth(
            kind="parabolic",
            parabolic_rate_mAh2_cm4_per_h=k_p,
            sigma_e_S_cm=sigma,
            driving_potential_V=driving_potential_V,
            **common,
        )
    if cls == "MCI":
        if not reaction_zone_um > 0:
            raise InputError(f"reaction_zone_um must be > 0, got {reaction_zone_um!r}")
        k_l = 1000.0 * sigma * driving_potential_V / (reaction_zone_um * 1e-4)
        if max_linear_rate_mA_cm2 is not None:
            k_l = min(k_l, float(max_linear_rate_mA_cm2))
        return InterphaseGrowth(
            kind="linear",
            linear_rate_mA_cm2=k_l,
            sigma_e_S_cm=sigma,
            driving_potential_V=driving_potential_V,
            **common,
        )
    front = (
        ILLUSTRATIVE_FRONT_RATE_MA_CM2 if max_linear_rate_mA_cm2 is None else max_linear_rate_mA_cm2
    )
    return InterphaseGrowth.from_sigma_e(
        sigma, driving_potential_V=driving_potential_V, front_rate_mA_cm2=front, **common
    )


#: Li+ conductivity of metal-containing interphases (MI-SEI, MCI) in the calibrated growth law,
#: S/cm: illustrative model choice (NOT a literature value). Li alloys conduct Li atoms fast
#: (DESIGN.md section 1), so an interphase with Li-M alloy is given a 100x higher Li+ conductivity
#: than the simulator's ionic default (1e-5 S/cm); this makes the symmetric MII cells show the
#: paper's modest polarization (Su, Fu et al. 2025, Fig. 2) instead of a steep rise.
ILLUSTRATIVE_SIGMA_ION_MII_S_CM = 1e-3


def calibrated_growth_law(
    composition: str,
    *,
    observations=None,
    morphology=None,
    model=None,
    sigma_ion_S_cm: float | None = None,
    **kwargs,
):
    """Growth law of ``composition`` from its calibrated class; returns ``(law, verdict)``.

    The class comes from :func:`~alloyscreen.interphase.calibration.calibrated_verdict` (the
    observations of its metal; the morphology model where they say nothing). When the class comes
    from the observations, the GEM conductivity is evaluated with one V_p inside the observed
    window (:func:`~alloyscreen.interphase.calibration.representative_v_p`), so that sigma_e agrees
    with the class; ``untested`` compositions get the linear-parabolic law of a borderline one.

    Parameters
    ----------
    composition
        Formula or blend (curated route).
    observations
        Observation list (default: the shipped ones); an empty list gives the pure model.
    morphology, model
        Morphology and percolation model of the model classification (default: AR-10 needles,
        the engine).
    sigma_ion_S_cm
        Li+ conductivity of the interphase; default
        :data:`ILLUSTRATIVE_SIGMA_ION_MII_S_CM` with metal, the simulator's default without.
    kwargs
        Passed to :func:`growth_law`.
    """
    from dataclasses import replace

    from alloyscreen.interphase.calibration import (
        calibrated_verdict,
        metal_key,
        representative_v_p,
        shipped_observations,
    )
    from alloyscreen.interphase.classification import assess_volumes
    from alloyscreen.interphase.composition import parse_composition
    from alloyscreen.interphase.coupling import (
        CONDUCTIVITY_EXPONENT_3D,
        Morphology,
        Threshold,
        default_model,
    )
    from alloyscreen.interphase.products import load_product_table
    from alloyscreen.interphase.reactions import reduce_curated
    from alloyscreen.interphase.volumes import interphase_volumes

    observations = shipped_observations() if observations is None else list(observations)
    morphology = morphology or Morphology(aspect_ratio=10.0)
    model = model or default_model()
    volumes = interphase_volumes(
        reduce_curated(parse_composition(composition)), load_product_table()
    )
    assessment = assess_volumes(volumes, morphology, model=model)
    verdict = calibrated_verdict(
        assessment.label, assessment.v_fm, metal_key(volumes), assessment.classification,
        observations,
    )  # fmt: skip
    cls = verdict.classification
    if cls == "untested":
        cls = "borderline"
    if cls == "detrimental":  # observed detrimental without metal: not a percolation effect
        raise InputError(
            f"{composition} is observed detrimental without metal; no percolation growth law "
            "explains it: give an InterphaseGrowth explicitly"
        )
    sigma = assessment.sigma_e_S_cm
    if verdict.basis == "observations" and verdict.v_p_window is not None and volumes.v_fm > 0:
        v_rep = representative_v_p(verdict.v_p_window, assessment.v_p)
        sigma = model.conductivity(
            volumes.v_fm,
            Threshold(v_rep, 0.0, morphology, "observed window"),
            assessment.sigma_metal_S_cm,
            assessment.sigma_insulator_S_cm,
            CONDUCTIVITY_EXPONENT_3D,
        )
    if sigma_ion_S_cm is None:
        sigma_ion_S_cm = (
            ILLUSTRATIVE_SIGMA_ION_MII_S_CM if volumes.v_fm > 0 else ILLUSTRATIVE_SIGMA_ION_S_CM
        )
    calibrated = replace(assessment, classification=cls, sigma_e_S_cm=sigma)
    return growth_law(calibrated, sigma_ion_S_cm=sigma_ion_S_cm, **kwargs), verdict
