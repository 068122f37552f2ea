"""Content keys are the store's identity: a refactor must never change them.

The expected digests below were computed on main *before* the issue-16 redesign (modules split,
registries made static tables, CLI commands made thin). If one of these tests fails, a change
altered the task kind name, kind version, parameters, calculator identity or canonical structure
of a task, and every store made before it would be recomputed instead of reused. Change an
expected value only together with a deliberate kind-version bump.

The calculators' package versions are pinned here (they are part of the identity and differ
between machines); no model is loaded: a fake engine returns ``done`` outcomes with the input
structure, so the CLI commands build their real task lists (relax first, then the step) offline.
"""

from __future__ import annotations

import json

import pytest
from ase.build import bulk
from typer.testing import CliRunner

from alloyscreen.store import ResultStore
from alloyscreen.structures.candidates import Candidate, CandidateSet, save_candidates
from alloyscreen.tasks import CalculatorSpec, TaskOutcome, make_task


class _FakeEngine:
    """Returns a ``done`` outcome holding the input structure for every task (no calculation)."""

    def __init__(self, workers: int = 1, **_kw) -> None:
        self.tasks = []

    def map(self, tasks):
        for t in tasks:
            self.tasks.append(t)
            yield TaskOutcome(
                key=t.key,
                kind=t.kind,
                candidate_id=t.candidate_id,
                formula=t.formula,
                status="done",
                result={"energy_per_atom_eV": -1.0},
                atoms=t.atoms.copy(),
                error=None,
                calculator=t.calculator.identity().as_dict(),
                params=dict(t.params),
                provenance={},
                wall_time_s=0.0,
            )

    def close(self) -> None:
        pass


@pytest.fixture
def pinned(monkeypatch):
    """Package versions fixed (identity) and a fake engine behind the CLI commands."""
    import alloyscreen.calculators as calculators
    import alloyscreen.engines as engines

    monkeypatch.setattr(calculators, "_version", lambda package: f"{package}-pinned")
    monkeypatch.setattr(engines, "LocalEngine", _FakeEngine)


@pytest.fixture
def candidates(tmp_path):
    cands = (
        Candidate.from_atoms(
            bulk("Li", "bcc", a=3.44),
            "Li-bcc",
            prototype="A2",
            source="prototype",
            category="alloy",
        ),
        Candidate.from_atoms(
            bulk("Al", "fcc", a=4.05),
            "Al-fcc",
            prototype="A1",
            source="prototype",
            category="metal",
        ),
    )
    path = tmp_path / "cands.json"
    save_candidates(CandidateSet(cands), path)
    return path


def _keys(db: str) -> list[tuple[str, str, str]]:
    """(kind, candidate id, first 16 hex digits of the key) of every stored row, sorted."""
    store = ResultStore(db)
    return sorted((r.kind, r.candidate_id, r.key[:16]) for r in store.rows())


def _invoke(args: list[str]) -> None:
    from alloyscreen.cli import build_app

    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output


