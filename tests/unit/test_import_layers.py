"""The package's imports point one way: no module imports, at any depth (function-level imports
included), a module that imports it back, nor a module of a higher layer (`LAYERS`).

The layers, lowest first, as the imports read (`from nnc...` anywhere in a module counts):
the base (errors, settings, paths, logs, files, processes, sandbox) → the outside world's adapters
with no domain in them (storage, the ZK circuit, dataset file formats, then the chain's typed contracts, which use
the ZK prover) → `task` (specs and costs; `task.publish` stores a spec and escrows its budget,
so it sits above chain and storage) → `training` (the deterministic loop, checkpoints,
digests; it reads datasets through `storage.base.Store`) → `runtimes` (frameworks; train,
replay and evaluate dispatch) → `verification` and `library` (a registered model fetched and
checked against its digest, for the nodes, verifiers and oracle that train or score from it) →
node-level services (hardware profile, dry run and estimate, metrics, the daemon loop) → the
daemons → the API → the developer tools (the devnet, the demo, spot-check scenarios) → the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "nnc"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


LAYERS: dict[str, int] = {
    # base: no domain, imported by everything
    "nnc": 0, "nnc.errors": 0, "nnc.paths": 0, "nnc.logs": 0, "nnc.jsonfile": 0, "nnc.keystore": 0,
    "nnc.processes": 0, "nnc.resources": 0, "nnc.sandbox": 0, "nnc.sandbox_child": 0, "nnc.settings": 0,
    # the outside world's adapters
    "nnc.storage": 1, "nnc.zk": 1, "nnc.datasets": 1,
    "nnc.chain": 2,
    # cross-chain: Hyperlane's CLI and relayer as processes, the gateways' clients (the two-chain
    # devnet is a developer tool, below)
    "nnc.crosschain": 2,
    # the domain
    "nnc.task": 3,
    "nnc.training": 4,
    "nnc.runtimes": 5, "nnc.inference": 5, "nnc.distributed": 5,
    "nnc.verification": 6, "nnc.library": 6,
    # node-level services
    "nnc.node": 7, "nnc.metrics": 7, "nnc.daemon": 7,
    # daemons
    "nnc.oracle": 8, "nnc.worker": 8,
    "nnc.api": 9,
    # developer tools: a local devnet, the demo, and scenarios for tests and the benchmark
    "nnc.devnet": 10, "nnc.demo": 10, "nnc.container": 10, "nnc.narration": 10, "nnc.verification.scenario": 10,
    "nnc.crosschain.devnet": 10,
    "nnc.cli": 11, "nnc.__main__": 11,
}
"""Each module's layer: its own entry or its closest package's. A module imports only its own
layer or lower ones."""

ALLOWED_UPWARD: set[tuple[str, str]] = set()
"""Upward imports known and not yet fixed, as (importer, imported), each with its reason: none."""


def layer_of(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 1 if len(parts) > 1 else 0, -1):  # a new top-level module names its own layer
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise KeyError(f"{module} is in no layer: add it (or its package) to LAYERS")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module of a higher layer than the importer's, as a readable line."""
    found = []
    for importer in sorted(graph):
        for imported in sorted(graph[importer]):
            if layer_of(imported) > layer_of(importer) and (importer, imported) not in ALLOWED_UPWARD:
                found.append(f"{importer} (layer {layer_of(importer)}) imports {imported} "
                             f"(layer {layer_of(imported)})")
    return found


def import_graph() -> dict[str, set[str]]:
    """Every module of `nnc` and the `nnc` modules it imports (`from X import y` of a submodule `y`
    counts as importing `X.y` alone)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                targets.update(submodules)
                if node.module in modules and len(submodules) < len(node.names):
                    targets.add(node.module)  # a name defined in (or re-exported by) the module itself
        graph[name] = targets - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        layer_of(module)


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports(import_graph()) == []


def test_the_layer_check_finds_an_upward_import() -> None:
    graph = {"nnc.task.spec": {"nnc.errors"}, "nnc.training.trainer": {"nnc.task.spec", "nnc.node.estimate"},
             "nnc.node.estimate": {"nnc.runtimes"}, "nnc.runtimes": set(), "nnc.errors": set()}
    assert upward_imports(graph) == ["nnc.training.trainer (layer 4) imports nnc.node.estimate (layer 7)"]


def test_the_allow_list_names_only_real_upward_imports() -> None:
    graph = import_graph()
    for importer, imported in ALLOWED_UPWARD:
        assert imported in graph[importer] and layer_of(imported) > layer_of(importer), (importer, imported)
