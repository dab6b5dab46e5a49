"""Typed clients of the gateways' ERC-20 routes (README "ERC-20 routes"; the native-coin side of
the same contracts is `nnc.crosschain.gateways`).

- `SpokeTokens` (spoke chain, `SpokeGateway`): escrow a budget in an allow-listed ERC-20 and send
  PUBLISH_TOKEN home (`publish_token`; the Hyperlane fee is native coin), read an escrow's token
  and the per-token credits, and claim them (`claim_token`) or send them to another chain over
  the token's warp route (`claim_to`, `SpokeGateway.claimTo`); governance's allow-list and
  warp routers.
- `HomeTokenPools` (home chain, `HomeGateway`): the token routes (spoke domain, spoke token) →
  home token, one liquidity pool per home token (`fund_token`, `token_liquidity`, governance's
  `withdraw_token_liquidity`) and the home token of a bridged task.

- `warp_from_wallet`: an account's own tokens over a warp route router (a node paid at home in a
  route's synthetic sends it to the spoke: `nnc claim --token <synthetic> --to spoke`), the
  router's interchain gas quoted first (`quote_transfer_fee`, Hyperlane's `quoteTransferRemote`).

A PUBLISH_TOKEN's `spec` is the same `abi.encode(ITaskMarket.TaskParams)` as a native PUBLISH's
(the home gateway replaces its token and budget by the route's home token and the escrowed
amount). Each class wraps one `ChainClient` on its own chain; approvals use any ERC-20 ABI.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3
from web3.contract import Contract
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


@dataclass(frozen=True)
class SentOver:
    """A transfer sent over a warp route: what, how much, to whom on which Hyperlane domain,
    the native interchain gas paid and the message that carries it (the relayer delivers it)."""

    token: str | None
    amount: int
    destination: int
    recipient: str
    fee: int
    message_id: str
    receipt: TxReceipt


ROUTER_ABI = [
    {"type": "function", "name": "quoteTransferRemote", "stateMutability": "view",
     "inputs": [{"name": "_destination", "type": "uint32"}, {"name": "_recipient", "type": "bytes32"},
                {"name": "_amount", "type": "uint256"}],
     "outputs": [{"name": "quotes", "type": "tuple[]",
                  "components": [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}]}]},
    {"type": "function", "name": "transferRemote", "stateMutability": "payable",
     "inputs": [{"name": "_destination", "type": "uint32"}, {"name": "_recipient", "type": "bytes32"},
                {"name": "_amount", "type": "uint256"}],
     "outputs": [{"name": "messageId", "type": "bytes32"}]},
    {"type": "function", "name": "token", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
]
"""The part of Hyperlane's `TokenRouter` (every warp route router: collateral, synthetic, native)
the claims use; Hyperlane's own ABI, not compiled here."""
DISPATCH_ID_TOPIC = Web3.keccak(text="DispatchId(bytes32)")
"""The Mailbox's event naming a dispatched message's id (its first indexed argument)."""


def router_contract(client: ChainClient, router: str) -> Contract:
    """Warp route router `router` on `client`'s chain (Hyperlane's `TokenRouter` ABI)."""
    return client.w3.eth.contract(address=Web3.to_checksum_address(router), abi=ROUTER_ABI)


def quote_transfer_fee(client: ChainClient, router: str, destination: int, recipient: str, amount: int) -> int:
    """The interchain gas `router` charges in native coin to move `amount` to `recipient` on
    `destination`: its first quote, by Hyperlane's convention (the others are the amount and
    the route's own fees, in the routed token)."""
    contract = router_contract(client, router)
    quotes = client.call(contract.functions.quoteTransferRemote(destination, _padded(recipient), amount),
                         f"quote a warp transfer to domain {destination}")
    if not quotes or int(str(quotes[0][0]), 16) != 0:
        raise ChainError(f"warp router {router}: its interchain gas is not quoted in native coin ({quotes})")
    return int(quotes[0][1])


def warp_from_wallet(client: ChainClient, router: str, destination: int, recipient: str, amount: int) -> SentOver:
    """Sends `amount` of `client`'s own tokens over warp route router `router` to `recipient` on
    `destination` (a synthetic router burns them; a collateral one is approved to pull them),
    paying the quoted interchain gas."""
    contract = router_contract(client, router)
    token = _checksum(str(client.call(contract.functions.token(), "the warp router's token")))
    if token != _checksum(router):
        _approve(client, token, router, amount, "approve the warp route")
    fee = quote_transfer_fee(client, router, destination, recipient, amount)
    receipt = client.transact(contract.functions.transferRemote(destination, _padded(recipient), amount), value=fee,
                              context=f"warp {amount} to domain {destination}")
    dispatched = [log for log in receipt["logs"] if log["topics"] and log["topics"][0] == DISPATCH_ID_TOPIC]
    if not dispatched:
        raise ChainError(f"warp transfer over {router}: no DispatchId event in the receipt")
    message_id = "0x" + bytes(dispatched[0]["topics"][1]).hex()
    return SentOver(token, amount, destination, _checksum(recipient), fee, message_id, receipt)


def _padded(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(_checksum(address)[2:])


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

    def warp_router(self, token: str | None) -> str | None:
        """The warp route router that carries claims of `token` (None: the native coin) to other
        chains; None without one."""
        return _token_or_none(str(self.contract.functions.warpRouters(_checksum(token or ETH)).call()))

    def set_warp_router(self, token: str | None, router: str | None) -> TxReceipt:
        """Governance: claims of `token` (None: native coin) go over `router` (None: nowhere)."""
        return self.client.transact(
            self.contract.functions.setWarpRouter(_checksum(token or ETH), _checksum(router or ETH)),
            context=f"set the warp router of {token or 'the native coin'} on the spoke")

    def claim_to(self, token: str | None, destination: int, recipient: str, amount: int) -> SentOver:
        """Sends `amount` of the account's credit in `token` (None: native coin) to `recipient` on
        Hyperlane domain `destination` over the token's warp route, paying the route's quoted
        interchain gas (the change is credited back here); the rest of the credit stays here."""
        router = self.warp_router(token)
        what = token or "the native coin"
        if router is None:
            raise ChainError(f"claim to domain {destination}: the spoke gateway {self.address} has no warp route "
                             f"for {what}")
        credit = self.token_credits(token, self.client.address) if token else self.credits(self.client.address)
        if not 0 < amount <= credit:
            raise ChainError(f"claim to domain {destination}: amount {amount} of {what}, credited {credit}")
        fee = quote_transfer_fee(self.client, router, destination, recipient, amount)
        receipt = self.client.transact(
            self.contract.functions.claimTo(_checksum(token or ETH), destination, _padded(recipient), amount),
            value=fee, context=f"claim {what} to domain {destination}")
        events = self.contract.events.ClaimedTo().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("claimTo on the spoke: no ClaimedTo event in the receipt")
        args = events[0]["args"]
        return SentOver(token, int(args["amount"]), destination, _checksum(recipient), fee,
                        "0x" + bytes(args["messageId"]).hex(), receipt)


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
