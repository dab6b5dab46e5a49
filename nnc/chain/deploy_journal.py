"""A deployment that can be interrupted and run again: each step (a contract created, a
configuration transaction sent) is written to a journal file as it happens, and a later run of the
same deployment (same chain, deployer and parameters) skips the steps the journal holds, so that
`nnc deploy` is resumable after a crash or a lost connection, and idempotent once complete.

The deployment is a fixed sequence for given parameters, so a step is known by its position and
label. A step is written as pending (with the deployer's nonce) before it is sent and as done after
its receipt: a pending step whose nonce the chain has passed was mined while nobody watched (a
contract is then found at its CREATE address), any other pending step is sent again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.profiles import ProtocolParams
from nnc.errors import ConfigError
from nnc.jsonfile import write_json_atomic

log = logging.getLogger(__name__)


def params_digest(params: ProtocolParams) -> str:
    return hashlib.sha256(json.dumps(asdict(params), sort_keys=True).encode()).hexdigest()


class DeployJournal:
    """The steps of one deployment, in the file at `path`."""

    def __init__(self, path: Path, chain_id: int, deployer: str, params: ProtocolParams) -> None:
        self.path = path
        self.deployer = Web3.to_checksum_address(deployer)
        self.header: dict[str, Any] = {"chain_id": chain_id, "deployer": self.deployer, "params": params_digest(params)}
        self.steps: list[dict[str, Any]] = []
        self.position = 0
        self.replayed = 0
        self.sent = 0
        if path.exists():
            data = json.loads(path.read_text())
            if {k: data.get(k) for k in self.header} != self.header:
                raise ConfigError(f"deploy journal {path} belongs to another deployment (chain, deployer or "
                                  f"parameters differ): move it away to deploy afresh")
            self.steps = list(data["steps"])

    @property
    def complete(self) -> bool:
        return bool(self.steps) and self.steps[-1].get("label") == "complete" and self.steps[-1]["done"]

    def attach(self, client: ChainClient) -> None:
        """Routes `client.deploy` and `client.transact` through the journal."""
        deploy, transact = client.deploy, client.transact

        def journaled_deploy(name: str, *args: Any) -> Contract:
            client.link(client.artifacts.get(name))  # its libraries first, each a step of its own
            step = self._replay(client, "deploy", name)
            if step is not None:
                address = step["address"]
                client.deployed_at[address] = (step["block"], step["tx"])
                log.info("deploy step %d: %s already at %s", self.position, name, address)
                return client.at(name, address)
            index = self._begin(client, "deploy", name)
            contract = deploy(name, *args)
            block, tx = client.deployed_at[str(contract.address)]
            self._finish(index, address=str(contract.address), block=block, tx=tx)
            return contract

        def journaled_transact(fn: ContractFunction, value: int = 0, gas: int | None = None,
                               context: str = "") -> TxReceipt:
            label = context or fn.fn_name
            step = self._replay(client, "tx", label)
            if step is not None:
                log.info("deploy step %d: %s done before", self.position, label)
                return cast(TxReceipt, {"status": 1, "blockNumber": step["block"], "transactionHash": step["tx"]})
            index = self._begin(client, "tx", label)
            receipt = transact(fn, value=value, gas=gas, context=context)
            self._finish(index, block=int(receipt["blockNumber"]), tx="0x" + bytes(receipt["transactionHash"]).hex())
            return receipt

        client.deploy = journaled_deploy  # type: ignore[method-assign]
        client.transact = journaled_transact  # type: ignore[method-assign]

    def mark_complete(self) -> None:
        if not self.complete:
            self.steps.append({"kind": "end", "label": "complete", "done": True})
            self._save()

    # -- steps ------------------------------------------------------------------------------

    def _replay(self, client: ChainClient, kind: str, label: str) -> dict[str, Any] | None:
        """The journal's step at the current position when it is this one and done (the position
        moves past it); None when the journal ends here (or its pending step was never mined)."""
        if self.position >= len(self.steps):
            return None
        step = self.steps[self.position]
        if (step["kind"], step["label"]) != (kind, label):
            raise ConfigError(f"deploy journal {self.path}: step {self.position} was {step['kind']} "
                              f"{step['label']!r}, this run's is {kind} {label!r}: the deployment code changed; "
                              f"move the journal away to deploy afresh")
        if not step["done"] and not self._mined_meanwhile(client, step):
            del self.steps[self.position:]  # sent again below
            return None
        self.position += 1
        self.replayed += 1
        return step

    def _mined_meanwhile(self, client: ChainClient, step: dict[str, Any]) -> bool:
        """Whether a pending step's transaction was mined after all (its nonce was used)."""
        if client.w3.eth.get_transaction_count(self.deployer) <= step["nonce"]:
            return False
        head = client.block_number()
        if step["kind"] == "deploy":
            address = Web3.to_checksum_address(Web3.keccak(_rlp_sender_nonce(self.deployer, step["nonce"]))[12:])
            if not client.w3.eth.get_code(address):
                return False
            step.update(address=address, block=head, tx=None)
        else:
            log.warning("deploy step %s (%s) was sent before the interruption and its nonce is used: taken as done",
                        self.position, step["label"])
            step.update(block=head, tx=None)
        step["done"] = True
        self._save()
        return True

    def _begin(self, client: ChainClient, kind: str, label: str) -> int:
        nonce = client.w3.eth.get_transaction_count(self.deployer, "pending")
        self.steps.append({"kind": kind, "label": label, "nonce": nonce, "done": False})
        self._save()
        self.position = len(self.steps)
        self.sent += 1
        return len(self.steps) - 1

    def _finish(self, index: int, **fields: Any) -> None:
        self.steps[index].update(done=True, **fields)
        self._save()

    def _save(self) -> None:
        write_json_atomic(self.path, {**self.header, "steps": self.steps})


def _rlp_sender_nonce(sender: str, nonce: int) -> bytes:
    """RLP of [sender, nonce]: a CREATE address is the last 20 bytes of its Keccak."""
    if nonce == 0:
        encoded_nonce = b"\x80"
    elif nonce < 0x80:
        encoded_nonce = bytes([nonce])
    else:
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        encoded_nonce = bytes([0x80 + len(raw)]) + raw
    payload = bytes([0x80 + 20]) + bytes.fromhex(sender[2:]) + encoded_nonce
    return bytes([0xC0 + len(payload)]) + payload
