"""Test helpers for the interphase tests: a percolation stand-in and reference numbers.

The stand-in model returns fixed thresholds per aspect ratio so that the interphase code can be
tested without the percolation engine. The thresholds are literature values (DESIGN.md §7):
overlapping spheres phi_c = 0.2896 (Rintoul & Torquato 1997; Lorenz & Ziff 2001: 0.289573) and
randomly oriented overlapping ellipsoids (Garboczi et al., PRE 52, 819, 1995): a/b = 10 -> 0.08703,
a/b = 1/10 -> 0.1058.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from pymatgen.core import Composition

from alloyscreen.interphase.coupling import Morphology, Threshold

DATA = Path(__file__).resolve().parent / "data" / "interphase"
OBSERVATIONS = DATA / "observations_literature.csv"

#: aspect ratio -> phi_c (see the module docstring for the sources).
LITERATURE_VP = {1.0: 0.2896, 10.0: 0.08703, 0.1: 0.1058}

AVOGADRO = 6.02214076e23


class StubPercolation:
    """Fixed V_p per aspect ratio (+ distribution offsets), simple power-law conductivity."""

    def __init__(self, table=None, err=0.001, distribution_shift=None):
        self.table = dict(LITERATURE_VP if table is None else table)
        self.err = err
        self.shift = distribution_shift or {"random": 0.0, "segregated": 0.05, "enveloped": 0.1}
        self.calls = 0

    def threshold(self, morphology: Morphology) -> Threshold:
        self.calls += 1
        v_p = self.table[morphology.aspect_ratio] + self.shift[morphology.distribution]
        return Threshold(v_p, self.err, morphology, "stub")

    def conductivity(self, v_fm, threshold, sigma_metal_S_cm, sigma_insulator_S_cm, exponent):
        if v_fm <= threshold.v_p:
            return sigma_insulator_S_cm
        x = (v_fm - threshold.v_p) / (1.0 - threshold.v_p)
        return sigma_insulator_S_cm + sigma_metal_S_cm * x**exponent


def molar_volume_cell(a, b, c, alpha, beta, gamma, z):
    """cm^3/mol from cell parameters (Å, degrees) - independent of the package's code."""
    ca, cb, cg = (math.cos(math.radians(t)) for t in (alpha, beta, gamma))
    v = a * b * c * math.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg)
    return v * 1e-24 * AVOGADRO / z


#: SYNTHETIC energies (eV/atom) by reduced formula, made up to exercise the thermodynamic route
#: (the same table as ``synthetic_entries`` of test_interphase_thermo.py), not data: Li compounds
#: strongly bound relative to Li + elements, a Li-poor sulfide and a ternary unstable at the Li
#: potential; Li4Ge stands for the Li-rich Li-Ge alloy among the shipped (discovered) Li-Ge phases.
SYNTHETIC_E_PER_ATOM = {
    "Li": -1.9, "P": -5.4, "Ge": -4.5, "S": -4.1, "Cl": -1.8,
    "Li2S": -4.1, "LiS": -4.0, "Li3P": -3.4, "LiCl": -4.0, "Li3PS4": -4.3,
    "Li17Ge4": -2.45, "Li15Ge4": -2.44, "Li4Ge": -2.45,
}  # fmt: skip


class FormulaEnergy(Calculator):
    """A test-only ASE calculator: energy from the composition alone (zero forces and stress).

    Energy per atom from :data:`SYNTHETIC_E_PER_ATOM` by reduced formula; any other composition
    sits ``above_hull_eV`` per atom above the mixture of its elements (unstable). Relaxations
    converge at once, so a campaign's thermodynamic route runs in seconds with any of these
    elements. Named in workflows as ``tests.interphase_helpers:FormulaEnergy``.
    """

    implemented_properties = ("energy", "free_energy", "forces", "stress")

    def __init__(self, above_hull_eV: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        self.above_hull_eV = float(above_hull_eV)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        comp = Composition(self.atoms.get_chemical_formula())
        per_atom = SYNTHETIC_E_PER_ATOM.get(comp.reduced_formula)
        if per_atom is None:
            per_atom = self.above_hull_eV + sum(
                SYNTHETIC_E_PER_ATOM[str(el)] * comp.get_atomic_fraction(el) for el in comp.elements
            )
        energy = per_atom * len(self.atoms)
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": np.zeros((len(self.atoms), 3)),
            "stress": np.zeros(6),
        }
