"""The committed circuit artifacts are the ones the sources produce.

Recompiles each circuit with the pinned circom and fails if the committed r1cs differs (a circuit
edited without re-running the ceremony); checks that the committed Solidity verifiers are
generated from the committed keys, and that the circuits include nothing but our own templates
(tests/zk/test_poseidon.py checks the generated Poseidon constants).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nnc.paths import NODE_MODULES, REPO_ROOT
from nnc.zk.artifacts import CIRCUITS, CIRCUITS_DIR, ZK_ARTIFACTS
from nnc.zk.solidity import generate_file

VERIFIERS = REPO_ROOT / "contracts" / "src" / "zk"


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_committed_r1cs_matches_the_circuit_source(circuit: str, tmp_path: Path) -> None:
    subprocess.run([str(NODE_MODULES / ".bin" / "circom2"), str(CIRCUITS_DIR / f"{circuit}.circom"), "--r1cs",
                    "--O2", "-o", str(tmp_path)],
                   check=True, capture_output=True, cwd=REPO_ROOT, timeout=240)
    fresh = (tmp_path / f"{circuit}.r1cs").read_bytes()
    committed = (ZK_ARTIFACTS / f"{circuit}.r1cs").read_bytes()
    assert fresh == committed, (f"{circuit}.circom no longer compiles to the committed r1cs: "
                                "re-run the ceremony (zk/ceremony.sh local) and commit zk/artifacts")


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_committed_verifier_is_generated_from_the_committed_key(circuit: str) -> None:
    expected = generate_file(ZK_ARTIFACTS / f"{circuit}.vkey.json", f"{circuit}Verifier", REPO_ROOT)
    assert (VERIFIERS / f"{circuit}Verifier.sol").read_text() == expected


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_verifier_pays_the_precompiles_whatever_they_cost(circuit: str) -> None:
    """No precompile price is written into the verifier: each call gets `gas()`, so a repricing
    (or a chain with other prices) cannot make every proof fail. Forge cannot etch a precompile
    to reprice one, hence this check of the source."""
    source = (VERIFIERS / f"{circuit}Verifier.sol").read_text()
    calls = [line.strip() for line in source.splitlines() if "staticcall(" in line]
    assert calls and all("staticcall(gas(), 0x0" in call for call in calls), calls


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_artifacts_are_present_and_small(circuit: str) -> None:
    for suffix in (".r1cs", ".wasm", ".zkey", ".vkey.json"):
        path = ZK_ARTIFACTS / f"{circuit}{suffix}"
        assert 0 < path.stat().st_size < 5 * 2**20, path
    vkey = json.loads((ZK_ARTIFACTS / f"{circuit}.vkey.json").read_text())
    public = {"ResultCommitment": 3, "Acceptance": 5}[circuit]
    assert vkey["protocol"] == "groth16" and vkey["curve"] == "bn128" and vkey["nPublic"] == public


def test_circuits_include_only_our_own_templates() -> None:
    sources = list(CIRCUITS_DIR.glob("*.circom")) + list((CIRCUITS_DIR / "lib").glob("*.circom"))
    assert len(sources) >= 5
    for source in sources:
        for line in source.read_text().splitlines():
            if line.startswith("include "):
                target = (source.parent / line.split('"')[1]).resolve()
                assert target.is_relative_to(CIRCUITS_DIR), f"{source.name} includes {target}"
                assert target.exists(), f"{source.name} includes {target}, which is missing"
