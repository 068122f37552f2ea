"""Interphase classification against the percolation threshold: SEI, MI-SEI, borderline, MCI.

With the metal volume fraction V_FM of the fully reduced interphase and the critical volume
fraction V_p of its metal morphology, the margin is ``V_p - V_FM`` and

* ``SEI`` - no metal (V_FM = 0): ionic products only, self-limiting;
* ``MI-SEI`` - metal below the threshold (margin > band): isolated metal clusters, the
  interphase stays electronically insulating and self-limiting;
* ``borderline`` - |margin| <= band: within the uncertainty of V_p (or closer than the minimum
  band), not safely on either side;
* ``MCI`` - metal above the threshold (margin < -band): a connected metal network, mixed
  conducting, Li is consumed continuously.

``band = max(2 * V_p_err, min_band)``; ``min_band`` (default 0.01) is a model choice, not a
literature value. The interphase electronic conductivity comes from the GEM model of the
percolation engine (:mod:`alloyscreen.interphase.coupling`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from alloyscreen.errors import InputError
from alloyscreen.interphase.composition import ElectrolyteInput, parse_composition
from alloyscreen.interphase.coupling import (
    CONDUCTIVITY_EXPONENT_3D,
    ILLUSTRATIVE_SIGMA_INSULATOR_S_CM,
    ILLUSTRATIVE_SIGMA_METAL_S_CM,
    Morphology,
    PercolationModel,
    Threshold,
    default_model,
)
from alloyscreen.interphase.products import ProductTable, load_product_table
from alloyscreen.interphase.reactions import ReactionTable, ReductionResult, reduce_curated
from alloyscreen.interphase.volumes import InterphaseVolumes, ProductVolume, interphase_volumes

CLASSES = ("SEI", "MI-SEI", "borderline", "MCI")
#: Minimum half-width of the borderline band (model choice).
DEFAULT_MIN_BAND = 0.01
#: V_FM below this counts as "no metal" (numerical zero).
ZERO_METAL = 1e-12


def borderline_band(threshold: Threshold, min_band: float = DEFAULT_MIN_BAND) -> float:
    """Half-width of the borderline band around V_p: ``max(2 V_p_err, min_band)``."""
    return max(2.0 * float(threshold.v_p_err), float(min_band))


def classify(v_fm: float, threshold: Threshold, *, min_band: float = DEFAULT_MIN_BAND) -> str:
    """``SEI``, ``MI-SEI``, ``borderline`` or ``MCI`` (see the module docstring)."""
    if not (0.0 <= v_fm <= 1.0 + 1e-12):
        raise InputError(f"V_FM must be in [0, 1], got {v_fm!r}")
    if v_fm <= ZERO_METAL:
        return "SEI"
    if not threshold.percolates:
        return "MI-SEI"
    margin = threshold.v_p - v_fm
    band = borderline_band(threshold, min_band)
    if margin > band:
        return "MI-SEI"
    if margin < -band:
        return "MCI"
    return "borderline"


@dataclass(frozen=True)
class InterphaseAssessment:
    """Interphase of a composition against Li, and its percolation classification.

    Attributes
    ----------
    composition : str
        The input as given (``label``: canonical form).
    route : str
        ``curated``, ``thermo`` or ``mp``.
    equation : str
        Balanced reaction(s).
    products : tuple of ProductVolume
        Formula, moles per fu, volume fraction, metallic, and the sources.
    li_consumed_per_fu : float
        Moles of Li consumed per formula unit (per mole of blend).
    v_fm : float
        Metal volume fraction.
    v_p, v_p_err : float
        Percolation threshold of the morphology and its 1-sigma error (``inf`` never percolates).
    margin : float
        ``v_p - v_fm``.
    band : float
        Half-width of the borderline band.
    classification : str
        ``SEI``, ``MI-SEI``, ``borderline`` or ``MCI``.
    sigma_e_S_cm : float or None
        Interphase electronic conductivity from the GEM model (None if the engine has no GEM).
    thickness_um_per_mAh_cm2 : float or None
        Interphase thickness per Li consumed.
    morphology : Morphology
    threshold_source : str
    """

    composition: str
    label: str
    route: str
    equation: str
    products: tuple[ProductVolume, ...]
    li_consumed_per_fu: float
    v_fm: float
    v_p: float
    v_p_err: float
    margin: float
    band: float
    classification: str
    sigma_e_S_cm: float | None
    thickness_um_per_mAh_cm2: float | None
    morphology: Morphology
    threshold_source: str
    sigma_metal_S_cm: float
    sigma_insulator_S_cm: float

    def summary(self) -> dict[str, object]:
        """JSON-ready record with the keys of ``alloyscreen interphase --json``."""

        def finite(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {
            "composition": self.composition,
            "label": self.label,
            "route": self.route,
            "reaction": self.equation,
            "products": [
                {
                    "formula": p.formula,
                    "moles": p.moles,
                    "volume_fraction": p.volume_fraction,
                    "metallic": p.metallic,
                    "molar_volume_cm3_mol": p.molar_volume_cm3_mol,
                    "volume_source": p.volume_source,
                    "citation": p.citation,
                }
                for p in self.products
            ],
            "li_consumed_per_fu": self.li_consumed_per_fu,
            "v_fm": self.v_fm,
            "v_p": finite(self.v_p),
            "v_p_err": self.v_p_err,
            "margin": finite(self.margin),
            "band": self.band,
            "classification": self.classification,
            "sigma_e_S_cm": self.sigma_e_S_cm,
            "thickness_um_per_mAh_cm2": self.thickness_um_per_mAh_cm2,
            "morphology": {
                "aspect_ratio": self.morphology.aspect_ratio,
                "size_ratio": self.morphology.size_ratio,
                "distribution": self.morphology.distribution,
                "shell_thickness": self.morphology.shell_thickness,
                "tunnelling_distance": self.morphology.tunnelling_distance,
            },
            "threshold_source": self.threshold_source,
            "sigma_metal_S_cm": self.sigma_metal_S_cm,
            "sigma_insulator_S_cm": self.sigma_insulator_S_cm,
        }


def assess_volumes(
    volumes: InterphaseVolumes,
    morphology: Morphology | None = None,
    *,
    model: PercolationModel | None = None,
    min_band: float = DEFAULT_MIN_BAND,
    sigma_metal_S_cm: float = ILLUSTRATIVE_SIGMA_METAL_S_CM,
    sigma_insulator_S_cm: float = ILLUSTRATIVE_SIGMA_INSULATOR_S_CM,
    exponent: float = CONDUCTIVITY_EXPONENT_3D,
) -> InterphaseAssessment:
    """Classify an interphase whose volumes are known."""
    morphology = morphology or Morphology()
    model = model or default_model()
    if not (sigma_metal_S_cm > sigma_insulator_S_cm > 0):
        raise InputError("need sigma_metal > sigma_insulator > 0 for the GEM conductivity")
    threshold = model.threshold(morphology)
    v_fm = volumes.v_fm
    cls = classify(v_fm, threshold, min_band=min_band)
    if v_fm <= ZERO_METAL:
        sigma = sigma_insulator_S_cm
    else:
        sigma = model.conductivity(
            v_fm, threshold, sigma_metal_S_cm, sigma_insulator_S_cm, exponent
        )
    red: ReductionResult = volumes.reduction
    return InterphaseAssessment(
        composition=red.input,
        label=red.label,
        route=red.route,
        equation=red.equation(),
        products=volumes.products,
        li_consumed_per_fu=volumes.li_consumed_per_fu,
        v_fm=v_fm,
        v_p=threshold.v_p,
        v_p_err=threshold.v_p_err,
        margin=threshold.v_p - v_fm,
        band=borderline_band(threshold, min_band),
        classification=cls,
        sigma_e_S_cm=sigma,
        thickness_um_per_mAh_cm2=volumes.thickness_um_per_mAh_cm2,
        morphology=morphology,
        threshold_source=threshold.source,
        sigma_metal_S_cm=sigma_metal_S_cm,
        sigma_insulator_S_cm=sigma_insulator_S_cm,
    )


def assess_interphase(
    composition: str | ElectrolyteInput | ReductionResult,
    morphology: Morphology | None = None,
    *,
    reactions: ReactionTable | None = None,
    products: ProductTable | None = None,
    model: PercolationModel | None = None,
    min_band: float = DEFAULT_MIN_BAND,
    sigma_metal_S_cm: float = ILLUSTRATIVE_SIGMA_METAL_S_CM,
    sigma_insulator_S_cm: float = ILLUSTRATIVE_SIGMA_INSULATOR_S_CM,
    exponent: float = CONDUCTIVITY_EXPONENT_3D,
) -> InterphaseAssessment:
    """Products, V_FM, V_p, margin and class of a composition (curated route by default).

    Parameters
    ----------
    composition
        Formula / blend / doped formula text, a parsed input, or an already reduced result
        (e.g. from the thermodynamic route).
    morphology
        Metal morphology (default: random spheres).
    reactions, products
        Curated reaction and product tables (default: shipped ones).
    model
        Percolation model (default: the engine).
    """
    if isinstance(composition, ReductionResult):
        reduction = composition
    else:
        inp = parse_composition(composition) if isinstance(composition, str) else composition
        reduction = reduce_curated(inp, reactions)
    volumes = interphase_volumes(reduction, products or load_product_table())
    return assess_volumes(
        volumes,
        morphology,
        model=model,
        min_band=min_band,
        sigma_metal_S_cm=sigma_metal_S_cm,
        sigma_insulator_S_cm=sigma_insulator_S_cm,
        exponent=exponent,
    )


def tables(
    reactions_files: list[str | Path] | None = None, products_files: list[str | Path] | None = None
) -> tuple[ReactionTable, ProductTable]:
    """Shipped tables extended by user files (helper for the CLI)."""
    from alloyscreen.interphase.reactions import load_reaction_table

    return load_reaction_table(reactions_files), load_product_table(products_files)
