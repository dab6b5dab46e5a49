"""Protocol parameters and the deployment as the web app needs them (addresses, ABIs, chain)."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from nnc.api.context import ApiContext
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market
from nnc.chain.registry import Registry


def protocol_params(ctx: ApiContext) -> dict[str, Any]:
    """Governance-set parameters, read live from the contracts."""
    market = Market(ctx.client)
    registry = Registry(ctx.client)
    s = market.settlement_params()
    nnt = ctx.deployment.address_of("NNToken")
    params: dict[str, Any] = {
        "chain_id": ctx.deployment.chain_id,
        "settlement": {"base_weight_bps": s.base_weight_bps, "quality_weight_bps": s.quality_weight_bps,
                       "reputation_weight_bps": s.reputation_weight_bps, "protocol_fee_bps": s.protocol_fee_bps,
                       "challenge_window": s.challenge_window, "min_snapshot_interval": s.min_snapshot_interval,
                       "reward_per_compute_unit": str(s.reward_per_compute_unit),
                       "abandon_penalty_bps": market.abandon_penalty_bps()},
        "staking": {"min_stake": str(registry.min_stake()),
                    "unbonding_delay": int(registry.contract.functions.unbondingDelay().call())},
        "tokens": [{"symbol": "ETH", "address": "0x" + "00" * 20, "decimals": 18, "allowed": True},
                   {"symbol": "NNT", "address": nnt, "decimals": 18,
                    "allowed": bool(market.contract.functions.isTokenAllowed(nnt).call())}],
        "strategies": [{"name": name, "contract": contract, "address": ctx.deployment.address_of(contract),
                        "allowed": bool(market.contract.functions.isStrategyAllowed(
                            ctx.deployment.address_of(contract)).call())}
                       for name, contract in STRATEGY_CONTRACTS.items() if ctx.has(contract)],
    }
    if ctx.has("Reputation"):
        p = ctx.call("Reputation", "params")
        params["reputation"] = dict(zip(("agreed_gain", "early_gain", "dissent_loss", "missed_loss", "failed_loss",
                                         "half_life"), (int(v) for v in p), strict=True))
    if ctx.has("RewardsPool"):
        params["rewards_pool_available"] = str(ctx.call("RewardsPool", "available"))
    return params


def deployment_info(ctx: ApiContext) -> dict[str, Any]:
    """Chain id, public RPC URL, addresses and the ABI of every deployed contract, plus the custom
    errors of every compiled contract (so a client decodes any revert reason)."""
    d = ctx.deployment
    abis = {name: ctx.client.artifacts.get(name).abi for name in d.addresses}
    errors: dict[str, dict[str, Any]] = {}
    for abi in ctx.client.artifacts.all_abis():
        for entry in abi:
            if entry.get("type") == "error":
                types = ",".join(str(i["type"]) for i in entry.get("inputs", []))
                errors.setdefault(f"{entry['name']}({types})", entry)
    return {"chain_id": d.chain_id, "chain_id_hex": hex(d.chain_id), "rpc_url": ctx.public_rpc_url,
            "start_block": d.start_block, "deployer": d.deployer,
            "addresses": {k: Web3.to_checksum_address(v) for k, v in d.addresses.items()},
            "abis": abis, "errors": list(errors.values())}
