"""Bulk relaxation (positions and cell) and formation energies.

Pure science: ``relax_bulk(atoms, calc, *, options) -> BulkRelaxResult``; no store, no CLI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixSymmetry
from ase.filters import FrechetCellFilter
from ase.units import GPa

from alloyscreen.errors import InputError
from alloyscreen.formula import reduced_formula
from alloyscreen.properties.batched import OPTIMIZERS
from alloyscreen.properties.counting import count_calls

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BulkRelaxResult:
    """Outcome of a bulk relaxation.

    Attributes
    ----------
    formula : str
        Reduced formula of the relaxed structure.
    energy_eV, energy_per_atom_eV : float
        Total energy and energy per atom (eV).
    volume_A3, volume_per_atom_A3 : float
        Cell volume and volume per atom (Å^3).
    lattice_abc_A : tuple of float
        Cell vector lengths (Å). ``lattice_angles_deg``: cell angles (degrees).
    converged : bool
        True when the maximum force (and stress, if the cell was relaxed) fell below ``fmax``.
    n_steps, n_force_calls : int
        Optimizer steps and energy/force evaluations used.
    max_force_eV_A, max_stress_GPa : float
        Residual maximum atomic force and maximum stress component at the end.
    atoms : ase.Atoms
        Relaxed structure (no calculator attached).
    """

    formula: str
    energy_eV: float
    energy_per_atom_eV: float
    volume_A3: float
    volume_per_atom_A3: float
    lattice_abc_A: tuple[float, float, float]
    lattice_angles_deg: tuple[float, float, float]
    converged: bool
    n_steps: int
    n_force_calls: int
    max_force_eV_A: float
    max_stress_GPa: float
    atoms: Atoms


def relax_bulk(
    atoms: Atoms,
    calc: Calculator,
    *,
    fmax: float = 0.05,
    max_steps: int = 300,
    stress_tol_GPa: float = 0.02,
    optimizer: str = "BFGS",
    relax_cell: bool = True,
    keep_symmetry: bool = True,
    symprec: float = 1e-3,
) -> BulkRelaxResult:
    """Relax atomic positions and (optionally) the cell of a periodic structure.

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic structure; it is copied, never modified.
    calc : Calculator
        Any ASE calculator providing energy, forces (and stress when ``relax_cell``).
    fmax : float
        Convergence threshold on the maximum atomic force (eV/Å).
    stress_tol_GPa : float
        Convergence threshold on the maximum stress component (GPa) when ``relax_cell``. Checked
        directly rather than through the filter's scaled cell force, whose stress tolerance grows
        with the number of atoms per volume and leaves soft Li (B ≈ 12 GPa) visibly strained.
    max_steps : int
        Optimizer step limit; reaching it gives ``converged=False`` (the structure is returned).
    optimizer : {"FIRE", "BFGS", "LBFGS"}
        ASE optimizer.
    relax_cell : bool
        Relax the cell with :class:`ase.filters.FrechetCellFilter`.
    keep_symmetry : bool
        Constrain the relaxation to the initial space group (:class:`ase.constraints.FixSymmetry`),
        so a prototype stays that prototype; the energy is then a symmetric saddle or minimum.
    symprec : float
        Symmetry tolerance (Å) for ``keep_symmetry``.
    """
    if not all(atoms.pbc):
        raise InputError("relax_bulk needs a structure periodic in all three directions")
    if optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer '{optimizer}'; choose one of {', '.join(OPTIMIZERS)}")
    work = atoms.copy()
    work.calc = calc
    if keep_symmetry:
        work.set_constraint(FixSymmetry(work, symprec=symprec))
    target = FrechetCellFilter(work) if relax_cell else work
    stress_tol = stress_tol_GPa * GPa
    with count_calls(calc) as counter:
        opt = OPTIMIZERS[optimizer](target, logfile=None)
        converged = _is_converged(work, fmax, stress_tol if relax_cell else None)
        if not converged:
            # fmax=0 keeps ASE from stopping on its own criterion; ours is checked each step.
            for _ in opt.irun(fmax=0.0, steps=max_steps):
                if _is_converged(work, fmax, stress_tol if relax_cell else None):
                    converged = True
                    break
        energy = float(work.get_potential_energy())
        forces = work.get_forces()
        stress = work.get_stress() if relax_cell else np.zeros(6)
    final = work.copy()
    final.set_constraint()
    final.calc = SinglePointCalculator(final, energy=energy, forces=forces, stress=stress)
    n = len(final)
    cellpar = final.cell.cellpar()
    if not converged:
        logger.warning(
            "%s: relaxation not converged in %d steps", final.get_chemical_formula(), max_steps
        )
    return BulkRelaxResult(
        formula=reduced_formula(final),
        energy_eV=energy,
        energy_per_atom_eV=energy / n,
        volume_A3=float(final.get_volume()),
        volume_per_atom_A3=float(final.get_volume()) / n,
        lattice_abc_A=tuple(float(x) for x in cellpar[:3]),
        lattice_angles_deg=tuple(float(x) for x in cellpar[3:]),
        converged=converged,
        n_steps=int(opt.nsteps),
        n_force_calls=counter.n_calls,
        max_force_eV_A=float(np.linalg.norm(forces, axis=1).max()),
        max_stress_GPa=float(np.abs(stress).max() / GPa),
        atoms=final,
    )


def _is_converged(atoms: Atoms, fmax: float, stress_tol: float | None) -> bool:
    """Forces (constrained, as the optimizer sees them) and, if given, stress below tolerance."""
    if np.linalg.norm(atoms.get_forces(), axis=1).max() >= fmax:
        return False
    return stress_tol is None or float(np.abs(atoms.get_stress()).max()) < stress_tol


def formation_energy_per_atom(
    counts: Mapping[str, float],
    energy_per_atom_eV: float,
    elemental_energies_per_atom_eV: Mapping[str, float],
) -> float:
    """Formation energy per atom (eV/atom) against elemental references.

    ``E_f = E/N - sum_i x_i * mu_i`` with ``x_i`` the atomic fractions and ``mu_i`` the energy per
    atom of element i in its reference phase, both from the same calculator.

    Parameters
    ----------
    counts : mapping
        Element -> number of atoms (any normalisation).
    energy_per_atom_eV : float
        Energy of the compound per atom (eV/atom).
    elemental_energies_per_atom_eV : mapping
        Element -> reference energy per atom (eV/atom).
    """
    missing = sorted(set(counts) - set(elemental_energies_per_atom_eV))
    if missing:
        raise InputError(f"no elemental reference energy for {', '.join(missing)}")
    total = float(sum(counts.values()))
    if total <= 0:
        raise InputError("composition has no atoms")
    reference = sum(n / total * elemental_energies_per_atom_eV[el] for el, n in counts.items())
    return float(energy_per_atom_eV - reference)
