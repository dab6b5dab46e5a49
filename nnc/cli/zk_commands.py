"""`nnc zk prove-result`: the off-chain part of submitting a proven result, for a client that
sends its own transactions (with `cast`, ethers or any wallet): the commitment, the agreement tag
and the Groth16 proof, as the market's `submitProof` takes them. Needs no key and no chain."""

from __future__ import annotations

import json

import click

from nnc.cli.ceremony_commands import ceremony_group


@click.group("zk")
def zk_group() -> None:
    """Zero-knowledge proofs of results, for clients that send their own transactions."""


@zk_group.command("prove-result")
@click.argument("task_id", type=int)
@click.argument("digest")
@click.option("--worker", required=True, help="the address that will send submitProof (the proof is bound to it)")
@click.option("--salt", type=int, default=None, help="the commitment's salt (default: a fresh random one; keep it)")
def prove_result_cmd(task_id: int, digest: str, worker: str, salt: int | None) -> None:
    """Prove DIGEST (the model's 32-byte result digest, 0x hex) as WORKER's result of TASK_ID.

    Prints one JSON object: `salt`, `commitment`, `agreement_tag` and `proof` (the eight words of
    `submitProof(uint256 taskId, uint256 commitment, uint256 agreementTag, uint256[8] proof)`),
    and `cast_args`, those arguments as `cast send` takes them."""
    from web3 import Web3

    from nnc.zk.commitment import new_salt, prove_commitment

    if not Web3.is_address(worker):
        raise click.BadParameter(f"{worker!r} is not an address", param_hint="--worker")
    try:
        result_digest = bytes.fromhex(digest.removeprefix("0x"))
    except ValueError:
        raise click.BadParameter(f"{digest!r} is not hex", param_hint="DIGEST") from None
    if len(result_digest) != 32:
        raise click.BadParameter(f"the digest holds {len(result_digest)} bytes, not 32", param_hint="DIGEST")
    salt = new_salt() if salt is None else salt
    proven = prove_commitment(task_id, worker, result_digest, salt)
    words = proven.proof.calldata()
    click.echo(json.dumps({
        "task_id": task_id, "worker": Web3.to_checksum_address(worker), "salt": str(salt),
        "commitment": str(proven.commitment), "agreement_tag": str(proven.agreement_tag),
        "proof": [str(word) for word in words],
        "cast_args": [str(task_id), str(proven.commitment), str(proven.agreement_tag),
                      "[" + ",".join(str(word) for word in words) + "]"]}))


zk_group.add_command(ceremony_group)
