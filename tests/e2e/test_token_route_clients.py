"""The token-route clients against the real compiled gateways on the shared devnet (one chain):
the home gateway's token routes and per-token pool, the spoke's allow-list. The message path
(publishToken → PUBLISH_TOKEN → SETTLE) needs Hyperlane's Mailbox and is the two-chain e2e's;
here the gateways' mailbox is an account that is never called."""

from __future__ import annotations

import pytest

from nnc.chain.client import ChainClient
from nnc.crosschain.token_routes import HomeTokenPools, SpokeTokens
from nnc.devnet import DEPLOYER, ORACLE, REQUESTER, Devnet
from nnc.errors import ChainError, ContractRevertError

SPOKE_DOMAIN = 31338
NNT = 10**18


def _gateways(owner: ChainClient, mailbox: str) -> tuple[str, str]:
    home = owner.deploy("HomeGateway", mailbox, owner.market.address, 600, owner.address)
    spoke = owner.deploy("SpokeGateway", mailbox, 31337, home.address, 3600, owner.address)
    return str(home.address), str(spoke.address)


def test_home_token_pool_and_spoke_allow_list_through_the_clients(chain: Devnet) -> None:
    owner = chain.client(DEPLOYER)
    funder = chain.client(REQUESTER)  # holds NNT: the ERC-20 standing in for a synthetic here
    home_address, spoke_address = _gateways(owner, chain.client(ORACLE).address)  # never called
    token = str(owner.token.address)
    home, spoke = HomeTokenPools(owner, home_address), SpokeTokens(owner, spoke_address)

    assert home.token_route(SPOKE_DOMAIN, token) is None
    home.set_token_route(SPOKE_DOMAIN, token, token)
    assert home.token_route(SPOKE_DOMAIN, token) == token
    HomeTokenPools(funder, home_address).fund_token(token, 5 * NNT)
    assert home.token_liquidity(token) == 5 * NNT
    assert owner.token.functions.balanceOf(home_address).call() == 5 * NNT
    with pytest.raises(ContractRevertError) as err:  # only the free liquidity of that token
        home.withdraw_token_liquidity(token, owner.address, 5 * NNT + 1)
    assert err.value.name == "InsufficientTokenLiquidity"
    with pytest.raises(ContractRevertError) as err:
        HomeTokenPools(funder, home_address).withdraw_token_liquidity(token, funder.address, 1)
    assert err.value.name == "OwnableUnauthorizedAccount"
    home.withdraw_token_liquidity(token, owner.address, 2 * NNT)
    assert home.token_liquidity(token) == 3 * NNT
    home.set_token_route(SPOKE_DOMAIN, token, None)
    assert home.token_route(SPOKE_DOMAIN, token) is None
    assert home.task_token(1) is None

    with pytest.raises(ChainError, match="not allow-listed"):
        SpokeTokens(funder, spoke_address).publish_token(token, NNT, b"spec")
    spoke.set_token_allowed(token, True)
    assert spoke.token_allowed(token)
    assert spoke.token_credits(token, funder.address) == 0 and spoke.escrow_token(1) is None
    with pytest.raises(ContractRevertError) as err:
        SpokeTokens(funder, spoke_address).claim_token(token)
    assert err.value.name == "NothingToClaim"
