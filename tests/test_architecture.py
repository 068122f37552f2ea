"""The package's layers (CONTRIBUTING.md, "Layers"): every import points down, and none loops.

Every module of ``alloyscreen`` is parsed with :mod:`ast`; all its imports count, those inside
functions too, and so do the lazy ``"alloyscreen.module:function"`` paths of the calculator and
task tables (a worker imports them). Each module belongs to one layer (longest matching prefix in
:data:`LAYERS`); an import may go to the same layer or a lower one, never up, and the module graph
has no cycle. Known violations that other areas still have are listed, each with its reason, in
the allowlists below; an entry that no longer occurs fails the test, so the lists only shrink.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alloyscreen"

#: Module prefix -> (rank, layer). Imports go to an equal or lower rank. Longest prefix wins.
LAYERS: dict[str, tuple[int, str]] = {
    # foundation: no science, no machinery
    "alloyscreen": (0, "foundation"),
    "alloyscreen.errors": (0, "foundation"),
    "alloyscreen.serialization": (0, "foundation"),
    "alloyscreen.provenance": (0, "foundation"),
    "alloyscreen.formula": (0, "foundation"),
    # science: pure functions (atoms, calc, options) -> frozen dataclass
    "alloyscreen.experiments": (10, "science"),
    "alloyscreen.structures": (10, "science"),
    "alloyscreen.properties": (11, "science"),
    "alloyscreen.percolation": (11, "science"),
    "alloyscreen.interphase": (12, "science"),
    # machinery: calculators, tasks and their keys, the store, engines, campaigns
    "alloyscreen.calculators": (20, "machinery"),
    "alloyscreen.torchsim_relax": (20, "machinery"),
    "alloyscreen.dft": (20, "machinery"),
    "alloyscreen.tasks": (21, "machinery"),
    "alloyscreen.results": (22, "machinery"),
    "alloyscreen.store": (22, "machinery"),
    "alloyscreen.element_references": (22, "machinery"),
    "alloyscreen.engines": (23, "machinery"),
    "alloyscreen.runner": (24, "machinery"),
    "alloyscreen.workflow": (24, "machinery"),
    "alloyscreen.ranking": (24, "machinery"),
    "alloyscreen.shortlist_validation": (25, "machinery"),
    "alloyscreen.funnel": (24, "machinery"),
    "alloyscreen.campaign": (26, "machinery"),
    "alloyscreen.recipes": (27, "machinery"),
    "alloyscreen.ml_vs_dft": (27, "machinery"),
    "alloyscreen.dft_reference": (27, "machinery"),
    "alloyscreen.phase_discovery": (27, "machinery"),
    "alloyscreen.interphase_route": (27, "machinery"),
    "alloyscreen.submission": (27, "machinery"),
    # interface: what users see
    "alloyscreen.shortlist_table": (40, "interface"),
    "alloyscreen.report": (40, "interface"),
    "alloyscreen.cli": (41, "interface"),
    "alloyscreen.__main__": (42, "interface"),
}

#: Upward imports still present: (importer, imported module) -> reason. Empty it, don't grow it.
ALLOWLIST_UPWARD: dict[tuple[str, str], str] = {}

#: Import cycles still present (the modules of each strongly connected component) -> reason.
ALLOWLIST_CYCLES: dict[frozenset[str], str] = {}

#: Modules over MAX_LINES lines and why they stay whole.
MAX_LINES = 600
LARGE_MODULES: dict[str, str] = {
    "alloyscreen.properties.adhesion": (
        "one workflow (terminations, lattice match, registry scan, relaxations, W_ad) whose "
        "steps share the slab/interface bookkeeping; issue 16 follow-up: split scan/relax"
    ),
    "alloyscreen.structures.slabs": (
        "slab builders with their termination enumeration and polarity checks (one concept)"
    ),
    "alloyscreen.structures.hops": (
        "hop enumeration (vacancy and interstitial) and the periodic hop network it defines"
    ),
    "alloyscreen.engines.slurm": "issue 19: engine plus state helpers used only by `status`",
    "alloyscreen.campaign": (
        "the campaign sequence (relax, structure steps or the screening funnel, interphase "
        "routes, ranking); the funnel's stages are pure functions in alloyscreen.funnel"
    ),
    "alloyscreen.interphase.design": "issue 15: maths, plotting and workflow glue to split",
    "alloyscreen.interphase.calibration": (
        "observations, per-metal V_p windows, calibrated verdicts and their contradictions: one "
        "concept (issue 16 follow-up: the verdict record could move to classification)"
    ),
    "alloyscreen.experiments.reference_data": (
        "the experimental reference table: loader, matching and unit handling of one dataset"
    ),
    "alloyscreen.experiments.comparison": (
        "rank correlation, bootstrap intervals, disagreements, parity plots and the two "
        "validation reports built from them"
    ),
    "alloyscreen.percolation._continuum_kernels": (
        "numba kernels of the continuum percolation model, kept together for compilation"
    ),
}

_LAZY_PATH = re.compile(r"^(alloyscreen(?:\.\w+)+):\w+$")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The most specific module of the package that ``name`` (module or attribute) lies in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    """Modules of the package that ``module`` imports anywhere (or names by a lazy path)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            # ``from package import submodule`` depends on the submodule, not on the package
            names += [
                f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                for a in node.names
            ]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _LAZY_PATH.match(node.value)
            if match:
                names.append(match.group(1))
    found = {_resolve(n) for n in names if n.split(".")[0] == "alloyscreen"}
    return {m for m in found if m and m != module}


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def layer_of(module: str) -> tuple[int, str]:
    """(rank, layer) of ``module`` by the longest matching prefix of :data:`LAYERS`."""
    best = None
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    if best is None or (best == "alloyscreen" and module != "alloyscreen"):
        raise KeyError(module)
    return LAYERS[best]


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm (iterative); components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.add(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def test_every_module_has_a_layer():
    missing = []
    for module in MODULES:
        try:
            layer_of(module)
        except KeyError:
            missing.append(module)
    assert not missing, f"add these modules to LAYERS (and CONTRIBUTING.md): {missing}"


def _upward() -> set[tuple[str, str]]:
    return {
        (a, b) for a, targets in GRAPH.items() for b in targets if layer_of(b)[0] > layer_of(a)[0]
    }


def test_no_upward_imports():
    found = _upward()
    new = sorted(found - set(ALLOWLIST_UPWARD))
    assert not new, "upward imports (importer -> imported, see CONTRIBUTING.md 'Layers'):\n" + (
        "\n".join(f"  {a} ({layer_of(a)[1]}) -> {b} ({layer_of(b)[1]})" for a, b in new)
    )


def test_allowlisted_upward_imports_still_exist():
    stale = sorted(set(ALLOWLIST_UPWARD) - _upward())
    assert not stale, f"fixed, remove from ALLOWLIST_UPWARD: {stale}"


def test_no_import_cycles():
    cycles = [frozenset(c) for c in _strongly_connected(GRAPH)]
    new = [sorted(c) for c in cycles if c not in ALLOWLIST_CYCLES]
    assert not new, f"import cycles: {new}"
    stale = [sorted(c) for c in ALLOWLIST_CYCLES if c not in cycles]
    assert not stale, f"fixed or changed, update ALLOWLIST_CYCLES: {stale}"


def test_science_never_imports_machinery_or_interface_directly():
    """The house rule in its plainest form (allowlisted exceptions aside)."""
    bad = sorted(
        (a, b)
        for a, targets in GRAPH.items()
        for b in targets
        if layer_of(a)[1] == "science"
        and layer_of(b)[1] in ("machinery", "interface")
        and (a, b) not in ALLOWLIST_UPWARD
    )
    assert not bad


def test_large_modules_state_a_reason():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    unexplained = sorted(m for m, n in sizes.items() if n > MAX_LINES and m not in LARGE_MODULES)
    assert not unexplained, f"modules over {MAX_LINES} lines without a reason: {unexplained}"
    stale = sorted(m for m in LARGE_MODULES if m not in sizes or sizes[m] <= MAX_LINES)
    assert not stale, f"no longer large (or gone), remove from LARGE_MODULES: {stale}"


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("alloyscreen.dft", "alloyscreen.calculators"),  # no import-time registration
        ("alloyscreen.dft", "alloyscreen.tasks"),
        ("alloyscreen.tasks", "alloyscreen.structures"),  # reduced_formula moved down
        ("alloyscreen.properties", "alloyscreen.calculators"),  # calculators are passed in
    ],
)
def test_the_edges_named_in_issue_16_are_gone(importer, imported):
    def within(module: str, prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    found = [
        (a, b)
        for a, targets in GRAPH.items()
        if within(a, importer)
        for b in targets
        if within(b, imported)
    ]
    assert not found


def test_the_detector_sees_function_level_imports_and_lazy_paths():
    # worker.py resolves task functions only through the tasks table ...
    assert "alloyscreen.tasks" in GRAPH["alloyscreen.engines.worker"]
    # ... whose lazy paths are edges too (tasks -> properties.bulk:relax_bulk)
    assert "alloyscreen.properties.bulk" in GRAPH["alloyscreen.tasks"]
    assert "alloyscreen.dft.gpaw" in GRAPH["alloyscreen.calculators"]
    # an import inside a function (cli commands import science lazily)
    assert "alloyscreen.recipes" in GRAPH["alloyscreen.cli.migration"]
