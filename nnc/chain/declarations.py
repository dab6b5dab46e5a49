"""What the protocol contracts declare, read from one compilation: enums, structs, integer
constants and custom errors.

`nnc build` asks solc for the AST of every source next to the ABIs, and `extract_declarations`
keeps what clients mirror (see `nnc.chain.mirrors`):

- every enum a protocol source declares, or a protocol ABI uses (OpenZeppelin's
  `IGovernor.ProposalState`), by its name: its members in order (the value is the index);
- every struct of a protocol source that an ABI carries (`IMarketConfig.Params`), by its
  qualified name: its fields and their types;
- every public or internal integer constant of a protocol contract (`MarketConfig.MAX_FEE_BPS`),
  with its value (literals, folded expressions and references to other constants);
- every custom error in the protocol ABIs: its arguments, with the enum each argument carries.

The result is plain JSON, written to the artifacts directory as `declarations.json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from nnc.errors import ArtifactError


class ErrorArg(NamedTuple):
    """One argument of a custom error."""

    name: str
    type: str  # its ABI type
    enum: str | None  # the enum (in ENUMS) whose member the value is, if any


DECLARATIONS = "declarations.json"
AST_SELECTION = "ast"
"""The solc output (per source, under the "" contract key) this module reads."""

_INT_CONST = re.compile(r"^int_const (-?\d+)$")
_ENUM_TYPE = re.compile(r"^enum ([\w.]+)$")
_STRUCT_TYPE = re.compile(r"^struct ([\w.]+)")


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every AST node under `node`, depth first, in source order."""
    if isinstance(node, dict):
        if "nodeType" in node:
            yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def _enum_of(param: dict[str, Any]) -> str | None:
    """The qualified enum name an ABI parameter carries (`ITaskMarket.TaskStatus`), or None."""
    match = _ENUM_TYPE.match(str(param.get("internalType", "")))
    return match.group(1) if match else None


def _abi_type(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter, tuples spelled out as in a signature."""
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def _abi_types(abi: list[dict[str, Any]]) -> Iterator[str]:
    """The qualified name of every enum and struct an ABI carries, at any depth."""
    def walk(params: list[dict[str, Any]]) -> Iterator[str]:
        for p in params:
            internal = str(p.get("internalType", ""))
            match = _ENUM_TYPE.match(internal) or _STRUCT_TYPE.match(internal)
            if match:
                yield match.group(1)
            yield from walk(p.get("components", []))

    for entry in abi:
        yield from walk(entry.get("inputs", []))
        yield from walk(entry.get("outputs", []))


def _enums(asts: dict[str, Any], protocol: set[str], used: set[str]) -> dict[str, dict[str, Any]]:
    enums: dict[str, dict[str, Any]] = {}
    for source, ast in sorted(asts.items()):
        for node in _nodes(ast):
            if node["nodeType"] != "EnumDefinition":
                continue
            qualified = str(node["canonicalName"])
            if source not in protocol and qualified not in used:
                continue
            members = [str(m["name"]) for m in node["members"]]
            known = enums.get(node["name"])
            if known and (known["declared_in"], known["members"]) != (qualified, members):
                raise ArtifactError(f"two enums are named {node['name']} ({known['declared_in']} and {qualified}): "
                                    "clients decode enums by name, rename one")
            enums[str(node["name"])] = {"declared_in": qualified, "members": members}
    return dict(sorted(enums.items()))


def _structs(asts: dict[str, Any], protocol: set[str], used: set[str]) -> dict[str, list[list[str]]]:
    structs: dict[str, list[list[str]]] = {}
    for source in sorted(protocol & asts.keys()):
        for node in _nodes(asts[source]):
            if node["nodeType"] == "StructDefinition" and node["canonicalName"] in used:
                structs[str(node["canonicalName"])] = [[str(m["name"]), str(m["typeDescriptions"]["typeString"])]
                                                       for m in node["members"]]
    return dict(sorted(structs.items()))


def _constants(asts: dict[str, Any], protocol: set[str]) -> dict[str, int]:
    contracts: dict[int, str] = {}  # AST id -> contract name (ids are unique in one compilation)
    declarations: dict[int, tuple[str, dict[str, Any]]] = {}  # AST id -> (source, constant)
    for source, ast in asts.items():
        for node in _nodes(ast):
            if node["nodeType"] == "ContractDefinition":
                contracts[int(node["id"])] = str(node["name"])
            elif node["nodeType"] == "VariableDeclaration" and node.get("constant") and node.get("value"):
                declarations[int(node["id"])] = (source, node)

    def value_of(node: dict[str, Any], depth: int = 0) -> int | None:
        expression = node["value"]
        folded = _INT_CONST.match(str(expression.get("typeDescriptions", {}).get("typeString", "")))
        if folded:
            return int(folded.group(1))
        target = expression.get("referencedDeclaration")
        if target in declarations and depth < 8:
            return value_of(declarations[target][1], depth + 1)
        return None  # not an integer known at compile time (keccak256("ROLE"), a string)

    constants: dict[str, int] = {}
    for source, node in declarations.values():
        type_name = str(node["typeDescriptions"]["typeString"])
        if source not in protocol or node["visibility"] == "private" or not type_name.startswith(("uint", "int")):
            continue
        value = value_of(node)
        if value is not None and int(node["scope"]) in contracts:
            constants[f"{contracts[int(node['scope'])]}.{node['name']}"] = value
    return dict(sorted(constants.items()))


def _errors(abis: list[list[dict[str, Any]]]) -> dict[str, list[list[str | None]]]:
    errors: dict[str, list[list[str | None]]] = {}
    for abi in abis:
        for entry in abi:
            if entry.get("type") != "error":
                continue
            args: list[list[str | None]] = []
            for i, p in enumerate(entry.get("inputs", [])):
                enum = _enum_of(p)
                args.append([p.get("name") or f"arg{i}", _abi_type(p), enum.split(".")[-1] if enum else None])
            known = errors.get(entry["name"])
            if known is not None and [a[1] for a in known] != [a[1] for a in args]:
                raise ArtifactError(f"two custom errors are named {entry['name']} with different arguments: "
                                    "clients decode errors by name, rename one")
            errors[str(entry["name"])] = args
    return dict(sorted(errors.items()))


def extract_declarations(output: dict[str, Any], protocol_sources: set[str]) -> dict[str, Any]:
    """The declarations of the protocol sources in solc's standard-JSON `output` (which must hold
    the `ast` of every source): JSON with `enums`, `structs`, `constants` and `errors`."""
    asts = {name: source[AST_SELECTION] for name, source in output.get("sources", {}).items()
            if AST_SELECTION in source}
    missing = protocol_sources - asts.keys()
    if missing:
        raise ArtifactError(f"solc returned no AST for {', '.join(sorted(missing))}")
    abis = [compiled["abi"] for source, contracts in sorted(output.get("contracts", {}).items())
            if source in protocol_sources for _, compiled in sorted(contracts.items())]
    used = {name for abi in abis for name in _abi_types(abi)}
    return {"enums": _enums(asts, protocol_sources, used), "structs": _structs(asts, protocol_sources, used),
            "constants": _constants(asts, protocol_sources), "errors": _errors(abis)}
