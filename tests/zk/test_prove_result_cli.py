"""`nnc zk prove-result`: the proof a third-party client sends with `submitProof`, checked here
with the verification key (py-ecc), and its inputs named when wrong."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from nnc.cli import cli
from nnc.zk.commitment import agreement_tag, commitment
from nnc.zk.proof import Proof
from nnc.zk.verify import verify

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
DIGEST = bytes(range(32))


def test_the_printed_proof_verifies_for_its_commitment_and_tag() -> None:
    ran = CliRunner().invoke(cli, ["zk", "prove-result", "7", "0x" + DIGEST.hex(), "--worker", WORKER,
                                   "--salt", "12345"])
    assert ran.exit_code == 0, ran.output
    out = json.loads(ran.stdout)
    assert int(out["commitment"]) == commitment(7, WORKER, DIGEST, 12345)
    assert int(out["agreement_tag"]) == agreement_tag(7, DIGEST)
    signals = (7, int(WORKER, 16), int(out["commitment"]), int(out["agreement_tag"]))
    proof = Proof.from_calldata([int(w) for w in out["proof"]], signals)
    assert verify(proof)
    assert not verify(Proof.from_calldata([int(w) for w in out["proof"]], (8, *signals[1:])))  # another task
    assert out["cast_args"][:3] == ["7", out["commitment"], out["agreement_tag"]]
    assert out["cast_args"][3] == "[" + ",".join(out["proof"]) + "]"


@pytest.mark.parametrize(("args", "named"), [
    (["0xzz", "--worker", WORKER], "not hex"), (["0x" + "ab" * 31, "--worker", WORKER], "31 bytes"),
    (["0x" + "ab" * 32, "--worker", "0x1234"], "not an address")])
def test_bad_inputs_are_named(args: list[str], named: str) -> None:
    ran = CliRunner().invoke(cli, ["zk", "prove-result", "7", *args])
    assert ran.exit_code == 2 and named in ran.output
