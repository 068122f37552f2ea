"""Descriptors at fixed geometries: work of separation and two-image hop barriers (EMT, fast)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk as ase_bulk
from ase.build import fcc111
from ase.calculators.emt import EMT

from alloyscreen.errors import InputError
from alloyscreen.properties.fixed_geometry import (
    EV_PER_A2_IN_J_PER_M2,
    hop_barrier,
    work_of_separation,
)


def _cu_slab(layers: int):
    slab = fcc111("Cu", size=(1, 1, layers), a=3.6, vacuum=8.0)
    slab.set_tags(0)  # fcc111 tags layers; the tests set their own halves
    return slab


def test_cutting_a_slab_in_two_costs_twice_the_surface_energy():
    # A 12-layer Cu(111) slab cut in the middle: W_sep = 2 gamma, with gamma from a separate
    # 6-layer slab and the bulk energy (all unrelaxed, EMT); surfaces do not interact across 6
    # layers, so the two must agree to well under 1 %.
    calc = EMT()
    slab = _cu_slab(12)
    z = slab.positions[:, 2]
    tags = np.where(z < np.median(z), 1, 2)
    slab.set_tags(tags)
    sep = work_of_separation(slab, calc)
    half = _cu_slab(6)
    half.calc = calc
    b = ase_bulk("Cu", "fcc", a=3.6)
    b.calc = calc
    e_bulk = b.get_potential_energy() / len(b)
    area = np.linalg.norm(np.cross(half.cell[0], half.cell[1]))
    gamma = (half.get_potential_energy() - len(half) * e_bulk) / (2 * area) * EV_PER_A2_IN_J_PER_M2
    assert sep.w_sep_J_m2 == pytest.approx(2 * gamma, rel=5e-3)
    assert sep.w_sep_J_m2 > 0
    assert sep.n_substrate == sep.n_film == 6


def test_far_apart_halves_do_not_bind():
    calc = EMT()
    slab = _cu_slab(8)
    z = slab.positions[:, 2]
    top = z > np.median(z)
    slab.set_tags(np.where(top, 2, 1))
    slab.positions[top, 2] += 8.0  # 8 Å gap: beyond EMT's cutoff
    slab.cell[2, 2] += 8.0
    assert work_of_separation(slab, calc).w_sep_J_m2 == pytest.approx(0.0, abs=1e-6)


def test_bad_tags_are_input_errors():
    slab = _cu_slab(4)
    with pytest.raises(InputError, match="needs atoms tagged"):
        work_of_separation(slab, EMT())
    slab.set_tags([1, 2, 3, 1])
    with pytest.raises(InputError, match="neither half"):
        work_of_separation(slab, EMT())


def test_hop_barrier_of_identical_images_is_zero_and_checks_inputs():
    calc = EMT()
    a = _cu_slab(3)
    assert hop_barrier(a, a.copy(), calc).barrier_eV == pytest.approx(0.0, abs=1e-12)
    b = a.copy()
    b.positions[-1, 2] += 0.3  # push the top atom up: energy rises
    assert hop_barrier(a, b, calc).barrier_eV > 0
    with pytest.raises(InputError, match="differ in composition"):
        hop_barrier(a, a[:-1], calc)
    c = a.copy()
    c.cell[0, 0] += 0.1
    with pytest.raises(InputError, match="different cells"):
        hop_barrier(a, c, calc)