# Digests computed on main before the redesign (see the module docstring).
EXPECTED_MIGRATION = [
    ("migration", "Li-bcc", "814256c5ca1ab934"),
    ("migration", "Li-bcc", "b6e07d02fde40c3b"),
    ("relax", "Li-bcc", "8003b31db530ef26"),
]
EXPECTED_ADHESION = [
    ("adhesion", "Al-fcc", "1e2604ed28f0f8f1"),
    ("adhesion", "Al-fcc", "916059626a50ff5a"),
    ("adhesion", "Li-bcc", "ca9832ff8d87cba5"),
    ("adhesion", "Li-bcc", "e1d11d8634982b4e"),
    ("relax", "Al-fcc", "2db4c7c08ad1c42a"),
    ("relax", "Li-bcc", "8003b31db530ef26"),
]
EXPECTED_RELAX = [("relax", "Al-fcc", "2db4c7c08ad1c42a"), ("relax", "Li-bcc", "8003b31db530ef26")]
EXPECTED_VALIDATION = {
    ("sevenn", "relax", "validation:Li-bcc"): "39164576b6f6fd9f",
    ("sevenn", "relax", "validation:LiAl-B32"): "da2aa15362e8fba5",
    ("sevenn", "relax", "validation:Al-fcc"): "f88535ba15c2f367",
    ("sevenn", "surface_energy", "validation:Li(100)"): "58dba798d0329cb4",
    ("sevenn", "vacancy_hop", "validation:Li-vacancy-hop"): "dd41e30b3a033365",
    ("vasp", "relax", "validation:Li-bcc"): "979eea6b9108ff9f",
    ("vasp", "relax", "validation:LiAl-B32"): "834810dfff04eec2",
    ("vasp", "relax", "validation:Al-fcc"): "210b8d44d5db1281",
    ("vasp", "surface_energy", "validation:Li(100)"): "d498ecba6eba4c75",
    ("vasp", "vacancy_hop", "validation:Li-vacancy-hop"): "353480ef30c31132",
    ("espresso", "relax", "validation:Li-bcc"): "5eb81d0e1cafe57a",
    ("espresso", "relax", "validation:LiAl-B32"): "156435830ab43d92",
    ("espresso", "relax", "validation:Al-fcc"): "17a116463788efe8",
    ("espresso", "surface_energy", "validation:Li(100)"): "2172f24c9fe5ba43",
    ("espresso", "vacancy_hop", "validation:Li-vacancy-hop"): "017c65f22ef8d630",
}
EXPECTED_DFT_IDENTITY = [
    '{"model": "-", "name": "vasp", "package": "ase", "package_version": "ase-pinned", "parameters": {"dipole_correction": "auto", "ecut_eV": 520.0, "gamma": "auto", "kpt_density_A": 4.0, "maxiter": 333, "mixer_beta": null, "preset": "auto", "presets_version": 1, "scf_energy_eV_per_atom": 5e-05, "scf_forces_eV_A": null, "setups": "recommended", "smearing": "fermi-dirac", "smearing_width_eV": 0.1, "spin": "auto", "vacuum_min_A": 5.0, "xc": "PBE"}}',
    '{"model": "-", "name": "vasp", "package": "ase", "package_version": "ase-pinned", "parameters": {"dipole_correction": "auto", "ecut_eV": 600, "gamma": "auto", "kpt_density_A": 4.0, "maxiter": 333, "mixer_beta": null, "preset": "neb", "presets_version": 1, "scf_energy_eV_per_atom": 5e-05, "scf_forces_eV_A": 0.01, "setups": "recommended", "smearing": "fermi-dirac", "smearing_width_eV": 0.1, "spin": "auto", "vacuum_min_A": 5.0, "xc": "PBE"}}',
    '{"model": "-", "name": "espresso", "package": "ase", "package_version": "ase-pinned", "parameters": {"dipole_correction": "auto", "ecut_eV": 680.2846561497, "gamma": "auto", "kpt_density_A": 4.0, "maxiter": 333, "mixer_beta": null, "preset": "slab", "presets_version": 1, "pseudo_pattern": "{symbol}.UPF", "scf_energy_eV_per_atom": 5e-05, "scf_forces_eV_A": null, "smearing": "fermi-dirac", "smearing_width_eV": 0.1, "spin": "auto", "vacuum_min_A": 5.0, "xc": "PBE"}}',
]
EXPECTED_MAKE_TASK = {
    "relax": "138525c5aa454c173d6aa3bf64fe3b3f29d6c565eb6c3317528986f556a8a049",
    "adhesion": "d6308b950b0bc689d2b8b6dd72e5f2ebaf56660251f6184f3f3a55e178ad3206",
    "migration": "93fb15c00200c38201e89ce682d7cb5a21c877e0ac609013c8ff5404a8d62ff3",
    "surface_energy": "9eb8bf359759a1d98bab0666bd502ad838aed10566b9de28c94e2d11dfba8aca",
    "vacancy_hop": "be5c32f88285696c6da172ce408dad08f20a4514aec9dde8c5e3a08283fac94c",
}


def test_cli_relax_then_migration_keys(pinned, candidates, tmp_path):
    db = str(tmp_path / "m.db")
    _invoke(["migration", str(candidates), "--db", db, "--json"])
    _invoke(["migration", str(candidates), "--db", db, "--json", "--fmax", "0.03", "--images", "3"])
    assert _keys(db) == EXPECTED_MIGRATION


def test_cli_relax_then_adhesion_keys(pinned, candidates, tmp_path):
    db = str(tmp_path / "a.db")
    _invoke(["adhesion", str(candidates), "--db", db, "--json"])
    _invoke(["adhesion", str(candidates), "--db", db, "--json", "--max-atoms", "80"])
    assert _keys(db) == EXPECTED_ADHESION


def test_cli_relax_keys(pinned, candidates, tmp_path):
    db = str(tmp_path / "r.db")
    # --no-formation-energy: the candidates' own relaxations, keyed as before the redesign
    # (formation energies, on by default since issue 19, add the elemental references)
    _invoke(["relax", str(candidates), "--no-formation-energy", "--db", db, "--json"])
    assert _keys(db) == EXPECTED_RELAX


def test_validation_task_keys(pinned):
    from alloyscreen.ml_vs_dft import ValidationOptions, bulk_tasks, defect_tasks

    opts = ValidationOptions()
    got = {}
    for name in ("sevenn", "vasp", "espresso"):
        tasks = bulk_tasks(name, opts)
        tasks += defect_tasks(name, tasks[0].atoms, opts)
        got.update({(name, t.kind, t.candidate_id): t.key[:16] for t in tasks})
    assert got == EXPECTED_VALIDATION


def test_dft_identity_parameters_are_pinned(pinned):
    from alloyscreen.calculators import calculator_identity

    got = [
        json.dumps(calculator_identity(name, **kw).as_dict(), sort_keys=True)
        for name, kw in (
            ("vasp", {}),
            ("vasp", {"preset": "neb", "ecut_eV": 600}),
            ("espresso", {"preset": "slab"}),
        )
    ]
    assert got == EXPECTED_DFT_IDENTITY


def test_make_task_keys_of_every_kind(pinned):
    atoms = bulk("Li", "bcc", a=3.44, cubic=True)
    spec = CalculatorSpec.make("sevenn")
    got = {
        kind: make_task(kind, "x", atoms, spec, params).key
        for kind, params in (
            ("relax", {"fmax": 0.05, "max_steps": 300, "optimizer": "BFGS"}),
            ("adhesion", {"max_atoms": 80}),
            ("migration", {"fmax": 0.03, "n_images": 3}),
            ("surface_energy", {"miller": [1, 0, 0], "layers": 3}),
            ("vacancy_hop", {"supercell": [2, 2, 2], "n_images": 1}),
        )
    }
    assert got == EXPECTED_MAKE_TASK
