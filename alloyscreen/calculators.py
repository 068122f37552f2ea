"""Map calculator names to ASE calculator factories — the only place that does.

``get_calculator(name, **kwargs)`` returns ``(calculator, identity)``. The identity record (name,
package version, model version, parameters) goes into provenance and into the content key of every
stored result, so that results of different models or settings never mix.

Heavy packages (torch, chgnet, sevenn, gpaw) are imported only when their calculator is asked for;
a missing one raises :class:`~alloyscreen.errors.MissingExtraError` naming the extra to install.
Nothing here touches the network: the ML potentials load weights shipped in their wheels.

The ML potentials built here carry a batched single-point function
(:data:`alloyscreen.properties.batched.BATCH_ATTRIBUTE`) used by
:func:`alloyscreen.properties.batched.energies`; other calculators are evaluated one by one.
SevenNet calculators also carry a batched relaxation
(:data:`~alloyscreen.properties.batched.RELAX_ATTRIBUTE`, torch-sim's FIRE,
:mod:`alloyscreen.torchsim_relax`) when torch-sim is installed (extra ``batched``); without it
:func:`alloyscreen.properties.batched.relax` loops over ASE optimizers.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.emt import EMT

from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.properties.batched import BATCH_ATTRIBUTE, RELAX_ATTRIBUTE

logger = logging.getLogger(__name__)

#: SevenNet-0: closest to GPAW/PBE on every row of the validation set (docs/validation.md) at
#: about 1.8x CHGNet's cost per call. CHGNet stays one flag away (--calculator chgnet).
DEFAULT_CALCULATOR = "sevenn"

#: Keyword arguments that select hardware, not physics: they stay out of the identity record.
_RUNTIME_KWARGS = frozenset({"device", "use_device", "txt", "directory", "command"})


@dataclass(frozen=True)
class CalculatorIdentity:
    """What produced a number: used for provenance and for content keys.

    Attributes
    ----------
    name : str
        Registry name (``chgnet``) or dotted path (``ase.calculators.lj:LennardJones``).
    package, package_version : str
        Python distribution providing the calculator and its installed version.
    model : str
        Model/potential version (``0.3.0`` for CHGNet, ``7net-0`` for SevenNet, ``-`` otherwise).
    parameters : dict
        Physics-relevant keyword arguments (sorted; hardware options excluded).
    """

    name: str
    package: str
    package_version: str
    model: str = "-"
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form (stable key order) for hashing and storage."""
        return {
            "name": self.name,
            "package": self.package,
            "package_version": self.package_version,
            "model": self.model,
            "parameters": {k: self.parameters[k] for k in sorted(self.parameters)},
        }

    @property
    def label(self) -> str:
        """Short human label, e.g. ``chgnet 0.3.0``."""
        return f"{self.name} {self.model}" if self.model != "-" else self.name


@dataclass(frozen=True)
class CalculatorEntry:
    """One row of the calculator table.

    Attributes
    ----------
    package : str
        Distribution whose version goes into the identity.
    extra : str or None
        ``pip install 'alloyscreen[extra]'`` that provides it (None: always installed).
    factory : str or callable
        ``module:function`` imported only when the calculator is built (or the function itself).
    default_model : str
    description : str
    identity_parameters : str or callable, optional
        ``module:function`` ``(name, params) -> params`` completing the physics parameters of the
        identity (a DFT code's full preset), so that changing a default changes content keys.
    """

    package: str
    extra: str | None
    factory: str | Callable[..., Calculator]
    default_model: str
    description: str
    identity_parameters: str | Callable[[str, dict[str, Any]], dict[str, Any]] | None = None


