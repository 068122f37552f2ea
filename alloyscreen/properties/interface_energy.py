"""Which termination forms against Li metal, re-evaluated with another calculator.

:func:`~alloyscreen.properties.adhesion.work_of_adhesion` reports the termination with the lowest
interface energy ``gamma_int = gamma_sub + gamma_Li - W_ad`` in the Li-rich limit (the interface
that forms against Li metal), computed with one calculator. To check that choice with a more
accurate one (DFT) without relaxing every interface again, :func:`termination_energetics_at`
evaluates the same quantities **at the relaxed geometries** of the first calculator
(``work_of_adhesion(keep_geometries=True)``): single points of each termination's interface, its
substrate slab (relaxed and as cut), its Li film and the strained bcc Li cell, plus the bulk
substrate and bcc Li for the chemical potentials. The formulas are the ones the relaxed route
uses (same functions), so evaluating with the calculator that relaxed the geometries reproduces
its numbers exactly.

Pure: ``(geometries, bulk, calc) -> frozen result``; energies in eV, W and gamma in J/m^2.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ase import Atoms
from ase.build import bulk as ase_bulk
from ase.calculators.calculator import Calculator

from alloyscreen.errors import InputError
from alloyscreen.properties.adhesion import (
    EV_PER_A2_IN_J_PER_M2,
    TerminationGeometry,
    TerminationSummary,
    li_rich_chemical_potentials,
    select_termination,
    substrate_surface_energy,
)
from alloyscreen.properties.batched import energies
from alloyscreen.properties.counting import count_calls

logger = logging.getLogger(__name__)

__all__ = ["TerminationEnergetics", "termination_energetics_at"]


@dataclass(frozen=True)
class TerminationEnergetics:
    """Every termination's W_ad and interface energy from one calculator at fixed geometries.

    Attributes
    ----------
    terminations : tuple of TerminationSummary
        In the order of the geometries given; ``converged`` is True (single points).
    selected : int
        Index of the termination that forms against Li metal (lowest interface energy; see
        :func:`~alloyscreen.properties.adhesion.select_termination`).
    selection_basis : str
        Why (the rule's own words).
    strongest : int
        Index of the largest W_ad (what ``selection = "max_w_adh"`` would report).
    mu_eV : dict
        Li-rich-limit chemical potentials used (eV/atom); empty when undefined.
    n_force_calls : int
        Energy evaluations.
    """

    terminations: tuple[TerminationSummary, ...]
    selected: int
    selection_basis: str
    strongest: int
    mu_eV: dict[str, float]
    n_force_calls: int


def termination_energetics_at(
    geometries: Sequence[TerminationGeometry],
    bulk: Atoms,
    calc: Calculator,
    *,
    li_lattice_A: float,
) -> TerminationEnergetics:
    """W_ad, surface and interface energies of each termination at the given geometries.

    Parameters
    ----------
    geometries : sequence of TerminationGeometry
        ``AdhesionResult.geometries`` of a ``work_of_adhesion(..., keep_geometries=True)`` run.
    bulk : ase.Atoms
        The bulk substrate the slabs were cut from (its energy fixes the chemical potentials).
    calc : Calculator
        Any ASE calculator with energies (e.g. GPAW at the geometries relaxed with an ML
        potential).
    li_lattice_A : float
        bcc Li lattice parameter of the run (``AdhesionResult.li_lattice_A``), Å.

    Returns
    -------
    TerminationEnergetics

    Raises
    ------
    InputError
        No geometries (run ``work_of_adhesion`` with ``keep_geometries=True``).
    """
    if not geometries:
        raise InputError(
            "no termination geometries: run work_of_adhesion(..., keep_geometries=True)"
        )
    if not li_lattice_A > 0:
        raise InputError(f"li_lattice_A must be positive (got {li_lattice_A!r})")
    substrate = bulk.copy()
    substrate.calc = None
    summaries: list[TerminationSummary] = []
    with count_calls(calc) as counter:
        if set(substrate.get_chemical_symbols()) == {"Li"}:
            (e_bulk,) = energies([substrate], calc)
            e_li = e_bulk / len(substrate)
        else:
            li = ase_bulk("Li", "bcc", a=li_lattice_A, cubic=True)
            e_bulk, e_li_cell = energies([substrate, li], calc)
            e_li = e_li_cell / len(li)
        e_per_atom = e_bulk / len(substrate)
        mu = li_rich_chemical_potentials(substrate, e_bulk, e_li)
        for g in geometries:
            area = g.area_A2
            # the as-cut slab only enters the surface energy of a symmetric slab
            as_cut = [g.substrate_unrelaxed] if g.symmetric else []
            e_int, e_sub, e_film, e_li_cell, *e_sub0 = energies(
                [g.interface, g.substrate, g.film, g.li_bulk_strained, *as_cut], calc
            )
            e_li_strained = e_li_cell / len(g.li_bulk_strained)
            w = (e_sub + e_film - e_int) / area * EV_PER_A2_IN_J_PER_M2
            gamma_li = (e_film - len(g.film) * e_li_strained) / (2 * area) * EV_PER_A2_IN_J_PER_M2
            gamma_sub = None
            if g.symmetric:
                gamma_sub = substrate_surface_energy(
                    g.substrate,
                    e_sub,
                    g.substrate_unrelaxed,
                    e_sub0[0],
                    area,
                    mu=mu,
                    stoichiometric=g.stoichiometric,
                    e_per_atom=e_per_atom,
                )
            summaries.append(
                TerminationSummary(
                    miller=g.miller,
                    termination=g.termination,
                    top_species=g.top_species,
                    li_miller=g.li_miller,
                    w_adh_J_m2=float(w),
                    substrate_surface_energy_J_m2=None if gamma_sub is None else float(gamma_sub),
                    li_surface_energy_J_m2=float(gamma_li),
                    interface_energy_J_m2=None
                    if gamma_sub is None
                    else float(gamma_sub + gamma_li - w),
                    converged=True,
                )
            )
            logger.info(
                "%s %s: W_ad %.3f J/m2, interface energy %s",
                substrate.get_chemical_formula(),
                g.termination,
                w,
                "undefined" if gamma_sub is None else f"{gamma_sub + gamma_li - w:.3f} J/m2",
            )
        n_calls = counter.n_calls
    selected, basis = select_termination(summaries, "interface_energy")
    strongest, _ = select_termination(summaries, "max_w_adh")
    return TerminationEnergetics(
        terminations=tuple(summaries),
        selected=selected,
        selection_basis=basis,
        strongest=strongest,
        mu_eV=dict(mu or {}),
        n_force_calls=n_calls,
    )
