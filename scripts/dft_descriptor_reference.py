#!/usr/bin/env python
"""Regenerate the DFT reference set of the screening descriptors (GPAW single points).

    .venv/bin/python scripts/dft_descriptor_reference.py [--only ID ...] [--ecut 350]
        [--kpt-density 2.5] [--part interfaces|hops|terminations]
        [-o alloyscreen/data/dft_descriptor_reference.json]

About 70 minutes of one core for the shipped set (defaults). Two processes can split it
(``--part interfaces`` / ``--part hops`` with their own ``-o``; merge the ``.partial.json``
sections and rerun once to add the ML values and write the file).

What it computes (DFT relaxation of every interface and band is too slow on a workstation, so
DFT single points are taken at geometries relaxed with the ML potential, and said so in the file):

1. Geometries with SevenNet-0 (the project's default): each substrate is relaxed
   (``relax_bulk``), its Li interface built and relaxed (``work_of_adhesion``, default settings,
   one relaxed registry), and for the hop phases a CI-NEB run (``migration_barriers``) gives the
   lowest converged vacancy hop's initial and saddle images.
2. GPAW (PBE, plane waves, the project's ``interface`` preset with the cutoff and k-point density
   given here) at those geometries: the ideal work of separation of each interface
   (:func:`alloyscreen.properties.fixed_geometry.work_of_separation`) and ``E(saddle) -
   E(initial)`` of each hop (:func:`~alloyscreen.properties.fixed_geometry.hop_barrier`).
3. The termination check (``terminations``): for the substrates in :data:`TERMINATION_SYSTEMS`
   every termination is computed with SevenNet-0 (``max_terminations = 0``, the relaxed
   structures kept) and GPAW re-evaluates each termination's W_ad and interface energy against
   Li metal at those structures
   (:func:`alloyscreen.properties.interface_energy.termination_energetics_at`), so that the set
   records which termination DFT selects.

The output JSON holds every geometry, the DFT energies, the GPAW and gpaw-data versions and every
setting. Work is checkpointed next to the output (``.partial.json``): an interrupted run resumes.
Seed lattice constants (relaxed before use, so they only start the relaxation) are cited below.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from importlib.metadata import version
from pathlib import Path

from ase.build import bulk
from ase.io.jsonio import encode
from ase.spacegroup import crystal

logger = logging.getLogger("dft_descriptor_reference")

# Seeds (relaxed with the ML potential before use). Elements: C. Kittel, Introduction to Solid
# State Physics, 8th ed. (Wiley 2005), Table 1.3 (Li bcc 3.49 at 78 K, Cu 3.61, Al 4.05,
# Mg hcp 3.21/5.21). Compounds: R. W. G. Wyckoff, Crystal Structures Vol. 1 (1963) (Li2S 5.708,
# Li2O 4.61, LiF 4.027); LiAl B32 6.37 and LiAg B2 3.17: P. Villars & L. D. Calvert, Pearson's
# Handbook of Crystallographic Data for Intermetallic Phases (ASM 1991).


def _antifluorite(anion: str, a: float):
    return crystal(
        [anion, "Li"], [(0, 0, 0), (0.25, 0.25, 0.25)], spacegroup=225, cellpar=[a] * 3 + [90] * 3
    )


SUBSTRATES = {
    "Li-bcc": lambda: bulk("Li", "bcc", a=3.49, cubic=True),
    "Cu-fcc": lambda: bulk("Cu", "fcc", a=3.61, cubic=True),
    "Al-fcc": lambda: bulk("Al", "fcc", a=4.05, cubic=True),
    "Mg-hcp": lambda: bulk("Mg", "hcp", a=3.21, c=5.21),
    "LiAl-B32": lambda: crystal(
        ["Li", "Al"],
        [(0, 0, 0), (0.5, 0.5, 0.5)],
        spacegroup=227,
        cellpar=[6.37] * 3 + [90] * 3,
        setting=1,
    ),
    "LiAg-B2": lambda: crystal(
        ["Li", "Ag"], [(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=221, cellpar=[3.17] * 3 + [90] * 3
    ),
    "Li2S-C1": lambda: _antifluorite("S", 5.708),
    "Li2O-C1": lambda: _antifluorite("O", 4.61),
    "LiF-B1": lambda: bulk("LiF", "rocksalt", a=4.027, cubic=True),
}
HOP_PHASES = ("Li-bcc", "LiAl-B32", "LiAg-B2", "Li2S-C1", "Li2O-C1")
#: Substrates whose termination choice is checked against DFT (several stoichiometric faces with
#: different chemistry: Li-, M- and mixed terminations), with their seeds. B32 LiSi is a
#: hypothetical prototype candidate of workflows/li_alloys.toml whose Si-terminated (111) face
#: is selected after a large relaxation; its seed lattice is the candidate file's Vegard guess
#: (6.911 Å from the elemental volumes of ase.data.reference_states: N. W. Ashcroft and
#: N. D. Mermin, Solid State Physics, 1976), relaxed before use.
TERMINATION_SYSTEMS = {
    "LiAl-B32": SUBSTRATES["LiAl-B32"],
    "LiSi-B32": lambda: crystal(
        ["Li", "Si"],
        [(0, 0, 0), (0.5, 0.5, 0.5)],
        spacegroup=227,
        cellpar=[6.911381] * 3 + [90] * 3,
        setting=1,
    ),
}


def _load(path: Path) -> dict:
    data = json.loads(path.read_text()) if path.is_file() else {"interfaces": {}, "hops": {}}
    data.setdefault("terminations", {})
    return data


def _save(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    from alloyscreen.calculators import get_calculator
    from alloyscreen.dft_reference import termination_entry
    from alloyscreen.properties.adhesion import work_of_adhesion
    from alloyscreen.properties.bulk import relax_bulk
    from alloyscreen.properties.fixed_geometry import hop_barrier, work_of_separation
    from alloyscreen.properties.interface_energy import termination_energetics_at
    from alloyscreen.properties.migration import migration_barriers

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", default="alloyscreen/data/dft_descriptor_reference.json")
    ap.add_argument("--only", nargs="*", help="substrate/hop ids to (re)compute")
    ap.add_argument("--ecut", type=float, default=350.0, help="plane-wave cutoff (eV)")
    ap.add_argument("--kpt-density", type=float, default=2.5, help="k-points per Å^-1")
    ap.add_argument("--geometry-calculator", default="sevenn")
    ap.add_argument(
        "--ml-calculators",
        default="sevenn,chgnet",
        help="ML potentials evaluated at the reference geometries (stored as ml_values)",
    )
    ap.add_argument(
        "--max-atoms", type=int, default=40, help="largest interface (atoms) for the DFT set"
    )
    ap.add_argument("--substrate-layers", type=int, default=3, help="substrate layers per slab")
    ap.add_argument("--li-layers", type=int, default=3, help="Li layers of the film")
    ap.add_argument(
        "--hop-min-length",
        type=float,
        default=7.0,
        help="shortest supercell vector of the hop cells (Å); ML and DFT see the same cell",
    )
    ap.add_argument(
        "--part",
        choices=("all", "interfaces", "hops", "terminations"),
        default="all",
        help="compute only this part (two processes can then share the work; merge the "
        ".partial.json files by section)",
    )
    ap.add_argument(
        "--allow-partial",
        action="store_true",
        help="write the output even when some systems are missing (they are listed in meta)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    out = Path(args.output)
    partial = out.with_suffix(".partial.json")
    data = _load(partial)
    ml, ml_id = get_calculator(args.geometry_calculator, device="cpu")
    dft_kwargs = {"preset": "interface", "ecut_eV": args.ecut, "kpt_density_A": args.kpt_density}
    settings = {
        **dft_kwargs,
        "max_atoms": args.max_atoms,
        "substrate_layers": args.substrate_layers,
        "li_layers": args.li_layers,
        "adhesion_n_relax": 1,
        "hop_max_hops": 2,
        "hop_min_length_A": args.hop_min_length,
    }
    dft, dft_id = get_calculator("gpaw", **dft_kwargs)
    redo = set(args.only or ())
    todo_int = [
        s
        for s in SUBSTRATES
        if args.part in ("all", "interfaces")
        and (s in redo or not redo)
        and (s in redo or s not in data["interfaces"])
    ]
    todo_hop = [
        s
        for s in HOP_PHASES
        if args.part in ("all", "hops")
        and (s in redo or not redo)
        and (s in redo or s not in data["hops"])
    ]
    todo_term = [
        s
        for s in TERMINATION_SYSTEMS
        if args.part in ("all", "terminations")
        and (s in redo or not redo)
        and (s in redo or s not in data["terminations"])
    ]
    relaxed = {}
    for sid in dict.fromkeys([*todo_int, *todo_hop, *todo_term]):
        relaxed[sid] = relax_bulk({**SUBSTRATES, **TERMINATION_SYSTEMS}[sid](), ml).atoms

    def ml_adhesion(sid: str, **options):
        return work_of_adhesion(
            relaxed[sid],
            ml,
            n_relax=1,
            max_atoms=args.max_atoms,
            substrate_layers=args.substrate_layers,
            li_layers=args.li_layers,
            **options,
        )

    for sid in todo_int:
        t0 = time.time()
        res = ml_adhesion(sid)
        sep = work_of_separation(res.atoms, dft)
        data["interfaces"][sid] = {
            "formula": res.formula,
            "termination": res.termination,
            "li_miller": list(res.li_miller),
            "w_adh_ml_relaxed_J_m2": res.w_adh_J_m2,
            "w_sep_dft_J_m2": sep.w_sep_J_m2,
            "area_A2": sep.area_A2,
            "energies_dft_eV": [sep.e_interface_eV, sep.e_substrate_eV, sep.e_film_eV],
            "atoms": encode(res.atoms),
            "wall_s": time.time() - t0,
        }
        _save(partial, data)
        logger.info("%s: W_sep(DFT) = %.3f J/m2 (%.0f s)", sid, sep.w_sep_J_m2, time.time() - t0)

    for sid in todo_hop:
        t0 = time.time()
        mig = migration_barriers(relaxed[sid], ml, max_hops=2, min_length_A=args.hop_min_length)
        hops = [h for h in mig.hops if h.converged and h.saddle_image is not None and h.images]
        if not hops:
            logger.warning("%s: no converged hop with images; skipped", sid)
            continue
        hop = min(hops, key=lambda h: h.barrier_eV)
        initial, saddle = hop.images[0], hop.images[hop.saddle_image]
        b = hop_barrier(initial, saddle, dft)
        data["hops"][sid] = {
            "formula": mig.formula,
            "hop_id": hop.hop_id,
            "mechanism": hop.mechanism,
            "barrier_ml_neb_eV": hop.barrier_eV,
            "barrier_dft_eV": b.barrier_eV,
            "energies_dft_eV": [b.e_initial_eV, b.e_saddle_eV],
            "initial": encode(initial),
            "saddle": encode(saddle),
            "wall_s": time.time() - t0,
        }
        _save(partial, data)
        logger.info(
            "%s: barrier(DFT at ML saddle) = %.3f eV (%.0f s)", sid, b.barrier_eV, time.time() - t0
        )

    for sid in todo_term:
        t0 = time.time()
        res = ml_adhesion(sid, max_terminations=0, keep_geometries=True)
        logger.info(
            "%s: %d terminations from the ML run; DFT single points", sid, len(res.geometries)
        )
        check = termination_energetics_at(
            res.geometries, relaxed[sid], dft, li_lattice_A=res.li_lattice_A
        )
        data["terminations"][sid] = {
            **termination_entry(res, relaxed[sid], check),
            "wall_s": time.time() - t0,
        }
        _save(partial, data)
        logger.info(
            "%s: ML selects %s, DFT selects %s (%.0f s)",
            sid,
            res.termination,
            data["terminations"][sid]["dft_selected"],
            time.time() - t0,
        )

    # ML potentials at the same geometries: what `alloyscreen validate --reference dft` and the
    # report compare without loading a model.
    from alloyscreen.dft_reference import evaluate_reference, evaluate_terminations

    data.setdefault("ml_values", {})
    for name in filter(None, (c.strip() for c in args.ml_calculators.split(","))):
        calc, cid = get_calculator(name, device="cpu")
        data["ml_values"][name] = evaluate_reference(data, calc)
        data.setdefault("ml_termination_values", {})[name] = evaluate_terminations(data, calc)
        data.setdefault("ml_calculators", {})[name] = cid.as_dict()
        _save(partial, data)

    data["meta"] = {
        "generated_by": "scripts/dft_descriptor_reference.py",
        "date": time.strftime("%Y-%m-%d"),
        "method": (
            "DFT single points at geometries relaxed with the ML potential: ideal work of "
            "separation of the ML-relaxed Li interface (halves cut at the interface geometry) and "
            "E(saddle) - E(initial) of the lowest converged ML CI-NEB vacancy hop; termination "
            "check: W_ad and interface energy against Li metal (Li-rich limit) of every "
            "termination at its ML-relaxed structures"
        ),
        "geometry_calculator": ml_id.as_dict(),
        "dft_calculator": dft_id.as_dict(),
        "settings": settings,
        "gpaw_version": version("gpaw"),
        "gpaw_data_version": version("gpaw-data"),
        "missing": [s for s in SUBSTRATES if s not in data["interfaces"]]
        + [f"hop {h}" for h in HOP_PHASES if h not in data["hops"]]
        + [f"terminations {t}" for t in TERMINATION_SYSTEMS if t not in data["terminations"]],
    }
    _save(partial, data)
    complete = not data["meta"]["missing"]
    if complete or args.allow_partial:
        out.parent.mkdir(parents=True, exist_ok=True)
        _save(out, data)
        print(f"wrote {out}")
    else:
        print(f"partial results in {partial}; rerun to complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
