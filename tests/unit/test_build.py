"""The compiler route: the solc shim compiles, and stale artifacts are detected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nnc.chain.artifacts import Artifacts
from nnc.chain.build import build_artifacts, check_fresh, source_hash
from nnc.chain.declarations import DECLARATIONS
from nnc.errors import ArtifactError
from nnc.paths import CONTRACTS_SRC, REPO_ROOT


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the contract sources inside the repository (imports resolve from its root)."""
    src = REPO_ROOT / "build" / "test-src" / tmp_path.name / "contracts" / "src"
    shutil.copytree(CONTRACTS_SRC, src)
    yield src
    shutil.rmtree(src.parents[1], ignore_errors=True)


@pytest.fixture
def few_sources(tmp_path: Path) -> Path:
    """A few of the contract sources inside the repository: the interfaces (the protocol's enums
    are declared there) and the NNT token (OpenZeppelin imports, bytecode). One compile of these
    takes seconds; the whole protocol's takes a minute and `make test` starts with it already
    (`nnc build --check`), as every test against a chain uses its artifacts."""
    src = REPO_ROOT / "build" / "test-src" / tmp_path.name / "contracts" / "src"
    shutil.copytree(CONTRACTS_SRC / "interfaces", src / "interfaces")
    shutil.copy(CONTRACTS_SRC / "NNToken.sol", src / "NNToken.sol")
    yield src
    shutil.rmtree(src.parents[1], ignore_errors=True)


def test_build_writes_abi_and_bytecode_and_detects_stale_sources(few_sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    build_artifacts(few_sources, out)
    check_fresh(few_sources, out)

    with (few_sources / "NNToken.sol").open("a") as fh:
        fh.write("\n// an edit after the build\n")
    with pytest.raises(ArtifactError, match="stale"):
        check_fresh(few_sources, out)
    with pytest.raises(ArtifactError, match="stale"):
        Artifacts(out, few_sources)
    (out / "Stale.json").write_text("{}")  # the build writes every artifact anew: nothing old is left
    build_artifacts(few_sources, out)
    check_fresh(few_sources, out)
    assert not (out / "Stale.json").exists()
    artifacts = Artifacts(out, few_sources)
    market = artifacts.get("ITaskMarket")  # interfaces are kept: their events and errors decode logs
    assert any(e.get("name") == "publish" for e in market.abi)
    declared = json.loads((out / DECLARATIONS).read_text())  # what the mirrors are generated from
    assert "Verifying" in declared["enums"]["TaskStatus"]["members"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source_hash"] == source_hash(few_sources)
    assert len(artifacts.all_abis()) == len(manifest["contracts"])  # no ABI from declarations
    token = artifacts.get("NNToken")
    assert token.bytecode.startswith("0x") and len(token.bytecode) > 1000


def test_missing_artifacts_are_reported_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="nnc build"):
        check_fresh(CONTRACTS_SRC, tmp_path / "nothing")


def test_a_compile_error_is_reported_with_the_compiler_message(sources: Path, tmp_path: Path) -> None:
    (sources / "Broken.sol").write_text("// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.28;\n"
                                        "contract Broken { function f() { } }\n")
    with pytest.raises(ArtifactError, match="Broken.sol"):
        build_artifacts(sources, tmp_path / "out")
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_external_libraries_are_linked_by_their_offsets() -> None:
    """TaskMarket calls external libraries (TaskSettlement, ...): the artifact keeps solc's link
    references, each offset holds the library's placeholder, and linking fills in the address."""
    from web3 import Web3

    from nnc.chain.client import ChainClient, library_placeholder

    artifacts = Artifacts()
    market = artifacts.get("TaskMarket")
    libraries = market.libraries
    assert ("contracts/src/libraries/TaskSettlement.sol", "TaskSettlement") in libraries
    code = market.bytecode[2:]
    for source, library in libraries:
        for ref in market.link_references[source][library]:
            start = 2 * ref["start"]
            assert code[start:start + 40] == library_placeholder(source, library)
    client = ChainClient(Web3(), artifacts)
    fake = {library: "0x" + f"{i + 1:02x}" * 20 for i, (_, library) in enumerate(libraries)}
    client.libraries.update(fake)  # known already: nothing is deployed
    linked = client.link(market)[2:]
    assert "__$" not in linked and len(linked) == len(code)
    for source, library in libraries:
        for ref in market.link_references[source][library]:
            start = 2 * ref["start"]
            assert linked[start:start + 40] == fake[library][2:]
    assert client.link(artifacts.get("MarketConfig")) == artifacts.get("MarketConfig").bytecode  # no libraries
