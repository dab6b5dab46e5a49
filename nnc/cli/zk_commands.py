"""`nnc zk prove-result`: the off-chain part of submitting a proven result, for a client that
sends its own transactions (with `cast`, ethers or any wallet): the agreement tag and the Groth16
proof, as the market's `submitProof` takes them. Needs no key; the chain id and the market's
address are given (the proof holds for that chain and market only)."""

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
@click.option("--chain-id", type=int, required=True, help="the chain the market lives on (`cast chain-id`)")
@click.option("--market", required=True, help="the TaskMarket's address (the proof is bound to it)")
def prove_result_cmd(task_id: int, digest: str, worker: str, chain_id: int, market: str) -> None:
    """Prove DIGEST (the model's 32-byte result digest, 0x hex) as WORKER's result of TASK_ID.

    Prints one JSON object: `task_key` (the statement key, `ResultProofs.taskKey(taskId)`),
    `agreement_tag` and `proof` (the eight words of `submitProof(uint256 taskId, uint256
    agreementTag, uint256[8] proof)`), and `cast_args`, those arguments as `cast send` takes them."""
    from web3 import Web3

    from nnc.zk.commitment import prove_commitment, task_key

    for option, address in (("--worker", worker), ("--market", market)):
        if not Web3.is_address(address):
            raise click.BadParameter(f"{address!r} is not an address", param_hint=option)
    if chain_id <= 0:
        raise click.BadParameter(f"{chain_id} is not a chain id", param_hint="--chain-id")
    try:
        result_digest = bytes.fromhex(digest.removeprefix("0x"))
    except ValueError:
        raise click.BadParameter(f"{digest!r} is not hex", param_hint="DIGEST") from None
    if len(result_digest) != 32:
        raise click.BadParameter(f"the digest holds {len(result_digest)} bytes, not 32", param_hint="DIGEST")
    key = task_key(chain_id, market, task_id)
    proven = prove_commitment(key, worker, result_digest)
    words = proven.proof.calldata()
    click.echo(json.dumps({
        "task_id": task_id, "worker": Web3.to_checksum_address(worker), "chain_id": chain_id,
        "market": Web3.to_checksum_address(market), "task_key": str(key),
        "agreement_tag": str(proven.agreement_tag), "proof": [str(word) for word in words],
        "cast_args": [str(task_id), str(proven.agreement_tag), "[" + ",".join(str(word) for word in words) + "]"]}))


zk_group.add_command(ceremony_group)
