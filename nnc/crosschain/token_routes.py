"""Typed clients of the gateways' ERC-20 routes (README "ERC-20 routes"; the native-coin side of
the same contracts is `nnc.crosschain.gateways`).

- `SpokeTokens` (spoke chain, `SpokeGateway`): escrow a budget in an allow-listed ERC-20 and send
  PUBLISH_TOKEN home (`publish_token`; the Hyperlane fee is native coin), read an escrow's token
  and the per-token credits, and claim them (`claim_token`); governance's allow-list.
- `HomeTokenPools` (home chain, `HomeGateway`): the token routes (spoke domain, spoke token) →
  home token, one liquidity pool per home token (`fund_token`, `token_liquidity`, governance's
  `withdraw_token_liquidity`) and the home token of a bridged task.

A PUBLISH_TOKEN's `spec` is the same `abi.encode(ITaskMarket.TaskParams)` as a native PUBLISH's
(the home gateway replaces its token and budget by the route's home token and the escrowed
amount). Each class wraps one `ChainClient` on its own chain; approvals use any ERC-20 ABI.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.types import ETH
from nnc.crosschain.gateways import HomeGateway, SpokeGateway
from nnc.errors import ChainError


@dataclass(frozen=True)
class TokenPublished:
    """What `SpokeGateway.publishToken` did: the escrow, its token and budget, the Hyperlane fee
    paid in native coin and the PUBLISH_TOKEN message's id."""

    escrow_id: int
    token: str
    budget: int
    fee: int
    deadline: int
    message_id: str
    receipt: TxReceipt


def _checksum(address: str) -> str:
    return str(Web3.to_checksum_address(address))


def _token_or_none(address: str) -> str | None:
    return None if int(address, 16) == 0 else _checksum(address)


def _approve(client: ChainClient, token: str, spender: str, amount: int, context: str) -> None:
    erc20 = client.at("NNToken", token)  # any ERC-20 ABI will do for approve
    client.transact(erc20.functions.approve(Web3.to_checksum_address(spender), amount), context=context)


class SpokeTokens(SpokeGateway):
    """The spoke gateway at `address` with its ERC-20 side, as `client`'s account sees it."""

    def token_allowed(self, token: str) -> bool:
        return bool(self.contract.functions.tokenAllowed(_checksum(token)).call())

    def set_token_allowed(self, token: str, allowed: bool) -> TxReceipt:
        """Governance (the gateway's owner): allows or stops new escrows in `token`."""
        return self.client.transact(self.contract.functions.setTokenAllowed(_checksum(token), allowed),
                                    context=f"{'allow' if allowed else 'disallow'} {token} on the spoke")

    def quote_publish_token(self, token: str, spec: bytes) -> int:
        return int(self.client.call(self.contract.functions.quotePublishToken(_checksum(token), spec),
                                    "quote publishToken"))

    def publish_token(self, token: str, amount: int, spec: bytes) -> TokenPublished:
        """Approves the gateway for `amount` of `token`, escrows it (the Hyperlane fee, quoted
        first, is paid in native coin) and sends PUBLISH_TOKEN home."""
        if amount <= 0:
            raise ChainError(f"publishToken: the budget must be positive, not {amount}")
        if not self.token_allowed(token):
            raise ChainError(f"publishToken: {token} is not allow-listed on the spoke gateway {self.address}")
        _approve(self.client, token, self.address, amount, "approve the spoke gateway")
        fee = self.quote_publish_token(token, spec)
        receipt = self.client.transact(self.contract.functions.publishToken(_checksum(token), amount, spec),
                                       value=fee, context="publishToken on the spoke")
        events = self.contract.events.PublishedToken().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("publishToken on the spoke: no PublishedToken event in the receipt")
        args = events[0]["args"]
        return TokenPublished(int(args["escrowId"]), _checksum(args["token"]), int(args["budget"]), fee,
                              int(args["deadline"]), "0x" + bytes(args["messageId"]).hex(), receipt)

    def escrow_token(self, escrow_id: int) -> str | None:
        """The ERC-20 escrow `escrow_id` is in; None for the native coin."""
        return _token_or_none(str(self.contract.functions.escrowToken(escrow_id).call()))

    def token_credits(self, token: str, account: str) -> int:
        return int(self.contract.functions.tokenCredits(_checksum(token), _checksum(account)).call())

    def claim_token(self, token: str) -> TxReceipt:
        """Withdraws all the account's credits in `token` (payouts, refunds, reclaims)."""
        return self.client.transact(self.contract.functions.claimToken(_checksum(token)),
                                    context=f"claim {token} on the spoke")


class HomeTokenPools(HomeGateway):
    """The home gateway at `address` with its ERC-20 side, as `client`'s account sees it."""

    def token_route(self, domain: int, spoke_token: str) -> str | None:
        """The home token of `spoke_token` escrowed on `domain`; None without a route."""
        return _token_or_none(str(self.contract.functions.tokenRoutes(domain, _checksum(spoke_token)).call()))

    def set_token_route(self, domain: int, spoke_token: str, home_token: str | None) -> TxReceipt:
        """Governance: maps `spoke_token` of `domain` to `home_token` (None closes the route).
        The market must allow-list `home_token` too, or its tasks are refused."""
        target = _checksum(home_token) if home_token is not None else ETH
        return self.client.transact(self.contract.functions.setTokenRoute(domain, _checksum(spoke_token), target),
                                    context=f"route {spoke_token} of domain {domain}")

    def token_liquidity(self, token: str) -> int:
        return int(self.contract.functions.tokenLiquidity(_checksum(token)).call())

    def fund_token(self, token: str, amount: int) -> TxReceipt:
        """Approves the gateway for `amount` of `token` and adds it to that token's pool."""
        if amount <= 0:
            raise ChainError(f"fundToken: the amount must be positive, not {amount}")
        _approve(self.client, token, self.address, amount, "approve the home gateway")
        return self.client.transact(self.contract.functions.fundToken(_checksum(token), amount),
                                    context=f"fund the {token} pool")

    def withdraw_token_liquidity(self, token: str, to: str, amount: int) -> TxReceipt:
        """Governance: withdraws `amount` of `token`'s free liquidity to `to`."""
        return self.client.transact(
            self.contract.functions.withdrawTokenLiquidity(_checksum(token), _checksum(to), amount),
            context=f"withdraw {amount} of the {token} pool")

    def task_token(self, task_id: int) -> str | None:
        """The home token bridged task `task_id` is paid in; None for the native coin."""
        return _token_or_none(str(self.contract.functions.taskToken(task_id).call()))
