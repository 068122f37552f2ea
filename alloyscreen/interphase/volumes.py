"""Product volume fractions and the metal volume fraction V_FM of an interphase.

For reduction products k with moles ``m_k`` per formula unit of the input and molar volumes
``V_k`` (cm^3/mol), the volume fraction of product k is ``phi_k = m_k V_k / sum_j m_j V_j`` and

    V_FM = sum_{k metallic} m_k V_k / sum_j m_j V_j .

Blends: the moles of a blend are the mole-fraction weighted sums of its components' products,
so V_FM of a blend is a ratio of two linear functions of the blend fraction (not linear itself).
Only products are counted: unreacted electrolyte and Li metal are not part of the interphase.
"""

from __future__ import annotations

from dataclasses import dataclass

from alloyscreen.interphase.products import ProductTable, load_product_table
from alloyscreen.interphase.reactions import ProductAmount, ReductionResult

#: Faraday constant (C/mol), exact in the 2019 SI.
FARADAY_C_MOL = 96485.33212
#: Moles of Li (electrons) in 1 mAh: 3.6 C / F.
MOL_PER_MAH = 3.6 / FARADAY_C_MOL


@dataclass(frozen=True)
class ProductVolume:
    """One product of an interphase with its volume share.

    Attributes
    ----------
    formula : str
    moles : float
        Moles per formula unit of the input.
    molar_volume_cm3_mol : float
    volume_cm3 : float
        ``moles * molar_volume`` per mole of input (cm^3/mol of input).
    volume_fraction : float
        Share of the interphase volume (0-1).
    metallic : bool
    volume_source : str
        ``density``, ``lattice`` or ``relaxed``.
    citation : str
        Source of the molar volume.
    metallic_citation : str
        Source of the electronic class.
    """

    formula: str
    moles: float
    molar_volume_cm3_mol: float
    volume_cm3: float
    volume_fraction: float
    metallic: bool
    volume_source: str
    citation: str
    metallic_citation: str


@dataclass(frozen=True)
class InterphaseVolumes:
    """Volumes of a reduced input.

    Attributes
    ----------
    reduction : ReductionResult
        Products and Li consumption.
    products : tuple of ProductVolume
    total_volume_cm3_per_fu : float
        Interphase volume formed per mole of input (cm^3/mol).
    metal_volume_cm3_per_fu : float
        Metallic part of it (cm^3/mol).
    v_fm : float
        Metal volume fraction (0-1).
    li_consumed_per_fu : float
        Moles of Li consumed per mole of input.
    thickness_um_per_mAh_cm2 : float or None
        Interphase thickness formed per mAh/cm^2 of Li consumed (um), for the cell simulator's
        :class:`~alloyscreen.experiments.cells.simulator.InterphaseGrowth`; None when no Li is
        consumed.
    """

    reduction: ReductionResult
    products: tuple[ProductVolume, ...]
    total_volume_cm3_per_fu: float
    metal_volume_cm3_per_fu: float
    v_fm: float
    li_consumed_per_fu: float
    thickness_um_per_mAh_cm2: float | None


def metal_volume_fraction(products: tuple[ProductAmount, ...], table: ProductTable) -> float:
    """V_FM of a set of products (moles per formula unit)."""
    total = metal = 0.0
    for p in products:
        rec = table.get(p.formula)
        v = p.moles * rec.molar_volume_cm3_mol
        total += v
        if rec.metallic:
            metal += v
    return metal / total if total > 0 else 0.0


def interphase_volumes(
    reduction: ReductionResult, table: ProductTable | None = None
) -> InterphaseVolumes:
    """Volume fractions, V_FM and thickness per Li consumed of a reduced input.

    Raises
    ------
    InputError
        A product has no row in the product table (the message names it).
    """
    table = table or load_product_table()
    rows = []
    for p in reduction.products:
        rec = table.get(p.formula)
        rows.append((p, rec, p.moles * rec.molar_volume_cm3_mol))
    total = sum(v for _, _, v in rows)
    metal = sum(v for _, rec, v in rows if rec.metallic)
    products = tuple(
        ProductVolume(
            formula=p.formula,
            moles=p.moles,
            molar_volume_cm3_mol=rec.molar_volume_cm3_mol,
            volume_cm3=v,
            volume_fraction=v / total if total > 0 else 0.0,
            metallic=rec.metallic,
            volume_source=rec.volume_source,
            citation=rec.citation,
            metallic_citation=rec.metallic_citation,
        )
        for p, rec, v in rows
    )
    li = reduction.li_consumed_per_fu
    thickness = None
    if li > 1e-12 and total > 0:
        # cm^3 of interphase per mol Li, times mol Li per mAh, over 1 cm^2 -> cm; 1 cm = 1e4 um
        thickness = total / li * MOL_PER_MAH * 1e4
    return InterphaseVolumes(
        reduction=reduction,
        products=products,
        total_volume_cm3_per_fu=total,
        metal_volume_cm3_per_fu=metal,
        v_fm=metal / total if total > 0 else 0.0,
        li_consumed_per_fu=li,
        thickness_um_per_mAh_cm2=thickness,
    )
