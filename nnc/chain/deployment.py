"""The deployment file: which contracts live where on which chain, and from which block."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from web3 import Web3

from nnc.chain.types import STRATEGY_CONTRACTS as STRATEGY_CONTRACTS
from nnc.errors import ConfigError
from nnc.jsonfile import write_json_atomic


@dataclass
class Deployment:
    chain_id: int
    start_block: int
    deployer: str
    addresses: dict[str, str] = field(default_factory=dict)
    # external libraries linked into the contracts (e.g. TaskSettlement): name -> address. Their
    # code runs by DELEGATECALL in the calling contract, so they emit no events of their own.
    libraries: dict[str, str] = field(default_factory=dict)
    profile: str | None = None  # the deploy profile (`devnet`, `production`); None in older files
    # block number and transaction of each contract's and library's creation, by name (older files: none)
    blocks: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, str] = field(default_factory=dict)

    def address_of(self, name: str) -> str:
        try:
            return Web3.to_checksum_address(self.addresses[name])
        except KeyError:
            raise ConfigError(f"deployment has no contract {name!r} (has {sorted(self.addresses)})") from None

    def save(self, path: Path) -> None:
        write_json_atomic(path, asdict(self))

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            data = json.loads(path.read_text())
            return cls(chain_id=int(data["chain_id"]), start_block=int(data["start_block"]),
                       deployer=str(data["deployer"]), addresses=dict(data["addresses"]),
                       libraries=dict(data.get("libraries", {})), profile=data.get("profile"),
                       blocks={k: int(v) for k, v in data.get("blocks", {}).items()},
                       transactions=dict(data.get("transactions", {})))
        except FileNotFoundError:
            raise ConfigError(f"no deployment file at {path}: deploy first (`nnc devnet up` or `nnc deploy`)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"deployment file {path} is malformed: {exc}") from None
