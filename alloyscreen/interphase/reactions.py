"""Reduction of solid electrolytes by Li metal: balanced reactions, curated route.

A reduction reaction is written per formula unit (fu) of the electrolyte::

    electrolyte + n_Li Li -> sum_k m_k product_k

with ``n_Li`` the moles of Li consumed per fu. Two routes give the products:

curated (this module)
    The shipped table ``alloyscreen/interphase/data/reduction_reactions.json`` (one cited reaction
    per electrolyte, user-overridable with ``load_reaction_table(extra=...)``). A composition that
    has no row of its own (a doped formula such as ``Li5.8Cu0.2PS5Cl`` or an unlisted electrolyte)
    is reduced element by element with the table's ``element_products`` (S -> Li2S, P -> Li3P,
    Cl -> LiCl, Ge -> Li17Ge4, Cu -> Cu ...), which is how every listed sulfide and halide
    reaction decomposes; an element without such a row is an error that names the element.
thermodynamic (:mod:`alloyscreen.interphase.thermo`)
    Grand-potential phase equilibria open to Li at the Li-metal potential.

Blends are reduced component by component; the products of a blend are the mole-fraction
weighted sums, so every extensive quantity (products, Li consumed, volumes) interpolates exactly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pymatgen.core import Composition

from alloyscreen.errors import InputError
from alloyscreen.interphase._files import iter_json_files
from alloyscreen.interphase.composition import (
    ElectrolyteInput,
    formula_key,
    parse_composition,
    parse_formula,
)

logger = logging.getLogger(__name__)

DATA_PACKAGE = "alloyscreen.interphase.data"
REACTIONS_FILE = "reduction_reactions.json"
SCHEMA = "alloyscreen.reduction_reactions"

#: Element-balance tolerance (moles per formula unit).
BALANCE_TOL = 1e-6


def _number(value: Any, where: str) -> float:
    """A number or a fraction string (``"20/3"``) from a data file."""
    try:
        if isinstance(value, str):
            return float(Fraction(value.strip()))
        return float(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise InputError(f"{where}: {value!r} is not a number or a fraction like '20/3'") from None


@dataclass(frozen=True)
class ProductAmount:
    """Moles of one product per formula unit of the reduced input.

    Attributes
    ----------
    formula : str
        Reduced formula of the product.
    moles : float
        Moles per formula unit of the input (per mole of blend for blends).
    """

    formula: str
    moles: float


@dataclass(frozen=True)
class ReductionReaction:
    """A balanced reduction reaction of one compound by Li.

    Attributes
    ----------
    reactant : str
        The compound as written.
    reactant_amounts : dict
        Element -> amount per formula unit of the reactant.
    li_consumed_per_fu : float
        Moles of Li consumed per formula unit (negative would mean Li is released).
    products : tuple of ProductAmount
        Products per formula unit, sorted by formula.
    route : str
        ``"curated"`` (a table row), ``"element-rule"`` (element by element from the table),
        ``"thermo"`` (grand-potential phase diagram) or ``"mp"`` (Materials Project entries).
    source : str
        Table row id, or a description of the phase set for the thermodynamic routes.
    basis, citation, doi, notes : str
        Where the products come from.
    """

    reactant: str
    reactant_amounts: dict[str, float]
    li_consumed_per_fu: float
    products: tuple[ProductAmount, ...]
    route: str
    source: str
    basis: str = ""
    citation: str = ""
    doi: str | None = None
    notes: str = ""

    def element_residuals(self) -> dict[str, float]:
        """Products minus (reactant + Li) per element; all zero for a balanced reaction."""
        left = dict(self.reactant_amounts)
        left["Li"] = left.get("Li", 0.0) + self.li_consumed_per_fu
        right: dict[str, float] = {}
        for p in self.products:
            for el, n in Composition(p.formula).get_el_amt_dict().items():
                right[el] = right.get(el, 0.0) + p.moles * n
        return {el: right.get(el, 0.0) - left.get(el, 0.0) for el in sorted(set(left) | set(right))}

    @property
    def balanced(self) -> bool:
        """Every element balances within :data:`BALANCE_TOL`."""
        return all(abs(r) <= BALANCE_TOL for r in self.element_residuals().values())

    def equation(self) -> str:
        """Human-readable equation, e.g. ``Li6PS5Cl + 8 Li -> 5 Li2S + Li3P + LiCl``."""

        def term(n: float, f: str) -> str:
            if abs(n - 1) < 1e-9:
                return f
            return f"{n:.4g} {f}"

        rhs = " + ".join(term(p.moles, p.formula) for p in self.products) or "(nothing)"
        li = self.li_consumed_per_fu
        if abs(li) < 1e-12:
            return f"{self.reactant} -> {rhs}"
        if li > 0:
            return f"{self.reactant} + {term(li, 'Li')} -> {rhs}"
        return f"{self.reactant} -> {rhs} + {term(-li, 'Li')}"


def _sorted_products(amounts: Mapping[str, float]) -> tuple[ProductAmount, ...]:
    return tuple(
        ProductAmount(f, float(n)) for f, n in sorted(amounts.items()) if abs(float(n)) > 1e-12
    )


def make_reaction(
    reactant: str,
    products: Mapping[str, float],
    *,
    route: str,
    source: str,
    basis: str = "",
    citation: str = "",
    doi: str | None = None,
    notes: str = "",
    li: float | None = None,
) -> ReductionReaction:
    """A reaction with Li consumption from the Li balance (checked against ``li`` if given).

    Raises
    ------
    InputError
        The reaction does not balance (an element other than Li differs, or the Li balance
        disagrees with ``li``).
    """
    amounts = dict(parse_formula(reactant).get_el_amt_dict())
    merged: dict[str, float] = {}
    for f, n in products.items():
        rf = formula_key(f)
        factor = Composition(f).num_atoms / Composition(rf).num_atoms
        merged[rf] = merged.get(rf, 0.0) + float(n) * factor
    li_products = sum(
        n * Composition(f).get_el_amt_dict().get("Li", 0.0) for f, n in merged.items()
    )
    li_balance = li_products - amounts.get("Li", 0.0)
    if li is not None and abs(li - li_balance) > BALANCE_TOL:
        raise InputError(
            f"reaction {source!r}: {reactant} + {li:g} Li does not balance Li "
            f"(products hold {li_products:g} Li, so {li_balance:g} Li are consumed)"
        )
    reaction = ReductionReaction(
        reactant=reactant,
        reactant_amounts=amounts,
        li_consumed_per_fu=li_balance,
        products=_sorted_products(merged),
        route=route,
        source=source,
        basis=basis,
        citation=citation,
        doi=doi,
        notes=notes,
    )
    bad = {el: r for el, r in reaction.element_residuals().items() if abs(r) > BALANCE_TOL}
    if bad:
        details = ", ".join(f"{el} {r:+.4g}" for el, r in bad.items())
        raise InputError(
            f"reaction {source!r} ({reaction.equation()}) is not balanced: products minus "
            f"reactants = {details} mol per formula unit"
        )
    return reaction


@dataclass(frozen=True)
class ElementProduct:
    """Product an element ends up in when reduced by Li (element rule)."""

    element: str
    product: str
    citation: str


@dataclass(frozen=True)
class ReactionTable:
    """Curated reduction reactions and element rules.

    Attributes
    ----------
    reactions : dict
        Reduced formula of the electrolyte -> :class:`ReductionReaction` (route ``curated``).
    element_products : dict
        Element -> :class:`ElementProduct`.
    sources : tuple of str
        Files the table was read from (shipped file first).
    """

    reactions: dict[str, ReductionReaction]
    element_products: dict[str, ElementProduct]
    sources: tuple[str, ...] = field(default_factory=tuple)

    def find(self, formula: str) -> ReductionReaction | None:
        """The curated reaction of ``formula`` (matched by reduced formula), if any."""
        try:
            key = formula_key(formula)
        except (ValueError, KeyError):
            return None
        return self.reactions.get(key)


def _parse_table(data: Mapping[str, Any], where: str) -> tuple[dict, dict]:
    if data.get("schema") != SCHEMA:
        raise InputError(f'{where}: not a reduction-reaction file (expected "schema": "{SCHEMA}")')
    reactions: dict[str, ReductionReaction] = {}
    for i, row in enumerate(data.get("reactions", [])):
        rid = row.get("id") or row.get("reactant") or f"row {i + 1}"
        missing = [k for k in ("reactant", "products", "citation") if not row.get(k)]
        if missing:
            raise InputError(f"{where}: reaction {rid!r} lacks {', '.join(missing)}")
        products = {
            str(f): _number(n, f"{where}: reaction {rid!r} product {f}")
            for f, n in row["products"].items()
        }
        li = None if row.get("li") is None else _number(row["li"], f"{where}: reaction {rid!r} li")
        try:
            reaction = make_reaction(
                str(row["reactant"]),
                products,
                route="curated",
                source=str(rid),
                basis=str(row.get("basis", "")),
                citation=str(row["citation"]),
                doi=row.get("doi"),
                notes=str(row.get("notes", "")),
                li=li,
            )
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        reactions[formula_key(reaction.reactant)] = reaction
    elements: dict[str, ElementProduct] = {}
    for el, row in (data.get("element_products") or {}).items():
        product = row.get("product") if isinstance(row, Mapping) else None
        citation = row.get("citation") if isinstance(row, Mapping) else None
        if not product or not citation:
            raise InputError(f"{where}: element_products[{el!r}] needs 'product' and 'citation'")
        if el not in Composition(product).get_el_amt_dict():
            raise InputError(f"{where}: element_products[{el!r}] = {product!r} has no {el}")
        if set(Composition(product).get_el_amt_dict()) - {el, "Li"}:
            raise InputError(
                f"{where}: element_products[{el!r}] = {product!r} may contain only {el} and Li"
            )
        elements[el] = ElementProduct(el, formula_key(product), str(citation))
    return reactions, elements


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict, dict]:
    text = resources.files(DATA_PACKAGE).joinpath(REACTIONS_FILE).read_text(encoding="utf-8")
    return _parse_table(json.loads(text), REACTIONS_FILE)


def load_reaction_table(extra: Iterable[str | Path] | str | Path | None = None) -> ReactionTable:
    """The shipped reactions, extended/overridden by the files in ``extra`` (in order).

    A row in an extra file replaces the shipped row of the same electrolyte (reduced formula);
    an ``element_products`` entry replaces the shipped rule of that element.

    Raises
    ------
    InputError
        A file is missing, not JSON, of the wrong schema, or holds an unbalanced reaction.
    """
    reactions, elements = (dict(d) for d in _shipped())
    sources = [REACTIONS_FILE]
    for p, data in iter_json_files(extra, "reaction file"):
        r, e = _parse_table(data, str(p))
        reactions.update(r)
        elements.update(e)
        sources.append(str(p))
    return ReactionTable(reactions, elements, tuple(sources))


def element_rule_reaction(formula: str, table: ReactionTable) -> ReductionReaction:
    """Reduce ``formula`` element by element with the table's ``element_products``.

    Every non-Li element X goes into its product Li_a X_b; the reaction is balanced by
    construction and its Li consumption follows from the Li balance.

    Raises
    ------
    InputError
        An element has no element rule (the message lists them and suggests the fixes).
    """
    amounts = dict(parse_formula(formula).get_el_amt_dict())
    missing = sorted(el for el in amounts if el != "Li" and el not in table.element_products)
    if missing:
        raise InputError(
            f"no curated reduction reaction for {formula} and no element rule for "
            f"{', '.join(missing)}: add a reaction row or an element_products entry with "
            "--reactions FILE, or use --route thermo"
        )
    products: dict[str, float] = {}
    cites = []
    for el, n in amounts.items():
        if el == "Li":
            continue
        rule = table.element_products[el]
        per = Composition(rule.product).get_el_amt_dict()[el]
        products[rule.product] = products.get(rule.product, 0.0) + n / per
        cites.append(f"{el} -> {rule.product}: {rule.citation}")
    return make_reaction(
        formula,
        products,
        route="element-rule",
        source="element_products",
        basis="each element reduced to its product in the curated element rules",
        citation="; ".join(cites),
    )


def curated_reaction(formula: str, table: ReactionTable | None = None) -> ReductionReaction:
    """Curated reduction of one compound: its table row, else the element rules."""
    table = table or load_reaction_table()
    row = table.find(formula)
    if row is not None:
        amounts = dict(parse_formula(formula).get_el_amt_dict())
        if abs(Composition(amounts).num_atoms - Composition(row.reactant).num_atoms) > 1e-9:
            # same reduced formula, different formula unit (e.g. Li12P2S10Cl2): rescale
            scale = Composition(amounts).num_atoms / Composition(row.reactant).num_atoms
            return make_reaction(
                formula,
                {p.formula: p.moles * scale for p in row.products},
                route="curated",
                source=row.source,
                basis=row.basis,
                citation=row.citation,
                doi=row.doi,
                notes=row.notes,
            )
        return row
    return element_rule_reaction(formula, table)


@dataclass(frozen=True)
class ComponentReduction:
    """Reduction of one component of an input, with its mole fraction."""

    formula: str
    mole_fraction: float
    reaction: ReductionReaction


@dataclass(frozen=True)
class ReductionResult:
    """Reduction products of a (possibly blended) input per formula unit of the input.

    Attributes
    ----------
    input : str
        The composition text as given.
    label : str
        Canonical form (``0.8 Li6PS5Cl + 0.2 Li10GeP2S12`` for blends).
    kind : str
        ``formula``, ``doped`` or ``blend``.
    route : str
        ``curated``, ``thermo`` or ``mp`` (components may report ``element-rule``).
    components : tuple of ComponentReduction
    products : tuple of ProductAmount
        Mole-fraction weighted sum of the components' products (per mole of input).
    li_consumed_per_fu : float
        Moles of Li consumed per formula unit (per mole of blend).
    """

    input: str
    label: str
    kind: str
    route: str
    components: tuple[ComponentReduction, ...]
    products: tuple[ProductAmount, ...]
    li_consumed_per_fu: float

    @property
    def balanced(self) -> bool:
        """All component reactions balance."""
        return all(c.reaction.balanced for c in self.components)

    def equation(self) -> str:
        """One equation per component, joined by ``;``."""
        return "; ".join(
            (f"{c.mole_fraction:.4g} x [{c.reaction.equation()}]" if len(self.components) > 1
             else c.reaction.equation())
            for c in self.components
        )  # fmt: skip


def combine(
    inp: ElectrolyteInput, reactions: Sequence[ReductionReaction], route: str
) -> ReductionResult:
    """Mole-fraction weighted sum of the components' reactions."""
    totals: dict[str, float] = {}
    li = 0.0
    comps = []
    for comp, reaction in zip(inp.components, reactions, strict=True):
        comps.append(ComponentReduction(comp.formula, comp.mole_fraction, reaction))
        li += comp.mole_fraction * reaction.li_consumed_per_fu
        for p in reaction.products:
            totals[p.formula] = totals.get(p.formula, 0.0) + comp.mole_fraction * p.moles
    return ReductionResult(
        input=inp.text,
        label=inp.label,
        kind=inp.kind,
        route=route,
        components=tuple(comps),
        products=_sorted_products(totals),
        li_consumed_per_fu=li,
    )


def reduce_curated(
    composition: str | ElectrolyteInput, table: ReactionTable | None = None
) -> ReductionResult:
    """Curated reduction products of a formula, doped formula or blend.

    Examples
    --------
    >>> r = reduce_curated("Li6PS5Cl")
    >>> r.li_consumed_per_fu
    8.0
    """
    inp = parse_composition(composition) if isinstance(composition, str) else composition
    table = table or load_reaction_table()
    return combine(inp, [curated_reaction(c.formula, table) for c in inp.components], "curated")
