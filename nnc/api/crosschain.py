"""The cross-chain routes of a deployment, as the web app needs them: the home gateway and every
spoke chain whose gateway is enrolled with it.

A two-chain devnet (`nnc.crosschain.devnet`) records, in each chain's deployment folder
(`<data_dir>/deployments/<chain id>/crosschain.json`), the chain's Hyperlane domain, RPC URL, its
gateway (contract, address, block) and the gateway at the other end (`remote`). The home record
names the `HomeGateway`; every record whose `SpokeGateway` points at that home gateway is a spoke.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from web3 import Web3

from nnc.api.responses import Address, SpokeChain
from nnc.chain.artifacts import Artifacts
from nnc.chain.deployment_folder import deployment_folder

log = logging.getLogger(__name__)

RECORD = "crosschain.json"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        log.warning("cross-chain record %s unreadable: %s", path, exc)
        return None
    return record if isinstance(record, dict) else None


def home_gateway(data_dir: Path, chain_id: int) -> Address | None:
    """The home gateway recorded for chain `chain_id`, or None (no cross-chain route)."""
    path = deployment_folder(data_dir, chain_id) / RECORD
    record = _read(path) if path.exists() else None
    gateway = (record or {}).get("gateway") or {}
    if gateway.get("contract") != "HomeGateway" or not Web3.is_address(gateway.get("address", "")):
        return None
    return Web3.to_checksum_address(gateway["address"])


def spoke_chains(data_dir: Path, home: Address, artifacts: Artifacts) -> list[SpokeChain]:
    """Every recorded spoke whose gateway sends to `home`, sorted by chain id."""
    spokes: list[SpokeChain] = []
    for path in sorted((data_dir / "deployments").glob(f"*/{RECORD}")):
        record = _read(path)
        if not record:
            continue
        gateway = record.get("gateway") or {}
        remote = record.get("remote") or {}
        if gateway.get("contract") != "SpokeGateway" or str(remote.get("gateway", "")).lower() != home.lower():
            continue
        chain_id = int(record["chain_id"])
        spokes.append({"name": str(record.get("chain", f"chain {chain_id}")), "chain_id": chain_id,
                       "chain_id_hex": hex(chain_id), "rpc_url": str(record["rpc_url"]),
                       "domain": int(record["domain"]), "start_block": int(gateway.get("block", 0)),
                       "addresses": {"SpokeGateway": Web3.to_checksum_address(gateway["address"])},
                       "abis": {"SpokeGateway": artifacts.get("SpokeGateway").abi},
                       "ism": str(record.get("ism", ""))})
    return sorted(spokes, key=lambda s: s["chain_id"])
