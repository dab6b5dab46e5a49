"""The committed circuit artifacts are the ones the sources produce.

Recompiles each circuit with the pinned circom and fails if the committed r1cs differs (a circuit
edited without re-running the ceremony); checks that the committed Solidity verifiers and the
Python Poseidon constants are generated from the committed keys and from circomlib.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nnc.paths import NODE_MODULES, REPO_ROOT
from nnc.zk.artifacts import CIRCUITS, CIRCUITS_DIR, ZK_ARTIFACTS
from nnc.zk.poseidon import CONSTANTS_FILE
from nnc.zk.solidity import generate_file

VERIFIERS = REPO_ROOT / "contracts" / "src" / "zk"


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_committed_r1cs_matches_the_circuit_source(circuit: str, tmp_path: Path) -> None:
    subprocess.run([str(NODE_MODULES / ".bin" / "circom2"), str(CIRCUITS_DIR / f"{circuit}.circom"), "--r1cs",
                    "--O2", "-l", str(NODE_MODULES), "-o", str(tmp_path)],
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
def test_artifacts_are_present_and_small(circuit: str) -> None:
    for suffix in (".r1cs", ".wasm", ".zkey", ".vkey.json"):
        path = ZK_ARTIFACTS / f"{circuit}{suffix}"
        assert 0 < path.stat().st_size < 5 * 2**20, path
    vkey = json.loads((ZK_ARTIFACTS / f"{circuit}.vkey.json").read_text())
    assert vkey["protocol"] == "groth16" and vkey["curve"] == "bn128" and vkey["nPublic"] == 4


def test_poseidon_constants_are_circomlibs() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("poseidon_constants", REPO_ROOT / "zk" / "scripts" /
                                                  "poseidon_constants.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    extracted = module.extract(NODE_MODULES / "circomlib" / "circuits" / "poseidon_constants.circom")
    assert json.loads(CONSTANTS_FILE.read_text()) == extracted
