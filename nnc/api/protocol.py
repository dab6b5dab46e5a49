"""Protocol parameters, the deployment as the web app needs it (addresses, ABIs, chain), health."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from nnc.api.context import ApiContext
from nnc.api.crosschain import home_gateway, spoke_chains
from nnc.api.responses import Deployment, Health, Params, ReputationInfo
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.reputation import Reputation
from nnc.chain.rewards import RewardsPool
from nnc.chain.types import ETH, SOLIDITY_ENUMS


def protocol_params(ctx: ApiContext) -> Params:
    """Governance-set parameters, read live from the market's config (MarketConfig) and the registry,
    reputation and rewards pool where deployed."""
    market = Market(ctx.client)
    registry = Registry(ctx.client)
    c = market.params()
    s = c.settlement
    nnt = ctx.deployment.address_of("NNToken")
    params: Params = {
        "chain_id": ctx.deployment.chain_id,
        "settlement": {"base_weight_bps": s.base_weight_bps, "quality_weight_bps": s.quality_weight_bps,
                       "reputation_weight_bps": s.reputation_weight_bps, "protocol_fee_bps": s.protocol_fee_bps,
                       "challenge_window": s.challenge_window, "min_snapshot_interval": s.min_snapshot_interval,
                       "reward_per_compute_unit": str(s.reward_per_compute_unit),
                       "abandon_penalty_bps": c.abandon_penalty_bps, "freeze_window": c.freeze_window,
                       "tie_window": c.tie_window, "min_execution_window": c.min_execution_window,
                       "result_proofs": Web3.to_checksum_address(c.result_proofs),
                       "treasury": Web3.to_checksum_address(c.treasury)},
        "staking": {"min_stake": str(registry.min_stake()), "unbonding_delay": registry.unbonding_delay()},
        "tokens": [{"symbol": "ETH", "address": ETH, "decimals": 18, "allowed": True,
                    "value": str(market.token_value(ETH))},
                   {"symbol": "NNT", "address": nnt, "decimals": 18, "allowed": market.is_token_allowed(nnt),
                    "value": str(market.token_value(nnt))}],
        "strategies": [{"name": name, "contract": contract, "address": ctx.deployment.address_of(contract),
                        "allowed": market.is_strategy_allowed(ctx.deployment.address_of(contract))}
                       for name, contract in STRATEGY_CONTRACTS.items() if ctx.has(contract)],
    }
    if ctx.has("Reputation"):
        params["reputation"] = _reputation_info(Reputation(ctx.client))
    if ctx.has("RewardsPool"):
        params["rewards_pool_available"] = str(RewardsPool(ctx.client).available())
    return params


def _reputation_info(reputation: Reputation) -> ReputationInfo:
    p = reputation.params()
    return {"agreed_gain": p.agreed_gain, "early_gain": p.early_gain, "dissent_loss": p.dissent_loss,
            "missed_loss": p.missed_loss, "failed_loss": p.failed_loss, "half_life": p.half_life,
            "full_gain_value": str(p.full_gain_value)}


def deployment_info(ctx: ApiContext) -> Deployment:
    """Chain id, public RPC URL, addresses and the ABI of every deployed contract, plus the custom
    errors of every compiled contract and the member names of the enums they carry (so a client
    decodes any revert reason, statuses and reasons by name). With a cross-chain route recorded in
    the data directory, the `HomeGateway` is among the addresses and `spokes` lists the chains that
    publish through it (`nnc.api.crosschain`)."""
    d = ctx.deployment
    addresses: dict[str, str] = {k: Web3.to_checksum_address(v) for k, v in d.addresses.items()}
    gateway = home_gateway(ctx.settings.data_dir, d.chain_id)
    if gateway is not None:
        addresses.setdefault("HomeGateway", gateway)
    abis = {name: ctx.client.artifacts.get(name).abi for name in addresses}
    errors: dict[str, dict[str, Any]] = {}
    for abi in ctx.client.artifacts.all_abis():
        for entry in abi:
            if entry.get("type") == "error":
                types = ",".join(str(i["type"]) for i in entry.get("inputs", []))
                errors.setdefault(f"{entry['name']}({types})", entry)
    return {"chain_id": d.chain_id, "chain_id_hex": hex(d.chain_id), "rpc_url": ctx.public_rpc_url,
            "start_block": d.start_block, "deployer": d.deployer,
            "addresses": addresses, "abis": abis, "errors": list(errors.values()), "enums": SOLIDITY_ENUMS,
            "spokes": spoke_chains(ctx.settings.data_dir, addresses["HomeGateway"], ctx.client.artifacts)
            if "HomeGateway" in addresses else []}


def health(ctx: ApiContext) -> Health:
    """Where the chain and the index stand (the index is brought up to the head first)."""
    with ctx.index() as index:
        indexed = index.last_block
    return {"ok": True, "chain_id": ctx.deployment.chain_id, "block": ctx.client.block_number(),
            "indexed_block": indexed}
