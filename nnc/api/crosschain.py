"""The cross-chain routes of a deployment, as the web app needs them: the home gateway and every
spoke chain whose gateway is enrolled with it, from the routes' records
(`nnc.crosschain.records`: `<data_dir>/deployments/<chain id>/crosschain.json`). The home record
names the `HomeGateway`; every record whose `SpokeGateway` sends to that home gateway is a spoke.
An unreadable record is logged and skipped: the API serves the home chain whatever a spoke's
record holds."""

from __future__ import annotations

import logging
from pathlib import Path

from web3 import Web3

from nnc.api.responses import SpokeChain
from nnc.chain.artifacts import Artifacts
from nnc.crosschain.records import RECORD_FILE, ChainRecord
from nnc.errors import ConfigError

log = logging.getLogger(__name__)


def _records(data_dir: Path) -> list[ChainRecord]:
    records = []
    for path in sorted((data_dir / "deployments").glob(f"*/{RECORD_FILE}")):
        try:
            records.append(ChainRecord.load(path))
        except (ConfigError, OSError) as exc:
            log.warning("%s", exc)
    return records


def home_gateway(data_dir: Path, chain_id: int) -> str | None:
    """The home gateway recorded for chain `chain_id`, or None (no cross-chain route)."""
    for record in _records(data_dir):
        if record.chain_id == chain_id and record.gateway.contract == "HomeGateway" \
                and Web3.is_address(record.gateway.address):
            return str(Web3.to_checksum_address(record.gateway.address))
    return None


def spoke_chains(data_dir: Path, home: str, artifacts: Artifacts) -> list[SpokeChain]:
    """Every recorded spoke whose gateway sends to `home`, by chain id."""
    spokes: list[SpokeChain] = []
    for r in _records(data_dir):
        if r.gateway.contract != "SpokeGateway" or r.remote.gateway.lower() != home.lower():
            continue
        spokes.append({"name": r.chain, "chain_id": r.chain_id, "chain_id_hex": hex(r.chain_id), "rpc_url": r.rpc_url,
                       "domain": r.domain, "start_block": r.gateway.block,
                       "addresses": {"SpokeGateway": Web3.to_checksum_address(r.gateway.address)},
                       "abis": {"SpokeGateway": artifacts.get("SpokeGateway").abi}, "ism": r.ism})
    return sorted(spokes, key=lambda s: s["chain_id"])
