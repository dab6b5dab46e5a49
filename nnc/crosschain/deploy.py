"""Deploying one cross-chain route: the `HomeGateway` next to the market on the home chain (once
per deployment), a `SpokeGateway` on the spoke chain, enrolled with each other, each with the
interchain security module its messages are verified with.

The ISM is the route's trust (README, "Cross-chain tasks over Hyperlane"). Only the `devnet`
profile may leave it unset, which means the Mailbox's default ISM: Hyperlane's test ISM on the
devnet, which accepts every message. Every other profile must name one (a multisig or
aggregation ISM deployed on each chain beforehand): `deploy_route` refuses before it sends
anything. Both gateways stay owned by `owner` (Ownable2Step: a timelock accepts the ownership
by a governance proposal).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nnc.chain.client import ChainClient
from nnc.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteParams:
    home_mailbox: str
    spoke_mailbox: str
    home_domain: int
    spoke_domain: int
    backer: str  # credited on the spoke with what the pool paid on home
    ack_window: int  # seconds before the payer may reclaim an unacknowledged escrow
    ack_margin: int  # a PUBLISH later than this before its deadline is refused at home
    profile: str = "devnet"
    home_ism: str | None = None  # None: the Mailbox's default (the devnet's test ISM)
    spoke_ism: str | None = None

    def check(self) -> None:
        if self.profile != "devnet" and (self.home_ism is None or self.spoke_ism is None):
            raise ConfigError(f"the {self.profile} profile needs an interchain security module on both chains "
                              "(a multisig or aggregation ISM): without one the Mailbox's default verifies the "
                              "gateways' messages, on a devnet Hyperlane's test ISM, which accepts every message")
        if self.ack_margin >= self.ack_window:
            raise ConfigError(f"the ACK margin ({self.ack_margin} s) must be shorter than the ACK window "
                              f"({self.ack_window} s): every PUBLISH would be refused")


@dataclass(frozen=True)
class Route:
    home_gateway: str
    spoke_gateway: str
    home_block: int
    spoke_block: int
    spoke_transaction: str


def deploy_route(home: ChainClient, spoke: ChainClient, params: RouteParams, owner: str | None = None) -> Route:
    """Deploys and enrols both gateways from the two clients' accounts (owner: `owner`, default
    the home client's account); returns their addresses and creation blocks."""
    params.check()
    owner = owner or home.address
    gateway = home.deploy("HomeGateway", params.home_mailbox, home.market.address, params.ack_margin, home.address)
    spoke_gateway = spoke.deploy("SpokeGateway", params.spoke_mailbox, params.home_domain, gateway.address,
                                 params.ack_window, spoke.address)
    home.transact(gateway.functions.enrollSpoke(params.spoke_domain, spoke_gateway.address, params.backer),
                  context="enrol the spoke gateway")
    for client, contract, ism in ((home, gateway, params.home_ism), (spoke, spoke_gateway, params.spoke_ism)):
        if ism is not None:
            client.transact(contract.functions.setInterchainSecurityModule(ism), context="set the ISM")
        if owner != client.address:
            client.transact(contract.functions.transferOwnership(owner), context="hand the gateway over")
    if params.home_ism is None:
        log.warning("route %d -> %d: the gateways use the Mailbox's default ISM (devnet: the test ISM, which "
                    "accepts every message)", params.spoke_domain, params.home_domain)
    spoke_block, spoke_tx = spoke.deployed_at[str(spoke_gateway.address)]
    return Route(str(gateway.address), str(spoke_gateway.address), home.deployed_at[str(gateway.address)][0],
                 spoke_block, spoke_tx)
