"""Loading compiled contracts (ABI + bytecode) written by `nnc.chain.build`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnc.chain.build import NOT_ARTIFACTS, check_fresh
from nnc.errors import ArtifactError
from nnc.paths import ARTIFACTS_DIR, CONTRACTS_SRC


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    # source path -> library name -> [{"start": byte offset, "length": 20}] in `bytecode`
    link_references: dict[str, dict[str, list[dict[str, int]]]] = field(default_factory=dict)

    @property
    def libraries(self) -> list[tuple[str, str]]:
        """(source path, library name) of every external library the bytecode must be linked to."""
        return sorted((source, lib) for source, libs in self.link_references.items() for lib in libs)


class Artifacts:
    """All artifacts of one build, checked to be fresh when loaded."""

    def __init__(self, directory: Path = ARTIFACTS_DIR, src_dir: Path = CONTRACTS_SRC,
                 check: bool = True) -> None:
        if check:
            check_fresh(src_dir, directory)
        self.directory = directory
        self._cache: dict[str, Artifact] = {}

    def get(self, name: str) -> Artifact:
        if name not in self._cache:
            path = self.directory / f"{name}.json"
            try:
                data = json.loads(path.read_text())
            except FileNotFoundError:
                raise ArtifactError(f"no artifact for contract {name!r} in {self.directory}") from None
            self._cache[name] = Artifact(name=name, abi=data["abi"], bytecode=data["bytecode"],
                                         link_references=data.get("linkReferences", {}))
        return self._cache[name]

    def all_abis(self) -> list[list[dict[str, Any]]]:
        return [self.get(p.stem).abi for p in sorted(self.directory.glob("*.json")) if p.name not in NOT_ARTIFACTS]
