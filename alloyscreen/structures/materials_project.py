"""Materials Project source (extra ``mp``): Li–M binaries near the convex hull via mp-api.

Needs the ``mp-api`` package (``pip install 'alloyscreen[mp]'``) and an API key in
``MP_API_KEY`` (or passed explicitly). Structures are the Materials Project's DFT (PBE/r2SCAN)
relaxed structures, not experimental ones; the provenance says so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymatgen.core import Structure

from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.structures.candidates import Candidate
from alloyscreen.structures.prototypes import check_element

logger = logging.getLogger(__name__)

#: Fields requested from the summary endpoint.
MP_FIELDS = ("material_id", "formula_pretty", "structure", "energy_above_hull", "symmetry")

#: Default hull tolerance (eV/atom).
DEFAULT_MAX_E_ABOVE_HULL = 0.025


def _get(doc: Any, key: str, default: Any = None) -> Any:
    if isinstance(doc, Mapping):
        return doc.get(key, default)
    return getattr(doc, key, default)


def _spacegroup_symbol(doc: Any) -> str:
    sym = _get(doc, "symmetry")
    if sym is None:
        return "mp"
    return str(_get(sym, "symbol", None) or "mp")


def make_client(api_key: str | None = None) -> Any:
    """An ``mp_api.client.MPRester`` (context manager) with the key from arg or ``MP_API_KEY``.

    Raises
    ------
    MissingExtraError
        ``mp-api`` is not installed.
    InputError
        No API key is available, or the client cannot reach the server (``MPRester`` contacts
        it when it is created).
    """
    try:
        from mp_api.client import MPRester
    except ImportError as exc:
        raise MissingExtraError("mp-api", "mp", "the Materials Project source") from exc
    key = api_key or os.environ.get("MP_API_KEY")
    if not key:
        raise InputError(
            "the Materials Project source needs an API key: set the environment variable "
            "MP_API_KEY (get a key at https://next-gen.materialsproject.org/api) and rerun"
        )
    try:
        return MPRester(api_key=key, mute_progress_bars=True)
    except Exception as exc:  # requests/urllib3/MPRestError: no network, proxy, bad key...
        raise InputError(
            f"cannot reach the Materials Project ({type(exc).__name__}: {exc}); check network "
            "access and MP_API_KEY, or import structures from files instead"
        ) from exc


def query_li_binaries(client: Any, elements: Sequence[str], max_e_above_hull: float) -> list[Any]:
    """Summary docs of the Li–M chemical systems with E_hull <= ``max_e_above_hull``."""
    chemsys = [f"Li-{el}" for el in elements]
    try:
        docs = client.materials.summary.search(
            chemsys=chemsys,
            energy_above_hull=(0.0, float(max_e_above_hull)),
            fields=list(MP_FIELDS),
        )
    except (InputError, MissingExtraError):
        raise
    except Exception as exc:  # mp-api raises requests/MPRestError subclasses
        raise InputError(
            f"Materials Project query for {', '.join(chemsys)} failed ({type(exc).__name__}: "
            f"{exc}); check network access and that MP_API_KEY is valid"
        ) from exc
    return list(docs)


def docs_to_candidates(docs: Iterable[Any], max_e_above_hull: float) -> list[Candidate]:
    """Candidates from summary docs (objects or dicts), sorted by formula, E_hull, id."""
    rows = []
    for doc in docs:
        structure = _get(doc, "structure")
        if structure is None:
            continue
        if not isinstance(structure, Structure):
            structure = Structure.from_dict(structure)
        e_hull = _get(doc, "energy_above_hull")
        if e_hull is not None and float(e_hull) > max_e_above_hull + 1e-12:
            continue
        elements = {el.symbol for el in structure.composition.elements}
        if "Li" not in elements or len(elements) != 2:
            continue
        rows.append((structure, str(_get(doc, "material_id")), e_hull, doc))
    rows.sort(key=lambda r: (r[0].composition.reduced_formula, r[2] or 0.0, r[1]))
    out = []
    for structure, mpid, e_hull, doc in rows:
        formula = structure.composition.reduced_formula
        out.append(
            Candidate(
                id=f"{formula}-{mpid}",
                formula=formula,
                structure=structure,
                prototype=_spacegroup_symbol(doc),
                source="mp",
                category="alloy",
                provenance={
                    "material_id": mpid,
                    "energy_above_hull_eV_atom": None if e_hull is None else float(e_hull),
                    "max_energy_above_hull_eV_atom": max_e_above_hull,
                    "database": "Materials Project (mp-api summary endpoint)",
                    "citation": "A. Jain et al., APL Materials 1, 011002 (2013), "
                    "doi:10.1063/1.4812323",
                    "note": "DFT-relaxed structure, not an experimental one",
                },
            )
        )
    return out


def mp_candidates(
    elements: Iterable[str],
    *,
    max_e_above_hull: float = DEFAULT_MAX_E_ABOVE_HULL,
    api_key: str | None = None,
    client: Any | None = None,
) -> list[Candidate]:
    """Li–M binaries from the Materials Project with E_hull <= ``max_e_above_hull`` (eV/atom).

    Parameters
    ----------
    elements : iterable of str
        Alloying elements M.
    max_e_above_hull : float
        Hull tolerance in eV/atom (>= 0).
    api_key : str, optional
        Overrides ``MP_API_KEY``.
    client : object, optional
        An ``MPRester``-like object (``client.materials.summary.search``); tests pass a mock.
    """
    els = [check_element(e) for e in elements]
    if max_e_above_hull < 0:
        raise InputError(f"max energy above hull must be >= 0 eV/atom (got {max_e_above_hull})")
    if client is not None:
        return docs_to_candidates(
            query_li_binaries(client, els, max_e_above_hull), max_e_above_hull
        )
    try:
        with make_client(api_key) as mpr:
            docs = query_li_binaries(mpr, els, max_e_above_hull)
    except (InputError, MissingExtraError):
        raise
    except Exception as exc:  # connection set-up failures
        raise InputError(
            f"cannot reach the Materials Project ({type(exc).__name__}: {exc}); "
            "check network access and MP_API_KEY"
        ) from exc
    return docs_to_candidates(docs, max_e_above_hull)
