"""`nnc zk prove-result`: the proof a third-party client sends with `submitProof`, checked here
with the verification key (py-ecc), and its inputs named when wrong."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from nnc.cli import cli
from nnc.zk.commitment import agreement_tag, task_key
from nnc.zk.proof import Proof
from nnc.zk.verify import verify

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DIGEST = bytes(range(32))
CHAIN = ["--chain-id", "31337", "--market", MARKET]


def test_the_printed_proof_verifies_for_its_task_key_and_tag() -> None:
    ran = CliRunner().invoke(cli, ["zk", "prove-result", "7", "0x" + DIGEST.hex(), "--worker", WORKER, *CHAIN])
    assert ran.exit_code == 0, ran.output
    out = json.loads(ran.stdout)
    key = task_key(31337, MARKET, 7)
    assert int(out["task_key"]) == key
    assert int(out["agreement_tag"]) == agreement_tag(key, DIGEST)
    signals = (key, int(WORKER, 16), int(out["agreement_tag"]))
    proof = Proof.from_calldata([int(w) for w in out["proof"]], signals)
    assert verify(proof)
    other_task = (task_key(31337, MARKET, 8), *signals[1:])
    assert not verify(Proof.from_calldata([int(w) for w in out["proof"]], other_task))
    assert out["cast_args"][:2] == ["7", out["agreement_tag"]]
    assert out["cast_args"][2] == "[" + ",".join(out["proof"]) + "]"


@pytest.mark.parametrize(("args", "named"), [
    (["0xzz", "--worker", WORKER, *CHAIN], "not hex"), (["0x" + "ab" * 31, "--worker", WORKER, *CHAIN], "31 bytes"),
    (["0x" + "ab" * 32, "--worker", "0x1234", *CHAIN], "not an address"),
    (["0x" + "ab" * 32, "--worker", WORKER, "--chain-id", "0", "--market", MARKET], "not a chain id"),
    (["0x" + "ab" * 32, "--worker", WORKER, "--chain-id", "1", "--market", "0x12"], "not an address")])
def test_bad_inputs_are_named(args: list[str], named: str) -> None:
    ran = CliRunner().invoke(cli, ["zk", "prove-result", "7", *args])
    assert ran.exit_code == 2 and named in ran.output
