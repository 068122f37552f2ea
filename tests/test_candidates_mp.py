"""Materials Project source: recorded response (no network), clear errors without key/extra."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest
from pymatgen.core import Structure

from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.structures.materials_project import make_client, mp_candidates

FIXTURE = Path(__file__).parent / "data" / "mp_summary_li_binaries.json"


class _Summary:
    def __init__(self, docs, fail=None):
        self.docs = docs
        self.fail = fail
        self.calls = []

    def search(self, **kwargs):
        self.calls.append(kwargs)
        if self.fail:
            raise self.fail
        lo, hi = kwargs["energy_above_hull"]
        systems = [set(cs.split("-")) for cs in kwargs["chemsys"]]
        return [
            d
            for d in self.docs
            if lo <= d["energy_above_hull"] <= hi
            and {sp["element"] for site in d["structure"]["sites"] for sp in site["species"]}
            in systems
        ]


class FakeMPRester:
    """Stands in for mp_api.client.MPRester: ``client.materials.summary.search``."""

    def __init__(self, docs, fail=None):
        self.materials = type("M", (), {})()
        self.materials.summary = _Summary(docs, fail)


@pytest.fixture
def docs():
    return json.loads(FIXTURE.read_text())["docs"]


def test_candidates_from_recorded_response(docs):
    client = FakeMPRester(docs)
    cands = mp_candidates(["Al", "Bi"], max_e_above_hull=0.025, client=client)
    call = client.materials.summary.calls[0]
    assert call["chemsys"] == ["Li-Al", "Li-Bi"]
    assert call["energy_above_hull"] == (0.0, 0.025)
    assert "structure" in call["fields"]
    assert [c.id for c in cands] == [
        "Li3Bi-mp-fixture-2",
        "LiAl-mp-fixture-1",
        "LiAl3-mp-fixture-3",
    ]
    assert all(c.source == "mp" and c.category == "alloy" for c in cands)
    assert isinstance(cands[0].structure, Structure)
    assert cands[1].prototype == "Fd-3m"
    assert cands[1].provenance["material_id"] == "mp-fixture-1"


def test_threshold_is_applied(docs):
    cands = mp_candidates(["Al", "Bi"], max_e_above_hull=0.005, client=FakeMPRester(docs))
    assert "LiAl3" not in {c.formula for c in cands}
    with pytest.raises(InputError, match=">= 0"):
        mp_candidates(["Al"], max_e_above_hull=-1, client=FakeMPRester(docs))


def test_network_failure_is_a_clear_error(docs):
    client = FakeMPRester(docs, fail=ConnectionError("no route to host"))
    with pytest.raises(InputError, match="network access and that MP_API_KEY"):
        mp_candidates(["Al"], client=client)


def test_missing_key_names_the_variable(monkeypatch):
    pytest.importorskip("mp_api")
    monkeypatch.delenv("MP_API_KEY", raising=False)
    with pytest.raises(InputError, match="MP_API_KEY"):
        make_client()
    with pytest.raises(InputError, match="MP_API_KEY"):
        mp_candidates(["Al"])


def test_missing_extra_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("mp_api"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingExtraError, match=r"alloyscreen\[mp\]"):
        make_client("some-key")


def test_generate_with_mp_source_dedups_against_known(docs):
    from alloyscreen.structures.generate import generate_candidates

    cs = generate_candidates(
        ["Bi"], prototypes=(), references=False, sources=["mp"], mp_client=FakeMPRester(docs)
    )
    # mp-fixture-2 is D0_3 Li3Bi = the known phase: dropped, known kept
    assert [c.id for c in cs] == ["Li-bcc", "Li3Bi-D03"]
    assert cs.generator["deduplicated"][0]["dropped"] == "Li3Bi-mp-fixture-2"
