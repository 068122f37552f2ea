"""Properties of reduction products: molar volume and electronic class (metallic or not).

The shipped table ``alloyscreen/interphase/data/products.json`` gives, per product, either a cited
density (molar volume = molar mass / density) or cited cell parameters with the number of formula
units per cell (molar volume = N_A V_cell / Z), and a cited ``metallic`` flag. Users extend or
override rows with :func:`load_product_table` (``extra`` files, same schema) or replace molar
volumes by relaxed ones (:func:`relaxed_molar_volumes`, volume source ``relaxed``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pymatgen.core import Composition, Lattice

from alloyscreen.errors import InputError
from alloyscreen.interphase._files import iter_json_files
from alloyscreen.interphase.composition import formula_key

DATA_PACKAGE = "alloyscreen.interphase.data"
PRODUCTS_FILE = "products.json"
SCHEMA = "alloyscreen.interphase_products"

#: Avogadro constant (1/mol), exact in the 2019 SI.
AVOGADRO = 6.02214076e23
#: 1 Å^3 in cm^3.
A3_TO_CM3 = 1e-24

VOLUME_SOURCES = ("density", "lattice", "relaxed")


@dataclass(frozen=True)
class ProductRecord:
    """One reduction product.

    Attributes
    ----------
    formula : str
        Reduced formula.
    molar_volume_cm3_mol : float
        Volume of one mole of formula units (cm^3/mol).
    volume_source : str
        ``density`` (cited density), ``lattice`` (cited cell parameters) or ``relaxed``
        (a relaxed structure from a calculator).
    metallic : bool
        Electronic class used for the metal volume fraction.
    citation, doi, read_from : str
        Source of the volume inputs (``read_from``: the document the numbers were read from).
    metallic_citation : str
        Source of the electronic class.
    notes : str
    """

    formula: str
    molar_volume_cm3_mol: float
    volume_source: str
    metallic: bool
    citation: str
    metallic_citation: str
    doi: str | None = None
    read_from: str = ""
    notes: str = ""


def molar_volume_from_density(formula: str, density_g_cm3: float) -> float:
    """Molar volume (cm^3/mol) from the molar mass of ``formula`` and a density (g/cm^3)."""
    if not density_g_cm3 > 0:
        raise InputError(f"density of {formula} must be > 0, got {density_g_cm3!r}")
    return float(Composition(formula).weight) / float(density_g_cm3)


def molar_volume_from_cell(cell: Mapping[str, float], z: float) -> float:
    """Molar volume (cm^3/mol) from cell parameters (Å, degrees) and formula units per cell."""
    if not z > 0:
        raise InputError(f"Z must be > 0, got {z!r}")
    lat = Lattice.from_parameters(
        float(cell["a"]),
        float(cell["b"]),
        float(cell["c"]),
        float(cell["alpha"]),
        float(cell["beta"]),
        float(cell["gamma"]),
    )
    return lat.volume * A3_TO_CM3 * AVOGADRO / float(z)


def _record(row: Mapping[str, Any], where: str) -> ProductRecord:
    formula = row.get("formula")
    if not formula:
        raise InputError(f"{where}: a product row lacks 'formula'")
    try:
        reduced = formula_key(str(formula))
    except (ValueError, KeyError) as exc:
        raise InputError(f"{where}: bad formula {formula!r} ({exc})") from None
    here = f"{where}: product {formula}"
    for key in ("citation", "metallic_citation"):
        if not row.get(key):
            raise InputError(f"{here} lacks '{key}' (every number needs its source)")
    if not isinstance(row.get("metallic"), bool):
        raise InputError(f"{here}: 'metallic' must be true or false")
    if row.get("density_g_cm3") is not None:
        vm = molar_volume_from_density(str(formula), float(row["density_g_cm3"]))
        vm *= Composition(reduced).weight / Composition(str(formula)).weight
        source = "density"
    elif row.get("cell") is not None:
        cell = row["cell"]
        missing = [k for k in ("a", "b", "c", "alpha", "beta", "gamma") if k not in cell]
        if missing or row.get("Z") is None:
            raise InputError(f"{here}: 'cell' needs a, b, c, alpha, beta, gamma and 'Z'")
        vm = molar_volume_from_cell(cell, float(row["Z"]))
        vm *= Composition(reduced).num_atoms / Composition(str(formula)).num_atoms
        source = "lattice"
    elif row.get("molar_volume_cm3_mol") is not None:
        vm = float(row["molar_volume_cm3_mol"])
        source = str(row.get("volume_source") or "density")
        if source not in VOLUME_SOURCES:
            raise InputError(f"{here}: volume_source must be one of {VOLUME_SOURCES}")
    else:
        raise InputError(f"{here} needs 'density_g_cm3', 'cell' + 'Z', or 'molar_volume_cm3_mol'")
    if not vm > 0:
        raise InputError(f"{here}: molar volume must be > 0")
    return ProductRecord(
        formula=reduced,
        molar_volume_cm3_mol=vm,
        volume_source=source,
        metallic=bool(row["metallic"]),
        citation=str(row["citation"]),
        metallic_citation=str(row["metallic_citation"]),
        doi=row.get("doi"),
        read_from=str(row.get("read_from") or ""),
        notes=str(row.get("notes") or ""),
    )


def _parse(data: Mapping[str, Any], where: str) -> dict[str, ProductRecord]:
    if data.get("schema") != SCHEMA:
        raise InputError(f'{where}: not a products file (expected "schema": "{SCHEMA}")')
    out: dict[str, ProductRecord] = {}
    for row in data.get("products", []):
        rec = _record(row, where)
        out[rec.formula] = rec
    return out


@lru_cache(maxsize=1)
def _shipped() -> dict[str, ProductRecord]:
    text = resources.files(DATA_PACKAGE).joinpath(PRODUCTS_FILE).read_text(encoding="utf-8")
    return _parse(json.loads(text), PRODUCTS_FILE)


@dataclass(frozen=True)
class ProductTable:
    """Product records by reduced formula, with the files they came from."""

    records: dict[str, ProductRecord]
    sources: tuple[str, ...] = ()

    def get(self, formula: str) -> ProductRecord:
        """The record of ``formula`` (by reduced formula).

        Raises
        ------
        InputError
            No record: the message says how to add one.
        """
        key = formula_key(formula)
        try:
            return self.records[key]
        except KeyError:
            raise InputError(
                f"no molar volume / electronic class for reduction product {key}: add a row "
                "(cited density or cell parameters, and 'metallic') with --products FILE, or "
                "use relaxed volumes"
            ) from None

    def with_records(self, records: Iterable[ProductRecord], source: str) -> ProductTable:
        """Copy with ``records`` added or replacing existing ones."""
        merged = dict(self.records)
        for rec in records:
            merged[rec.formula] = rec
        return ProductTable(merged, (*self.sources, source))

    def with_metallic(self, overrides: Mapping[str, bool], citation: str) -> ProductTable:
        """Copy with the electronic class of some products overridden (``{formula: bool}``)."""
        merged = dict(self.records)
        for formula, metallic in overrides.items():
            rec = self.get(formula)
            merged[rec.formula] = replace(rec, metallic=bool(metallic), metallic_citation=citation)
        return ProductTable(merged, (*self.sources, f"metallic override: {citation}"))


def load_product_table(extra: Iterable[str | Path] | str | Path | None = None) -> ProductTable:
    """The shipped product table, extended/overridden by the files in ``extra`` (in order).

    Shipped discovered (predicted) Li–M phases without a row get one from
    :func:`discovered_product_records` (relaxed volume, electronic
    class of a cited row in the same system), so the thermo route can use them.
    """
    records = dict(_shipped())
    sources = [PRODUCTS_FILE]

    discovered = discovered_product_records(records)  # predicted phases; only new formulas
    if discovered:
        records.update({rec.formula: rec for rec in discovered})
        sources.append("discovered_phases.json (predicted Li-M phases)")
    for p, data in iter_json_files(extra, "products file"):
        records.update(_parse(data, str(p)))
        sources.append(str(p))
    return ProductTable(records, tuple(sources))


def relaxed_molar_volumes(relaxed: Mapping[str, Any]) -> dict[str, float]:
    """Molar volumes (cm^3/mol) of reduced formulas from relaxed structures.

    Parameters
    ----------
    relaxed : mapping
        Anything -> ``ase.Atoms`` (or pymatgen ``Structure``) of relaxed bulk phases.

    Returns
    -------
    dict
        Reduced formula -> molar volume per reduced formula unit; the lowest-volume-per-atom
        structure wins when a formula appears twice (a rare choice; say so if it matters).
    """
    out: dict[str, tuple[float, float]] = {}
    for obj in relaxed.values():
        if hasattr(obj, "get_volume"):
            volume, symbols = obj.get_volume(), obj.get_chemical_formula()
            n_atoms = len(obj)
        else:
            volume, symbols = obj.volume, obj.composition.formula.replace(" ", "")
            n_atoms = len(obj)
        comp = Composition(symbols)
        rf = formula_key(comp)
        per_atom = volume / n_atoms
        vm = per_atom * Composition(rf).num_atoms * A3_TO_CM3 * AVOGADRO
        if rf not in out or per_atom < out[rf][0]:
            out[rf] = (per_atom, vm)
    return {f: v for f, (_, v) in out.items()}


def with_relaxed_volumes(
    table: ProductTable, volumes: Mapping[str, float], *, calculator: str
) -> ProductTable:
    """Copy of ``table`` whose listed products take relaxed molar volumes (source ``relaxed``).

    Products without a row keep failing (their electronic class is not known from a volume).
    """
    recs = []
    for formula, vm in volumes.items():
        if formula in table.records:
            rec = table.records[formula]
            recs.append(
                replace(
                    rec,
                    molar_volume_cm3_mol=float(vm),
                    volume_source="relaxed",
                    citation=f"relaxed with {calculator} (cited volume: {rec.citation})",
                    doi=None,
                    read_from=f"relaxed structure ({calculator})",
                )
            )
    return table.with_records(recs, f"relaxed volumes ({calculator})")


def discovered_product_records(existing: Mapping[str, Any]) -> list[Any]:
    """Product rows for the shipped discovered Li–M phases that ``existing`` lacks.

    The molar volume is that of the discovered structure as relaxed by the discovery run
    (volume source ``relaxed``). The electronic class is taken from a cited row of ``existing``
    in the same binary Li–M system (e.g. Li17Ge4's for a predicted Li–Ge phase: lithiated Ge
    conducts electrons) and says so; a system without such a row gets no record, so the product
    table keeps asking for one.

    Parameters
    ----------
    existing
        Reduced formula -> :class:`ProductRecord`.
    """
    from alloyscreen.structures.discovery import shipped_discovered

    out: dict[str, ProductRecord] = {}
    for cand in shipped_discovered():
        formula = formula_key(cand.structure.composition)
        if formula in existing or formula in out:
            continue
        others = set(cand.elements) - {"Li"}
        same_system = [
            rec
            for f, rec in sorted(existing.items())
            if set(Composition(f).get_el_amt_dict()) == {"Li", *others}
        ]
        if not same_system:
            continue
        ref = same_system[0]
        structure = cand.structure
        per_atom = structure.volume / len(structure)
        vm = per_atom * Composition(formula).num_atoms * A3_TO_CM3 * AVOGADRO
        prov = cand.provenance
        out[formula] = ProductRecord(
            formula=formula,
            molar_volume_cm3_mol=vm,
            volume_source="relaxed",
            metallic=ref.metallic,
            citation=f"{prov.get('label', 'predicted')}: structure {cand.id} relaxed with "
            f"{prov.get('relaxed_with', '?')} (alloyscreen prototype discovery)",
            metallic_citation=f"taken from the curated row of {ref.formula} in the same Li-M "
            f"system: {ref.metallic_citation}",
            read_from="alloyscreen/structures/data/discovered_phases.json",
            notes="predicted phase (no known structure shipped)",
        )
    return list(out.values())