def _resolve(target: str | Callable[..., Any]) -> Callable[..., Any]:
    """The function behind a ``module:function`` path (imported now), or ``target`` itself."""
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _select_device(device: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU (respecting CUDA_VISIBLE_DEVICES), else ``cpu``."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _make_chgnet(model: str = "0.3.0", device: str = "auto", **kwargs: Any) -> Calculator:
    try:
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator
    except ImportError as exc:
        raise MissingExtraError("chgnet", "ml", "the chgnet calculator") from exc
    # CHGNet prints its device choice on stdout; keep stdout clean for --json output.
    with contextlib.redirect_stdout(io.StringIO()):
        net = CHGNet.load(model_name=model, verbose=False, use_device=_select_device(device))
        calc = CHGNetCalculator(model=net, use_device=_select_device(device), **kwargs)
    setattr(calc, BATCH_ATTRIBUTE, _chgnet_batch_energies)
    return calc


#: Structures per forward pass of the batched paths when the caller leaves it open: on a CPU one
#: (with one thread, batches of 4 and 16 54-atom cells were 0.5-0.75x as fast per structure as
#: single ones, benchmarks/bench_batched.py), on a GPU enough to fill it.
BATCH_SIZE = {"cpu": 1, "cuda": 64}


def _batch_size(batch_size: int | None, device: Any) -> int:
    if batch_size is not None:
        return batch_size
    return BATCH_SIZE["cuda" if str(device).startswith("cuda") else "cpu"]


def _chgnet_batch_energies(
    calc: Calculator, atoms_list: list[Atoms], batch_size: int | None
) -> list[float]:
    """CHGNet's native batched inference (``predict_graph``, energies only) on the model's device;
    the graphs are built on the CPU as the ASE calculator builds them."""
    from pymatgen.io.ase import AseAtomsAdaptor

    model = calc.model
    graphs = [model.graph_converter(AseAtomsAdaptor.get_structure(a)) for a in atoms_list]
    size = _batch_size(batch_size, next(model.parameters()).device)
    predictions = model.predict_graph(graphs, task="e", batch_size=size)
    if len(graphs) == 1:
        predictions = [predictions]
    return [
        float(p["e"]) * (len(a) if model.is_intensive else 1)
        for p, a in zip(predictions, atoms_list, strict=True)
    ]


def _make_sevenn(model: str = "7net-0", device: str = "auto", **kwargs: Any) -> Calculator:
    try:
        from sevenn.calculator import SevenNetCalculator
    except ImportError as exc:
        raise MissingExtraError("sevenn", "ml", "the sevenn calculator") from exc
    import warnings

    with warnings.catch_warnings():
        # SevenNet warns that no tensor-product accelerator is enabled: irrelevant on CPU.
        warnings.simplefilter("ignore", UserWarning)
        calc = SevenNetCalculator(model=model, device=_select_device(device), **kwargs)
    setattr(calc, BATCH_ATTRIBUTE, _sevenn_batch_energies)
    from alloyscreen.torchsim_relax import sevenn_batch_relax, torchsim_available

    if torchsim_available():  # found by metadata; torch_sim is imported on the first relax()
        setattr(calc, RELAX_ATTRIBUTE, sevenn_batch_relax)
    return calc


def _sevenn_batch_energies(
    calc: Calculator, atoms_list: list[Atoms], batch_size: int | None
) -> list[float]:
    """SevenNet on collated graph batches (as SevenNet trains), ``batch_size`` structures per
    forward pass on the model's device; graphs built on the CPU as the ASE calculator builds them."""
    import sevenn._keys as KEY
    from sevenn.atom_graph_data import AtomGraphData
    from sevenn.train.dataload import unlabeled_atoms_to_graph
    from torch_geometric.loader.dataloader import Collater

    if getattr(calc, "compute_atomic_virial", False):
        raise NotImplementedError("SevenNet with per-atom virials: no batched path")
    model = calc.model
    batch_size = _batch_size(batch_size, calc.device)
    collate = Collater([], follow_batch=None, exclude_keys=None)
    out: list[float] = []
    model.set_is_batch_data(True)
    try:
        for start in range(0, len(atoms_list), batch_size):
            graphs = []
            for atoms in atoms_list[start : start + batch_size]:
                data = AtomGraphData.from_numpy_dict(
                    unlabeled_atoms_to_graph(atoms, calc.cutoff, with_shift=False)
                )
                if calc.modal:
                    data[KEY.DATA_MODALITY] = calc.modal
                graphs.append(data)
            batch = collate(graphs)
            batch.to(calc.device)
            output = model(batch)
            out.extend(float(e) for e in output[KEY.PRED_TOTAL_ENERGY].detach().cpu().reshape(-1))
    finally:
        model.set_is_batch_data(False)
    return out


class CheckedEMT(EMT):
    """ASE's EMT that names the elements it has no parameters for instead of a bare KeyError."""

    def initialize(self, atoms: Atoms) -> None:
        check_elements(atoms, "emt")
        super().initialize(atoms)


def _make_emt(**kwargs: Any) -> Calculator:
    return CheckedEMT(**kwargs)


def _emt_elements() -> frozenset[str]:
    from ase.calculators.emt import parameters

    return frozenset(parameters)


#: The calculator table: every built-in name, its package and a lazy path to its factory (as
#: ASE's calculator table names modules), so that nothing is imported or registered before a
#: calculator is asked for. Plugins add rows with :func:`register_calculator`.
CALCULATORS: dict[str, CalculatorEntry] = {
    "chgnet": CalculatorEntry(
        "chgnet", "ml", _make_chgnet, "0.3.0", "CHGNet 0.3.0 universal potential (fastest)"
    ),
    "sevenn": CalculatorEntry(
        "sevenn", "ml", _make_sevenn, "7net-0", "SevenNet-0 universal potential (default)"
    ),
    "emt": CalculatorEntry(
        "ase",
        None,
        _make_emt,
        "-",
        "ASE effective medium theory (Al Cu Ag Au Ni Pd Pt C N O H; no Li)",
    ),
    "espresso": CalculatorEntry(
        "ase",
        None,
        "alloyscreen.dft.espresso:make_espresso",
        "-",
        "Quantum ESPRESSO pw.x via ASE (needs pw.x and pseudopotentials)",
        "alloyscreen.dft.presets:identity_parameters",
    ),
    "gpaw": CalculatorEntry(
        "gpaw",
        "dft",
        "alloyscreen.dft.gpaw:make_gpaw",
        "-",
        "GPAW plane-wave DFT (PBE, presets; build with `make dft`)",
        "alloyscreen.dft.presets:identity_parameters",
    ),
    "vasp": CalculatorEntry(
        "ase",
        None,
        "alloyscreen.dft.vasp:make_vasp",
        "-",
        "VASP via ASE (needs the user's VASP binary and POTCARs)",
        "alloyscreen.dft.presets:identity_parameters",
    ),
}

#: DFT codes among the calculators (their presets live in :mod:`alloyscreen.dft`).
DFT_CODES = frozenset({"gpaw", "vasp", "espresso"})


def register_calculator(
    name: str,
    factory: str | Callable[..., Calculator],
    *,
    package: str,
    extra: str | None = None,
    default_model: str = "-",
    description: str = "",
    identity_parameters: str | Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Add a row to :data:`CALCULATORS` (plugins, tests).

    ``identity_parameters(name, params) -> params``, if given, completes the physics parameters
    recorded in the identity (e.g. a DFT code's preset values), so that changing a default
    changes keys.
    """
    CALCULATORS[name] = CalculatorEntry(
        package, extra, factory, default_model, description, identity_parameters
    )


def available_calculators() -> dict[str, str]:
    """Names in the table and a one-line description of each."""
    return {name: entry.description for name, entry in sorted(CALCULATORS.items())}


def calculator_records() -> list[dict[str, Any]]:
    """``alloyscreen calculators list``: one record per row of the table, sorted by name, with
    whether its package is installed here (found by metadata; nothing is imported)."""
    import importlib.util

    def installed(name: str, package: str) -> bool:
        return package == "ase" or ":" in name or importlib.util.find_spec(package) is not None

    return [
        {
            "name": name,
            "package": entry.package,
            "extra": entry.extra,
            "installed": installed(name, entry.package),
            "description": entry.description,
        }
        for name, entry in sorted(CALCULATORS.items())
    ]


def _split_dotted(name: str) -> tuple[str, str]:
    module, _, attr = name.partition(":")
    if not module or not attr:
        raise InputError(
            f"calculator '{name}': a dotted path must look like 'package.module:ClassName' "
            "(e.g. 'ase.calculators.lj:LennardJones')"
        )
    return module, attr


def calculator_identity(name: str = DEFAULT_CALCULATOR, **kwargs: Any) -> CalculatorIdentity:
    """Identity record for ``name`` with ``kwargs``, without building the calculator.

    Cheap: it reads package versions from metadata and imports no model code.
    """
    params = {k: v for k, v in kwargs.items() if k not in _RUNTIME_KWARGS}
    if ":" in name:
        module, _ = _split_dotted(name)
        package = module.split(".")[0]
        return CalculatorIdentity(name, package, _version(package), "-", params)
    entry = _lookup(name)
    model = str(params.pop("model", entry.default_model))
    if entry.identity_parameters is not None:
        params = _resolve(entry.identity_parameters)(name, params)
    return CalculatorIdentity(name, entry.package, _version(entry.package), model, params)


def _lookup(name: str) -> CalculatorEntry:
    try:
        return CALCULATORS[name]
    except KeyError:
        known = ", ".join(sorted(CALCULATORS))
        raise InputError(
            f"unknown calculator '{name}'; available: {known}, "
            "or an ASE calculator class as 'package.module:ClassName'"
        ) from None


def get_calculator(
    name: str = DEFAULT_CALCULATOR, **kwargs: Any
) -> tuple[Calculator, CalculatorIdentity]:
    """Build the calculator called ``name``.

    Parameters
    ----------
    name : str
        ``sevenn`` (default), ``chgnet``, ``emt``, a name added with :func:`register_calculator`
        (``gpaw``...), or an ASE calculator class as ``package.module:ClassName``.
    **kwargs
        Passed to the factory. ``model`` selects the ML model version; ``device`` (``auto``,
        ``cpu``, ``cuda``) picks hardware and is not part of the identity.

    Returns
    -------
    calculator : ase.calculators.calculator.Calculator
    identity : CalculatorIdentity
    """
    identity = calculator_identity(name, **kwargs)
    if ":" in name:
        module_name, attr = _split_dotted(name)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InputError(
                f"calculator '{name}': cannot import module '{module_name}' ({exc})"
            ) from exc
        try:
            cls = getattr(module, attr)
        except AttributeError:
            raise InputError(
                f"calculator '{name}': module '{module_name}' has no '{attr}'"
            ) from None
        return cls(**kwargs), identity
    entry = _lookup(name)
    try:
        calc = _resolve(entry.factory)(**kwargs)
    except MissingExtraError:
        raise
    except ImportError as exc:
        extra = entry.extra or entry.package
        raise MissingExtraError(entry.package, extra, f"the {name} calculator") from exc
    logger.debug("built calculator %s", identity.label)
    return calc, identity


def supported_elements(name: str) -> frozenset[str] | None:
    """Elements a calculator can treat, or ``None`` when it has no fixed list."""
    if name == "emt":
        return _emt_elements()
    return None


def check_elements(atoms_or_symbols: Any, name: str) -> None:
    """Raise :class:`InputError` naming the elements ``name`` cannot treat."""
    allowed = supported_elements(name)
    if allowed is None:
        return
    symbols: Iterable[str] = (
        atoms_or_symbols.get_chemical_symbols()
        if hasattr(atoms_or_symbols, "get_chemical_symbols")
        else atoms_or_symbols
    )
    missing = sorted(set(symbols) - allowed)
    if missing:
        raise InputError(
            f"calculator '{name}' has no parameters for element(s) {', '.join(missing)}; "
            f"it supports {', '.join(sorted(allowed))}. Use --calculator chgnet (or sevenn) instead."
        )
