"""The cross-chain routes of a deployment, as the web app needs them: the home gateway and every
spoke chain whose gateway is enrolled with it, from the routes' records
(`nnc.crosschain.records`: `<data_dir>/deployments/<chain id>/crosschain.json`). The home record
names the `HomeGateway`; every record whose `SpokeGateway` sends to that home gateway is a spoke.
An unreadable record is logged and skipped (`load_records`): the API serves the home chain
whatever a spoke's record holds."""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from nnc.api.responses import SpokeChain
from nnc.chain.artifacts import Artifacts
from nnc.crosschain.records import home_gateway, load_records

__all__ = ["home_gateway", "spoke_chains"]


def spoke_chains(data_dir: Path, home: str, artifacts: Artifacts) -> list[SpokeChain]:
    """Every recorded spoke whose gateway sends to `home`, by chain id."""
    spokes: list[SpokeChain] = []
    for r in load_records(data_dir):
        if r.gateway.contract != "SpokeGateway" or r.remote.gateway.lower() != home.lower():
            continue
        spokes.append({"name": r.chain, "chain_id": r.chain_id, "chain_id_hex": hex(r.chain_id), "rpc_url": r.rpc_url,
                       "domain": r.domain, "start_block": r.gateway.block,
                       "addresses": {"SpokeGateway": Web3.to_checksum_address(r.gateway.address)},
                       "abis": {"SpokeGateway": artifacts.get("SpokeGateway").abi}, "ism": r.ism,
                       "tokens": {symbol: Web3.to_checksum_address(a) for symbol, a in r.tokens.items()
                                  if Web3.is_address(a)}})
    return sorted(spokes, key=lambda s: s["chain_id"])
