"""Each chain's end of a cross-chain route, as tools read it: `crosschain.json` in the chain's
deployment folder (`<data_dir>/deployments/<chain id>/`, next to the protocol's deployment
files): its name, chain id, Hyperlane domain and RPC URL, its gateway (contract, address, block),
Hyperlane's core addresses there, and the other end (chain, domain, gateway)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from web3 import Web3

from nnc.chain.artifacts import Artifacts
from nnc.chain.deployment import Deployment
from nnc.chain.deployment_folder import deployment_folder, write_deployment_folder
from nnc.errors import ConfigError
from nnc.jsonfile import write_json_atomic

log = logging.getLogger(__name__)

RECORD_FILE = "crosschain.json"


@dataclass(frozen=True)
class Gateway:
    contract: str  # SpokeGateway or HomeGateway
    address: str
    block: int


@dataclass(frozen=True)
class Remote:
    chain: str
    domain: int
    gateway: str


@dataclass(frozen=True)
class ChainRecord:
    chain: str
    chain_id: int
    domain: int
    rpc_url: str
    gateway: Gateway
    remote: Remote
    hyperlane: dict[str, str] = field(default_factory=dict)
    ism: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    """ERC-20 routes by symbol: on a spoke, the token its gateway allow-lists; at home, its twin."""

    def save(self, deployments: Path) -> Path:
        path = deployments / str(self.chain_id) / RECORD_FILE
        write_json_atomic(path, asdict(self))
        return path

    @classmethod
    def load(cls, path: Path) -> ChainRecord:
        try:
            data = json.loads(path.read_text())
            return cls(chain=str(data["chain"]), chain_id=int(data["chain_id"]), domain=int(data["domain"]),
                       rpc_url=str(data["rpc_url"]), gateway=Gateway(**data["gateway"]),
                       remote=Remote(**data["remote"]), hyperlane=dict(data.get("hyperlane", {})),
                       ism=str(data.get("ism", "")), tokens={str(k): str(v) for k, v in data.get("tokens", {}).items()})
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cross-chain record {path} is malformed: {exc}") from None


def find_record(data_dir: Path, chain: str) -> ChainRecord:
    """The record of chain `chain` (its name, e.g. `spoke`, or its chain id) among
    `<data_dir>/deployments/*/crosschain.json`; ConfigError naming the chains there when absent."""
    records = [ChainRecord.load(path) for path in sorted((data_dir / "deployments").glob(f"*/{RECORD_FILE}"))]
    for record in records:
        if chain in (record.chain, str(record.chain_id)):
            return record
    known = ", ".join(f"{r.chain} ({r.chain_id})" for r in records) or "none"
    raise ConfigError(f"no cross-chain route to chain {chain!r} in {data_dir / 'deployments'} (known: {known}); "
                      f"start one with `nnc devnet up --chains 2`")


def load_records(data_dir: Path) -> list[ChainRecord]:
    """Every readable record in `<data_dir>/deployments/*/crosschain.json`; an unreadable one is
    logged and skipped."""
    records = []
    for path in sorted((data_dir / "deployments").glob(f"*/{RECORD_FILE}")):
        try:
            records.append(ChainRecord.load(path))
        except (ConfigError, OSError) as exc:
            log.warning("%s", exc)
    return records


def home_gateway(data_dir: Path, chain_id: int) -> str | None:
    """The home gateway recorded for chain `chain_id`, or None (no cross-chain route)."""
    for record in load_records(data_dir):
        if record.chain_id == chain_id and record.gateway.contract == "HomeGateway" \
                and Web3.is_address(record.gateway.address):
            return str(Web3.to_checksum_address(record.gateway.address))
    return None


@dataclass(frozen=True)
class ChainEnd:
    """One chain of a route as its record names it."""

    name: str
    chain_id: int
    domain: int
    rpc_url: str
    hyperlane: dict[str, str] = field(default_factory=dict)  # at least its Mailbox
    tokens: dict[str, str] = field(default_factory=dict)  # ERC-20 routes by symbol, this chain's side


def save_route(data_dir: Path, home: ChainEnd, spoke: ChainEnd, home_gateway: Gateway, spoke_gateway: Gateway,
               spoke_transaction: str, deployer: str, ism: str, profile: str) -> None:
    """Writes a route's files under `<data_dir>/deployments/`: the spoke's deployment folder (its
    `SpokeGateway`, as for the home protocol) and each chain's `crosschain.json`."""
    deployment = Deployment(chain_id=spoke.chain_id, start_block=spoke_gateway.block, deployer=deployer,
                            addresses={"SpokeGateway": spoke_gateway.address}, profile=profile,
                            blocks={"SpokeGateway": spoke_gateway.block},
                            transactions={"SpokeGateway": spoke_transaction})
    write_deployment_folder(deployment_folder(data_dir, spoke.chain_id), deployment, Artifacts(), None)
    for here, there, gateway, remote in ((home, spoke, home_gateway, spoke_gateway),
                                         (spoke, home, spoke_gateway, home_gateway)):
        ChainRecord(chain=here.name, chain_id=here.chain_id, domain=here.domain, rpc_url=here.rpc_url,
                    gateway=gateway, remote=Remote(there.name, there.domain, remote.address),
                    hyperlane=here.hyperlane, ism=ism, tokens=here.tokens).save(data_dir / "deployments")
