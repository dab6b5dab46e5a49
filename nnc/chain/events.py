"""Reading the protocol's events over block ranges, decoded, in chain order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_typing import ABIEvent
from eth_utils.abi import event_abi_to_log_topic
from web3 import Web3
from web3._utils.events import get_event_data

from nnc.chain.artifacts import Artifacts
from nnc.chain.deployment import Deployment


@dataclass(frozen=True)
class ChainEvent:
    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    log_index: int
    tx_hash: str
    block_hash: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)

    @property
    def task_id(self) -> int | None:
        """The task the event is about (its `taskId` argument), None for events of no task."""
        task_id = self.args.get("taskId")
        return None if task_id is None else int(task_id)


class EventReader:
    """Fetches and decodes the logs of every deployed protocol contract in one query per range."""

    def __init__(self, w3: Web3, artifacts: Artifacts, deployment: Deployment, max_range: int = 2000) -> None:
        self.w3 = w3
        self.max_range = max_range
        self._by_address: dict[str, tuple[str, dict[bytes, dict[str, Any]]]] = {}
        for name in deployment.addresses:
            events = [e for e in artifacts.get(name).abi if e["type"] == "event"]
            topics = {event_abi_to_log_topic(cast(ABIEvent, e)): e for e in events}
            self._by_address[deployment.address_of(name).lower()] = (name, topics)

    def read(self, from_block: int, to_block: int) -> Iterator[ChainEvent]:
        """Every protocol event in [from_block, to_block], split into bounded queries."""
        start = from_block
        addresses = [Web3.to_checksum_address(a) for a in self._by_address]
        while start <= to_block:
            end = min(to_block, start + self.max_range - 1)
            logs = self.w3.eth.get_logs({"fromBlock": start, "toBlock": end, "address": addresses})
            for entry in sorted(logs, key=lambda x: (x["blockNumber"], x["logIndex"])):
                event = self._decode(entry)
                if event is not None:
                    yield event
            start = end + 1

    def _decode(self, entry: Any) -> ChainEvent | None:
        known = self._by_address.get(str(entry["address"]).lower())
        if known is None or not entry["topics"]:
            return None
        contract, topics = known
        abi = topics.get(bytes(entry["topics"][0]))
        if abi is None:
            return None
        data = get_event_data(self.w3.codec, abi, entry)
        return ChainEvent(contract=contract, name=data["event"], args=_plain(dict(data["args"])),
                          block_number=int(entry["blockNumber"]), log_index=int(entry["logIndex"]),
                          tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
                          block_hash="0x" + bytes(entry["blockHash"]).hex())


def _plain(value: Any) -> Any:
    """Event arguments as JSON-friendly values (bytes as 0x-hex, tuples as lists)."""
    if isinstance(value, Mapping):  # dicts and web3's AttributeDict (struct arguments)
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value
