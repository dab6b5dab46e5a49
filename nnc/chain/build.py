"""Compiles `contracts/src` with the solc shim and writes ABI + bytecode artifacts for Python.

The artifacts directory holds one JSON file per deployable contract and a `manifest.json`
recording the hash of every input (sources, compiler version and settings, OpenZeppelin's
version). `load_artifacts` refuses artifacts whose hash no longer matches the sources, so a
stale build is detected instead of silently deployed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from pathlib import Path
from typing import Any

from nnc.chain import declarations
from nnc.chain.declarations import AST_SELECTION, DECLARATIONS, extract_declarations
from nnc.errors import ArtifactError
from nnc.paths import ARTIFACTS_DIR, CONTRACTS_SRC, NODE_MODULES, REPO_ROOT, SOLC_SHIM

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
NOT_ARTIFACTS = frozenset({MANIFEST, DECLARATIONS})
"""The files of the artifacts directory that describe no contract."""
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 100},  # as contracts/foundry.toml
    "evmVersion": "cancun",
    # The AST of every source (the "" key: per source, not per contract) is where the enums,
    # structs and constants are declared (nnc.chain.declarations); it costs no compile time.
    "outputSelection": {"*": {"": [AST_SELECTION],
                              "*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences",
                                    "evm.deployedBytecode.object"]}},
}


def _source_files(src_dir: Path) -> list[Path]:
    return sorted(src_dir.rglob("*.sol"))


def _source_key(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def source_hash(src_dir: Path = CONTRACTS_SRC) -> str:
    """Hash of everything that determines the artifacts."""
    h = hashlib.sha256()
    h.update(json.dumps(COMPILER_SETTINGS, sort_keys=True).encode())
    h.update(Path(declarations.__file__).read_bytes())  # what declarations.json is extracted by
    oz_package = NODE_MODULES / "@openzeppelin" / "contracts" / "package.json"
    if oz_package.exists():
        h.update(json.loads(oz_package.read_text())["version"].encode())
    for path in _source_files(src_dir):
        h.update(_source_key(path).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _run_solc(standard_input: dict[str, Any]) -> dict[str, Any]:
    cmd = [str(SOLC_SHIM), "--standard-json", "--base-path", str(REPO_ROOT),
           "--include-path", str(NODE_MODULES)]
    try:
        proc = subprocess.run(cmd, input=json.dumps(standard_input), capture_output=True,
                              text=True, check=False, cwd=REPO_ROOT)
    except FileNotFoundError as exc:
        raise ArtifactError(f"cannot run the solc shim {SOLC_SHIM}: {exc}") from exc
    if proc.returncode != 0:
        raise ArtifactError(f"solc shim failed ({proc.returncode}): {proc.stderr.strip()}")
    output: dict[str, Any] = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise ArtifactError("compilation failed:\n" + "\n".join(e["formattedMessage"] for e in errors))
    return output


def build_artifacts(src_dir: Path = CONTRACTS_SRC, out_dir: Path = ARTIFACTS_DIR, force: bool = False) -> Path:
    """Compiles the contracts if the artifacts are missing or stale; returns the artifacts dir."""
    digest = source_hash(src_dir)
    if not force and _manifest_hash(out_dir) == digest:
        log.debug("contract artifacts up to date (%s)", digest[:12])
        return out_dir
    sources = {_source_key(p): {"content": p.read_text()} for p in _source_files(src_dir)}
    log.info("compiling %d Solidity sources", len(sources))
    output = _run_solc({"language": "Solidity", "sources": sources, "settings": COMPILER_SETTINGS})
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):  # a contract removed from the sources leaves no artifact
        old.unlink()
    names: list[str] = []
    for source_name, contracts in output.get("contracts", {}).items():
        if source_name not in sources:  # OpenZeppelin and other libraries
            continue
        is_interface = "/interfaces/" in source_name
        for name, compiled in contracts.items():
            bytecode = compiled["evm"]["bytecode"]["object"]
            if not bytecode and not is_interface:  # abstract contracts and libraries without code
                continue
            # Interfaces are kept too: they carry the events and errors every client decodes.
            # External libraries (e.g. TaskSettlement) leave placeholders in the bytecode of the
            # contracts that call them; `linkReferences` says where (source -> library ->
            # [{start, length}] in bytes), and `ChainClient.deploy` fills them in.
            artifact = {
                "contractName": name,
                "sourceName": source_name,
                "abi": compiled["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "linkReferences": compiled["evm"]["bytecode"].get("linkReferences", {}),
            }
            (out_dir / f"{name}.json").write_text(json.dumps(artifact))
            names.append(name)
    decls = extract_declarations(output, set(sources))
    (out_dir / DECLARATIONS).write_text(json.dumps(decls, indent=1))
    manifest = {"source_hash": digest, "contracts": sorted(names)}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return out_dir


def _manifest_hash(out_dir: Path) -> str | None:
    try:
        value = json.loads((out_dir / MANIFEST).read_text())["source_hash"]
    except (OSError, ValueError, KeyError):
        return None
    return str(value)


def check_fresh(src_dir: Path = CONTRACTS_SRC, out_dir: Path = ARTIFACTS_DIR) -> None:
    """Raises ArtifactError when the artifacts are missing or do not match the sources."""
    built = _manifest_hash(out_dir)
    if built is None:
        raise ArtifactError(f"no contract artifacts in {out_dir}: run `nnc build`")
    current = source_hash(src_dir)
    if built != current:
        raise ArtifactError(
            f"contract artifacts in {out_dir} are stale (built from {built[:12]}, sources are "
            f"{current[:12]}): run `nnc build`")
