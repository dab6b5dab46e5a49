"""The two-chain devnet's ERC-20 route (`nnc devnet up --chains 2 --token-route`): an ERC-20 on
the spoke ("Spoke USD", SUSD, 18 decimals), a Hyperlane warp route for it deployed with
Hyperlane's CLI (collateral on the spoke, synthetic at home), the synthetic allow-listed in the
market through the devnet's DAO, the token allow-listed on the spoke gateway and routed by the
home gateway, the home pool funded by the backer (who warps tokens home over the route, the
relayer delivering), the route's collateral router set on the spoke gateway for claims to
another chain (`nnc claim --chain spoke --to home`), and the requester given tokens to pay with
on the spoke."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nnc.chain.market import Market
from nnc.crosschain.hyperlane import HyperlaneCli
from nnc.crosschain.token_routes import HomeTokenPools, SpokeTokens
from nnc.crosschain.warp import RouteEnd, WarpRoute, deploy_route, send

log = logging.getLogger(__name__)

UNIT = 10**18
SUPPLY = 10**6 * UNIT
POOL = 1_000 * UNIT
"""Tokens the backer warps home into the home gateway's pool of the synthetic."""
REQUESTER_TOKENS = 100 * UNIT
SYMBOL, NAME, DECIMALS = "SUSD", "Spoke USD", 18


@dataclass(frozen=True)
class DevnetTokenRoute:
    route: WarpRoute

    @property
    def token(self) -> str:
        """The ERC-20 requesters escrow on the spoke (the route's collateral)."""
        return self.route.token

    @property
    def synthetic(self) -> str:
        """Its twin at home: tasks are published and nodes paid in it there."""
        return self.route.synthetic


def deploy_token_route(devnet: Any, deployer: int, requester: int) -> DevnetTokenRoute:
    """Deploys and wires the route on a started `nnc.crosschain.devnet.TwoChainDevnet` (typed Any:
    that module imports this one) whose relayer runs; the token's supply goes to `deployer` (the
    route's backer), `REQUESTER_TOKENS` of it to `requester`."""
    home_name, spoke_name = devnet.home_chain.name, devnet.spoke_chain.name
    owner = devnet.address(deployer)
    spoke, home = devnet.spoke_client(deployer), devnet.home_client(deployer)
    token = spoke.deploy("NNToken", owner, SUPPLY)  # any ERC-20 will do: NNT's code, a spoke coin here
    cli = HyperlaneCli(devnet.data_dir / "hyperlane", devnet.home.key(deployer))
    route = deploy_route(cli, RouteEnd(spoke_name, devnet.cores[spoke_name].mailbox, owner),
                         RouteEnd(home_name, devnet.cores[home_name].mailbox, owner), str(token.address), NAME, SYMBOL,
                         DECIMALS)
    devnet.govern([Market(home).config.functions.setTokenAllowed(route.synthetic, True)],
                  f"allow {SYMBOL} (the warp route's synthetic) as payment")
    spoke_tokens = SpokeTokens(spoke, devnet.spoke_gateway_address)
    spoke_tokens.set_token_allowed(route.token, True)
    spoke_tokens.set_warp_router(route.token, route.collateral_router)  # credits claimable to the route's other end
    pools = HomeTokenPools(home, devnet.home_gateway_address)
    pools.set_token_route(devnet.spoke_chain.domain, route.token, route.synthetic)
    send(cli, route, spoke_name, POOL, owner, relay=False)  # the backer warps POOL home (the relayer delivers)
    pools.fund_token(route.synthetic, POOL)
    spoke.transact(token.functions.transfer(devnet.address(requester), REQUESTER_TOKENS),
                   context=f"{SYMBOL} to the requester")
    log.info("token route %s: %s on the spoke <-> %s at home, pool %d", route.route_id, route.token, route.synthetic,
             POOL)
    return DevnetTokenRoute(route)
