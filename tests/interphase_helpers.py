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
