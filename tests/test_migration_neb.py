"""CI-NEB migration barriers: symmetry, honesty of convergence and force counts, stored MEPs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT

from alloyscreen.errors import CalculationError, InputError
from alloyscreen.properties.counting import count_calls
from alloyscreen.properties.migration import (
    BandRun,
    classify_band,
    mep_figure,
    migration_barriers,
    plot_mep,
)
from alloyscreen.serialization import from_jsonable, to_jsonable
from tests.conftest import needs_chgnet
from tests.test_migration_hops import b32_lial, d03_li3sb


class FlatCalculator(Calculator):
    """Constant energy, zero forces: a calculator that does not respond to positions."""

    implemented_properties = ("energy", "forces")

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.results = {"energy": -1.0, "forces": np.zeros((len(self.atoms), 3))}


@pytest.fixture(scope="module")
def al_result():
    """fcc Al vacancy hop with ASE's EMT (fast; Al has EMT parameters)."""
    calc = EMT()
    with count_calls(calc) as counter:
        result = migration_barriers(bulk("Al", "fcc", a=4.05), calc, species="Al")
    return result, counter.n_calls


def test_symmetric_hop_forward_equals_backward_with_saddle_in_the_middle(al_result):
    result, _ = al_result
    (hop,) = result.hops
    assert hop.status == "converged"
    assert hop.converged
    assert hop.reason is None
    assert hop.barrier_eV > 0
    assert hop.barrier_reverse_eV > 0
    assert abs(hop.barrier_eV - hop.barrier_reverse_eV) < 0.005
    assert hop.saddle_image == (hop.n_images + 1) // 2 == 3
    assert hop.max_force_eV_A <= result.fmax_eV_A
    # by symmetry the saddle has the moving atom half-way between the two sites
    k = int(np.argmax(np.linalg.norm(hop.images[-1].positions - hop.images[0].positions, axis=1)))
    mid = 0.5 * (hop.images[0].positions[k] + hop.images[-1].positions[k])
    assert np.linalg.norm(hop.images[hop.saddle_image].positions[k] - mid) < 0.05
    # the MEP is complete: one energy and coordinate per image, endpoints included
    assert len(hop.images) == len(hop.mep_energies_eV) == len(hop.mep_reaction_coordinate_A) == 7
    assert hop.mep_energies_eV[0] == 0.0
    assert max(hop.mep_energies_eV) == pytest.approx(hop.barrier_eV)
    assert np.all(np.diff(hop.mep_reaction_coordinate_A) > 0)


def test_network_and_diffusion_estimate_for_fcc(al_result):
    result, _ = al_result
    assert result.network_dimensionality == 3
    assert result.network_barrier_eV == pytest.approx(result.hops[0].barrier_eV)
    assert result.coordination_z == pytest.approx(12)  # fcc nearest neighbours
    assert result.jump_length_A == pytest.approx(result.hops[0].hop_length_A)
    assert result.D_298K_cm2_s > 0
    assert result.arrhenius_D_cm2_s == tuple(sorted(result.arrhenius_D_cm2_s))
    assert "estimate" in result.diffusion_note


def test_every_force_call_is_counted(al_result):
    result, outer_calls = al_result
    (hop,) = result.hops
    assert result.n_force_calls == outer_calls > 0
    assert hop.n_force_calls == hop.n_force_calls_endpoints + hop.n_force_calls_neb
    assert hop.n_force_calls_neb >= hop.n_images  # every image evaluated at least once


