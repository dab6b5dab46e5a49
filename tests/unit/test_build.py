"""The compiler route: the solc shim compiles, and stale artifacts are detected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnc.chain.artifacts import Artifacts
from nnc.chain.build import build_artifacts, check_fresh
from nnc.errors import ArtifactError
from nnc.paths import CONTRACTS_SRC, REPO_ROOT


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the contract sources inside the repository (imports resolve from its root)."""
    src = REPO_ROOT / "build" / "test-src" / tmp_path.name / "contracts" / "src"
    shutil.copytree(CONTRACTS_SRC, src)
    yield src
    shutil.rmtree(src.parents[1], ignore_errors=True)


def test_build_writes_abi_and_bytecode_and_detects_stale_sources(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    build_artifacts(sources, out)
    check_fresh(sources, out)
    market = Artifacts(out, sources).get("TaskMarket")
    assert any(e.get("name") == "publish" for e in market.abi)
    assert market.bytecode.startswith("0x") and len(market.bytecode) > 1000

    with (sources / "TaskMarket.sol").open("a") as fh:
        fh.write("\n// an edit after the build\n")
    with pytest.raises(ArtifactError, match="stale"):
        check_fresh(sources, out)
    with pytest.raises(ArtifactError, match="stale"):
        Artifacts(out, sources)
    build_artifacts(sources, out)
    check_fresh(sources, out)


def test_missing_artifacts_are_reported_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="nnc build"):
        check_fresh(CONTRACTS_SRC, tmp_path / "nothing")


def test_a_compile_error_is_reported_with_the_compiler_message(sources: Path, tmp_path: Path) -> None:
    (sources / "Broken.sol").write_text("// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.28;\n"
                                        "contract Broken { function f() { } }\n")
    with pytest.raises(ArtifactError, match="Broken.sol"):
        build_artifacts(sources, tmp_path / "out")
    assert not (tmp_path / "out" / "manifest.json").exists()
