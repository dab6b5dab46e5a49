"""`nnc zk ceremony`: a two-party phase-2 ceremony on a tiny circuit (2^8 powers of tau), every
file exchanged through the real local IPFS node; `verify` accepts it and names a tampered or a
skipped contribution; the production check accepts the finalized keys. ~10 s."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.cli import cli
from nnc.errors import CeremonyError
from nnc.paths import NODE_MODULES
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import IpfsNode
from nnc.zk.ceremony import Ceremony, Manifest
from nnc.zk.snarkjs import snarkjs
from nnc.zk.trust import check_production_keys

TINY = """pragma circom 2.0.0;
template Tiny() { signal input a; signal input b; signal output c; c <== a * b; }
component main {public [a]} = Tiny();
"""


@pytest.fixture(scope="module")
def phase1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny circuit's r1cs and a 2^8 phase-1 file (standing in for a public ceremony's)."""
    import subprocess

    folder = tmp_path_factory.mktemp("phase1")
    (folder / "Tiny.circom").write_text(TINY)
    subprocess.run([str(NODE_MODULES / ".bin" / "circom2"), "Tiny.circom", "--r1cs", "-o", "."], cwd=folder,
                   check=True, capture_output=True)
    snarkjs("powersoftau", "new", "bn128", "8", folder / "p0.ptau")
    snarkjs("powersoftau", "contribute", folder / "p0.ptau", folder / "p1.ptau", "--name=public", "-e=x")
    snarkjs("powersoftau", "prepare", "phase2", folder / "p1.ptau", folder / "final.ptau")
    return folder / "Tiny.r1cs", folder / "final.ptau"


def _run(args: list[str], ipfs_url: str, workdir: Path) -> str:
    ran = CliRunner().invoke(cli, ["zk", "ceremony", "--ipfs", ipfs_url, *args[:1], *args[1:],
                                   "--workdir", str(workdir)])
    assert ran.exit_code == 0, ran.output
    return ran.output


def _manifest_uri(output: str) -> str:
    found = re.search(r"^manifest (ipfs://\S+)$", output, re.M)
    assert found, output
    return found.group(1)


def test_two_parties_through_ipfs_then_verify_and_finalize(phase1: tuple[Path, Path], ipfs_node: IpfsNode,
                                                          ipfs: IpfsStore, tmp_path: Path) -> None:
    r1cs, ptau = phase1
    # the coordinator, then alice and bob on their own machines (own caches): only URIs pass between them
    coordinator, alice, bob, auditor = (tmp_path / name for name in ("coordinator", "alice", "bob", "auditor"))
    out = _run(["init", "--ptau", str(ptau), str(r1cs), "--manifest", str(tmp_path / "m0.json")], ipfs_node.url,
               coordinator)
    after_init = _manifest_uri(out)
    out = _run(["contribute", after_init, "--name", "alice", "--manifest", str(tmp_path / "m1.json")],
               ipfs_node.url, alice)
    alice_hash = re.search(r"Tiny contribution #1 alice: ([0-9a-f]{128})", out)
    assert alice_hash, out
    after_alice = _manifest_uri(out)
    out = _run(["contribute", after_alice, "--name", "bob", "--manifest", str(tmp_path / "m2.json")],
               ipfs_node.url, bob)
    after_bob = _manifest_uri(out)
    out = _run(["verify", after_bob], ipfs_node.url, auditor)
    assert f"Tiny #1 alice: {alice_hash.group(1)}" in out and "Tiny #2 bob:" in out and "ceremony OK" in out

    keys = tmp_path / "keys"
    out = _run(["finalize", after_bob, "--beacon", "ab" * 32, "--iterations", "10", "--out", str(keys)],
               ipfs_node.url, coordinator)
    out = _run(["verify", str(keys / "ceremony.json")], ipfs_node.url, auditor)
    assert "Tiny #3 final beacon:" in out and "ceremony OK" in out
    check_production_keys(keys, ("Tiny",))  # two contributors and a beacon: accepted

    vkey = json.loads((keys / "Tiny.vkey.json").read_text())
    assert vkey["protocol"] == "groth16" and vkey["nPublic"] == 2  # the exported key of the circuit: c and a

    # a contributor who skips alice's contribution (builds on the initial zkey) is named
    ceremony = Ceremony(ipfs, tmp_path / "mallory")
    manifest = ceremony.load(after_alice)
    skipping = Manifest.from_json(manifest.to_json())
    skipping.contributions = []
    mallory = ceremony.contribute(skipping, "mallory")
    manifest.contributions.append(mallory)
    with pytest.raises(CeremonyError, match=r"contribution #2 \(mallory.*skipped: #1 alice"):
        ceremony.verify(manifest)

    # a tampered zkey (one byte flipped, re-uploaded under the manifest) is named
    tampered = Manifest.from_json(Path(tmp_path / "m2.json").read_text())
    data = bytearray(ipfs.get_bytes(tampered.contributions[1].zkeys["Tiny"]))
    data[len(data) // 2] ^= 0x01
    tampered.contributions[1].zkeys["Tiny"] = ipfs.put_bytes(bytes(data))
    with pytest.raises(CeremonyError, match=r"Tiny: contribution #2 \(bob, .*\) is invalid"):
        Ceremony(ipfs, tmp_path / "auditor2").verify(tampered)
