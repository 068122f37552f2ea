"""Electrolyte composition input: a formula, a molar blend, or a doped formula.

Accepted forms (whitespace around separators is ignored):

``Li6PS5Cl``
    One compound (integer or decimal amounts, parentheses allowed).
``Li5.8Cu0.2PS5Cl``
    A doped compound: a formula with non-integer amounts.
``Li6PS5Cl:Li10GeP2S12=4:1``
    A molar blend: formulas separated by ``:``, then ``=`` and one positive molar ratio per
    formula. The ratios are normalised to mole fractions, so one "formula unit" of a blend is
    ``sum_i x_i * formula_i`` with ``sum_i x_i = 1``.

Parsing is strict (element symbols are checked, no silent lower-casing) and every problem raises
:class:`alloyscreen.errors.InputError` naming the offending text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pymatgen.core import Composition, Element

from alloyscreen.errors import InputError

#: One token of a formula: element symbol and optional amount, or a parenthesis group.
_TOKEN = re.compile(r"([A-Z][a-z]?)((?:\d+(?:\.\d*)?|\.\d+)?)|(\()|(\))((?:\d+(?:\.\d*)?|\.\d+)?)")

_EXAMPLES = "e.g. 'Li6PS5Cl', 'Li5.8Cu0.2PS5Cl' or 'Li6PS5Cl:Li10GeP2S12=4:1'"


def _amount(text: str) -> float:
    return float(text) if text else 1.0


def parse_formula(text: str) -> Composition:
    """Parse one chemical formula strictly.

    Parameters
    ----------
    text : str
        A formula such as ``Li6PS5Cl``, ``Li5.8Cu0.2PS5Cl`` or ``Li3(PS4)``.

    Returns
    -------
    pymatgen.core.Composition
        Amounts per formula unit as written (not reduced).

    Raises
    ------
    InputError
        Empty text, characters that are not part of a formula, unknown element symbols,
        unbalanced parentheses or zero amounts.
    """
    s = text.strip()
    if not s:
        raise InputError(f"empty formula in composition {text!r}; {_EXAMPLES}")
    stack: list[dict[str, float]] = [{}]
    pos = 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            raise InputError(
                f"cannot parse formula {s!r} at {s[pos:]!r}: expected an element symbol "
                f"(capitalised, e.g. 'Li', 'Cl'); {_EXAMPLES}"
            )
        symbol, amount, open_paren, _close, group_amount = m.groups()
        if symbol is not None:
            if not Element.is_valid_symbol(symbol):
                raise InputError(f"unknown element {symbol!r} in formula {s!r}; {_EXAMPLES}")
            value = _amount(amount)
            if value <= 0:
                raise InputError(f"amount of {symbol} in {s!r} must be > 0")
            stack[-1][symbol] = stack[-1].get(symbol, 0.0) + value
        elif open_paren is not None:
            stack.append({})
        else:
            if len(stack) == 1:
                raise InputError(f"unbalanced ')' in formula {s!r}")
            factor = _amount(group_amount)
            group = stack.pop()
            for el, n in group.items():
                stack[-1][el] = stack[-1].get(el, 0.0) + factor * n
        pos = m.end()
    if len(stack) != 1:
        raise InputError(f"unbalanced '(' in formula {s!r}")
    if not stack[0]:
        raise InputError(f"no elements in formula {s!r}; {_EXAMPLES}")
    return Composition(stack[0])


@dataclass(frozen=True)
class Component:
    """One compound of an electrolyte input.

    Attributes
    ----------
    formula : str
        The formula as written by the user (whitespace stripped).
    amounts : dict
        Element -> amount per formula unit as written.
    mole_fraction : float
        Share of this compound in one formula unit of the input (1 for a single compound).
    """

    formula: str
    amounts: dict[str, float]
    mole_fraction: float

    @property
    def composition(self) -> Composition:
        """The compound as a pymatgen :class:`Composition`."""
        return Composition(self.amounts)

    @property
    def is_doped(self) -> bool:
        """True when some amount is not an integer (a doped or off-stoichiometric formula)."""
        return any(abs(n - round(n)) > 1e-9 for n in self.amounts.values())


@dataclass(frozen=True)
class ElectrolyteInput:
    """A parsed composition input.

    Attributes
    ----------
    text : str
        The input as given.
    kind : str
        ``"formula"``, ``"doped"`` or ``"blend"``.
    components : tuple of Component
        One component for a formula or doped formula, several for a blend.
    """

    text: str
    kind: str
    components: tuple[Component, ...]

    @property
    def composition(self) -> Composition:
        """Elements per formula unit of the input (mole-fraction weighted sum of components)."""
        total: dict[str, float] = {}
        for comp in self.components:
            for el, n in comp.amounts.items():
                total[el] = total.get(el, 0.0) + comp.mole_fraction * n
        return Composition(total)

    @property
    def label(self) -> str:
        """Canonical text: ``Li6PS5Cl`` or ``0.8 Li6PS5Cl + 0.2 Li10GeP2S12``."""
        if len(self.components) == 1:
            return self.components[0].formula
        return " + ".join(f"{c.mole_fraction:.4g} {c.formula}" for c in self.components)


def parse_composition(text: str) -> ElectrolyteInput:
    """Parse a formula, a doped formula or a molar blend (see the module docstring).

    Raises
    ------
    InputError
        Malformed input; the message names the offending part and shows valid examples.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"empty composition; {_EXAMPLES}")
    s = text.strip()
    if s.count("=") > 1:
        raise InputError(f"composition {s!r} has more than one '='; {_EXAMPLES}")
    if "=" in s:
        left, right = (part.strip() for part in s.split("="))
        formulas = [f.strip() for f in left.split(":")]
        ratio_texts = [r.strip() for r in right.split(":")]
        if len(formulas) < 2:
            raise InputError(
                f"blend {s!r} needs at least two formulas separated by ':' before '='; {_EXAMPLES}"
            )
        if len(ratio_texts) != len(formulas):
            raise InputError(
                f"blend {s!r} has {len(formulas)} formulas but {len(ratio_texts)} ratios; "
                "give one molar ratio per formula, e.g. 'A:B=4:1'"
            )
        ratios = []
        for r in ratio_texts:
            try:
                value = float(r)
            except ValueError:
                raise InputError(f"blend ratio {r!r} in {s!r} is not a number") from None
            if not (value > 0 and value < float("inf")):
                raise InputError(f"blend ratio {r!r} in {s!r} must be a positive number")
            ratios.append(value)
        total = sum(ratios)
        comps = tuple(
            Component(f, dict(parse_formula(f).get_el_amt_dict()), r / total)
            for f, r in zip(formulas, ratios, strict=True)
        )
        return ElectrolyteInput(s, "blend", comps)
    if ":" in s:
        raise InputError(
            f"composition {s!r} looks like a blend but has no '=' with molar ratios; "
            "write e.g. 'Li6PS5Cl:Li10GeP2S12=4:1'"
        )
    comp = Component(s, dict(parse_formula(s).get_el_amt_dict()), 1.0)
    return ElectrolyteInput(s, "doped" if comp.is_doped else "formula", (comp,))


def blend(components: dict[str, float] | list[tuple[str, float]]) -> ElectrolyteInput:
    """Build a blend input from ``{formula: moles}`` (normalised to mole fractions)."""
    items = list(components.items()) if isinstance(components, dict) else list(components)
    if len(items) == 1:
        return parse_composition(items[0][0])
    text = ":".join(f for f, _ in items) + "=" + ":".join(repr(float(n)) for _, n in items)
    return parse_composition(text)


def formula_key(formula: str | Composition) -> str:
    """Reduced formula without pymatgen's polyanion grouping (``Li10GeP2S12``, ``Li2S``, ``Cu``).

    Elements in pymatgen's electronegativity order, amounts of 1 omitted; used as the key of
    reactions and products and for display.
    """
    comp = formula if isinstance(formula, Composition) else Composition(formula)
    out = []
    for token in comp.reduced_composition.formula.split():
        m = re.match(r"([A-Z][a-z]?)([\d.]+)$", token)
        if m is None:  # pragma: no cover - pymatgen always writes symbol + amount
            out.append(token)
            continue
        symbol, amount = m.groups()
        value = float(amount)
        out.append(symbol if abs(value - 1) < 1e-9 else symbol + (f"{value:g}"))
    return "".join(out)