def test_stored_result_replots_from_json_alone(al_result, tmp_path):
    result, _ = al_result
    stored = from_jsonable(json.loads(json.dumps(to_jsonable(result))))
    assert isinstance(stored["hops"][0]["images"][0], Atoms)
    assert stored["hops"][0]["mep_energies_eV"] == list(result.hops[0].mep_energies_eV)
    out = plot_mep(stored, tmp_path / "sub" / "mep.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5000
    fig = mep_figure(stored)
    ax = fig.axes[0]
    assert ax.get_legend() is not None
    assert "0." in ax.get_legend().get_texts()[0].get_text()


def test_flat_path_is_false_convergence():
    with pytest.raises(CalculationError, match="flat path") as info:
        migration_barriers(bulk("Al", "fcc", a=4.05), FlatCalculator(), species="Al")
    partial = info.value.partial
    (hop,) = partial.hops
    assert hop.status == "failed"
    assert hop.barrier_eV is None
    assert hop.barrier_reverse_eV is None
    assert partial.network_barrier_eV is None
    assert partial.D_298K_cm2_s is None


def test_unconverged_band_is_stored_without_barrier(tmp_path):
    with pytest.raises(CalculationError, match="not converged") as info:
        migration_barriers(bulk("Al", "fcc", a=4.05), EMT(), species="Al", max_steps=2)
    (hop,) = info.value.partial.hops
    assert hop.status == "unconverged"
    assert not hop.converged
    assert hop.barrier_eV is None
    assert hop.steps <= 2
    assert hop.n_force_calls_neb > 0
    # the unconverged path is kept for inspection and can be plotted
    assert len(hop.mep_energies_eV) == 7
    plot_mep(to_jsonable(info.value.partial), tmp_path / "unconverged.png")


def test_endpoint_that_relaxes_away_fails_the_hop():
    # A Cu interstitial on a Voronoi vertex (tetrahedral site) of fcc Cu is not stable in EMT:
    # the relaxation moves it far away, which must fail the hop instead of giving a barrier.
    with pytest.raises(CalculationError, match="endpoint changed") as info:
        migration_barriers(
            bulk("Cu", "fcc", a=3.6),
            EMT(),
            species="Cu",
            mechanism="interstitial",
            min_interstitial_distance_A=1.0,
            max_hops=1,
        )
    (hop,) = info.value.partial.hops
    assert hop.status == "failed"
    assert hop.barrier_eV is None
    assert hop.endpoint_displacement_A > 1.0


def _band(energies, n_calls=10, converged=True, jump=0.5):
    images = []
    for i, _ in enumerate(energies):
        a = Atoms("Li2", positions=[[0, 0, 0], [1.0 + i * jump, 0, 0]], cell=[20, 20, 20], pbc=True)
        images.append(a)
    return BandRun(images, np.array(energies), [], converged, 5, n_calls, 0.01, True)


def test_classify_false_convergence_and_nonconvergence():
    ok = _band([0.0, 0.1, 0.2, 0.1, 0.0])
    assert classify_band(ok, 3.0, 1e-3) == ("converged", None, 2)
    status, reason, _ = classify_band(_band([0.0, 0.1, 0.2, 0.1, 0.0], n_calls=0), 3.0, 1e-3)
    assert status == "failed"
    assert "no force calls" in reason
    status, reason, _ = classify_band(_band([0.0, 0.0002, 0.0003, 0.0001, 0.0]), 3.0, 1e-3)
    assert status == "failed"
    assert "flat path" in reason
    status, reason, _ = classify_band(_band([0.0, -0.1, -0.2, -0.3, -0.4]), 3.0, 1e-3)
    assert status == "failed"
    assert "no energy maximum" in reason
    status, reason, _ = classify_band(_band([0.0, 0.1, 0.2, 0.1, 0.0], jump=4.0), 3.0, 1e-3)
    assert status == "failed"
    assert "discontinuous" in reason
    status, reason, _ = classify_band(_band([0.0, 0.1, 0.2, 0.1, 0.0], converged=False), 3.0, 1e-3)
    assert status == "unconverged"
    assert "not converged" in reason


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "SD"},
        {"pre_fmax": 0.01},
        {"n_images": 0},
        {"mechanism": "ring"},
        {"interpolation": "spline"},
        {"saddle_fmax": 0.5},
        {"vacancy_fraction": 0.0},
    ],
)
def test_bad_options_are_input_errors(options):
    with pytest.raises(InputError):
        migration_barriers(bulk("Al", "fcc", a=4.05), EMT(), species="Al", **options)


# ----- CHGNet: the Li systems of the acceptance criteria ---------------------------------------


@needs_chgnet
@pytest.mark.ml
def test_bcc_li_vacancy_hop_is_symmetric(chgnet_calc):
    result = migration_barriers(bulk("Li", "bcc", a=3.43, cubic=True), chgnet_calc)
    assert result.formula == "Li"
    (hop,) = result.hops  # bcc has one distinct nearest-neighbour hop
    assert hop.converged, hop.reason
    assert hop.barrier_eV > 0
    assert hop.barrier_reverse_eV > 0
    assert abs(hop.barrier_eV - hop.barrier_reverse_eV) < 0.005
    assert hop.saddle_image == 3  # middle of 5 intermediate images
    assert hop.hop_length_A == pytest.approx(3.43 * np.sqrt(3) / 2, abs=1e-3)
    assert result.network_dimensionality == 3
    assert result.coordination_z == pytest.approx(8)
    assert result.D_298K_cm2_s > 0


@needs_chgnet
@pytest.mark.ml
def test_b32_lial_hop_converges(chgnet_calc):
    result = migration_barriers(b32_lial(), chgnet_calc)
    assert result.formula == "LiAl"
    assert result.space_group == "Fd-3m (227)"
    (hop,) = result.hops
    assert hop.converged, hop.reason
    assert hop.barrier_eV > 0
    assert hop.barrier_reverse_eV > 0
    assert (hop.wyckoff_from, hop.wyckoff_to) == ("8a", "8a")
    # the Li-Li midpoint is an inversion centre of B32: symmetric hop
    assert abs(hop.barrier_eV - hop.barrier_reverse_eV) < 0.005
    assert hop.saddle_image == 3
    assert result.network_dimensionality == 3  # diamond Li sublattice
    assert result.coordination_z == pytest.approx(4)


@needs_chgnet
@pytest.mark.ml
@pytest.mark.slow
def test_d03_asymmetric_hop_network_barrier_counts_from_lowest_site(chgnet_calc):
    result = migration_barriers(d03_li3sb(6.564), chgnet_calc)
    (hop,) = result.hops
    assert hop.converged, hop.reason
    assert hop.wyckoff_from != hop.wyckoff_to
    assert hop.reaction_energy_eV == pytest.approx(hop.barrier_eV - hop.barrier_reverse_eV)
    # long-range transport must climb from the lower of the two vacancy sites
    assert result.network_barrier_eV == pytest.approx(max(hop.barrier_eV, hop.barrier_reverse_eV))
    assert result.network_dimensionality == 3


def test_static_band_runs_and_matches_the_dynamic_barrier():
    """``dynamic=False`` (plain NEB, every image moves) converges to the same symmetric barrier."""
    from ase.calculators.emt import EMT

    kw = dict(species="Al", min_length_A=7.0, max_hops=1, n_images=3)
    dyn = migration_barriers(bulk("Al", "fcc", a=4.05), EMT(), **kw)
    static = migration_barriers(bulk("Al", "fcc", a=4.05), EMT(), dynamic=False, **kw)
    (h_dyn,), (h_static,) = dyn.hops, static.hops
    assert h_static.converged
    assert h_dyn.converged
    assert h_static.barrier_eV == pytest.approx(h_dyn.barrier_eV, abs=0.01)
    assert abs(h_static.barrier_eV - h_static.barrier_reverse_eV) < 0.005  # symmetric hop
