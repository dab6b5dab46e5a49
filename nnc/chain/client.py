"""The chain client: connection, contract handles, transactions with decoded reverts, events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError
from web3.types import BlockIdentifier, RPCEndpoint, TxParams, TxReceipt

from nnc.chain.artifacts import Artifact, Artifacts
from nnc.chain.deployment import Deployment
from nnc.chain.revert import RevertDecoder
from nnc.chain.types import SOLIDITY_ENUMS
from nnc.errors import ArtifactError, ChainError, ChainUnavailableError, ConfigError
from nnc.settings import Settings

log = logging.getLogger(__name__)

RECEIPT_TIMEOUT_S = 120.0
FEE_REFRESH_S = 1.0
"""Seconds the fee fields of a transaction are reused (about a block: the base fee moves at most
12.5 % a block, and maxFeePerGas is twice the base fee plus the tip)."""
# what a node answers when a transaction's nonce is not the next one (another sender with the same
# key, a transaction dropped, a chain reverted) or its fee cap is under the base fee
NONCE_ERRORS = ("nonce too low", "nonce too high", "invalid nonce", "already known", "replacement transaction",
                "nonce has already been used")
FEE_ERRORS = ("max fee per gas less than block base fee", "fee cap", "maxfeepergas", "underpriced")

# Failures a daemon waits out with back-off rather than crashing on. A revert is not one of them:
# it is an answer, and retrying the same call would get the same answer.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    ChainUnavailableError, requests.ConnectionError, requests.Timeout, requests.HTTPError, Web3RPCError)
"""Failures a daemon waits out with back-off: the node or a gateway in front of it (HTTP 5xx) is away."""


@dataclass(frozen=True)
class SentTransaction:
    """A transaction `ChainClient.submit` sent, its receipt not read yet."""

    tx_hash: str
    tx: dict[str, Any]
    """What was signed (nonce included): replayed to decode a revert."""
    label: str
    fn: ContractFunction | None
    sent_at: float
    """`time.monotonic()` when it was sent."""


def connect_web3(rpc_url: str, timeout: float = 10.0) -> Web3:
    # the chain id is asked before each call and gas estimate: once per connection is enough
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, cache_allowed_requests=True,
                                cacheable_requests={RPCEndpoint("eth_chainId")}))
    try:
        _ = w3.eth.chain_id
    except Exception as exc:  # requests' connection errors carry no common base we can name
        raise ChainUnavailableError(f"cannot reach the chain at {rpc_url}: {exc.__class__.__name__}") from None
    return w3


def library_placeholder(source: str, library: str) -> str:
    """solc's placeholder for an external library: `__$` + the first 34 hex digits of
    keccak256("<source path>:<library name>") + `$__` (40 characters, an address's width)."""
    return "__$" + Web3.keccak(text=f"{source}:{library}").hex().removeprefix("0x")[:34] + "$__"


class ChainClient:
    """One account on one deployment: read contracts, send transactions, decode failures."""

    def __init__(self, w3: Web3, artifacts: Artifacts, deployment: Deployment | None = None,
                 account: LocalAccount | None = None, gas_multiplier: float = 1.25) -> None:
        self.w3 = w3
        self.artifacts = artifacts
        self.deployment = deployment
        self.account = account
        self.gas_multiplier = gas_multiplier
        self.decoder = RevertDecoder(artifacts.all_abis(), SOLIDITY_ENUMS)
        self._contracts: dict[str, Contract] = {}
        self.receipt_hooks: list[Callable[[TxReceipt], None]] = []  # called with every mined receipt (metrics)
        # external libraries deployed (or known) for this deployment: name -> address
        self.libraries: dict[str, str] = dict(deployment.libraries) if deployment is not None else {}
        self.deployed_at: dict[str, tuple[int, str]] = {}
        """Block number and transaction hash of each contract this client deployed, by address."""
        self.local_nonce = False
        """Count the account's nonce here (read from the node's "pending" count once, then after a
        nonce error or a lost transaction) rather than asking the node before each transaction.
        For a daemon that owns its key (the oracle); off by default, because a node queues a
        transaction whose nonce is too high without an error (a chain reverted under a long-lived
        client, a transaction dropped), and only a sender that tracks its transactions notices."""
        self._nonce: int | None = None
        self._chain_id: int | None = None
        self._fees: tuple[float, dict[str, int]] | None = None
        self._send_lock = threading.Lock()  # one nonce at a time

    @classmethod
    def from_settings(cls, settings: Settings, need_deployment: bool = True,
                      need_account: bool = True) -> ChainClient:
        w3 = connect_web3(settings.rpc_url)
        deployment = None
        if need_deployment:
            deployment = Deployment.load(settings.resolved_deployment_file)
            if deployment.chain_id != w3.eth.chain_id:
                raise ConfigError(
                    f"deployment {settings.resolved_deployment_file} is for chain {deployment.chain_id}, "
                    f"but {settings.rpc_url} is chain {w3.eth.chain_id}")
        key = settings.private_key_hex()
        if need_account and key is None:
            raise ConfigError("no signing key: set keystore (NNC_KEYSTORE), key_file (NNC_KEY_FILE) or NNC_PRIVATE_KEY")
        account = Account.from_key(key) if key else None
        return cls(w3, Artifacts(), deployment, account, settings.gas_multiplier)

    # -- contracts -------------------------------------------------------------------------

    def contract(self, name: str) -> Contract:
        """The deployed contract `name` (TaskMarket, NodeRegistry, NNToken, FirstComeStrategy)."""
        if name not in self._contracts:
            if self.deployment is None:
                raise ConfigError("no deployment loaded: deploy first (`nnc deploy` or `nnc devnet up`)")
            address = cast(ChecksumAddress, self.deployment.address_of(name))
            self._contracts[name] = self.w3.eth.contract(address=address, abi=self.artifacts.get(name).abi)
        return self._contracts[name]

    def has_contract(self, name: str) -> bool:
        """Whether the loaded deployment holds contract `name` (older deployments lack some)."""
        return self.deployment is not None and name in self.deployment.addresses

    def at(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=self.artifacts.get(name).abi)

    @property
    def market(self) -> Contract:
        return self.contract("TaskMarket")

    @property
    def registry(self) -> Contract:
        return self.contract("NodeRegistry")

    @property
    def token(self) -> Contract:
        return self.contract("NNToken")

    @property
    def address(self) -> ChecksumAddress:
        if self.account is None:
            raise ConfigError("no signing key: set keystore (NNC_KEYSTORE), key_file (NNC_KEY_FILE) or NNC_PRIVATE_KEY")
        return self.account.address

    @property
    def chain_id(self) -> int:
        """The chain's id, asked once."""
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def resync_nonce(self) -> None:
        """Forgets the locally counted nonce: the next transaction reads the node's "pending" count."""
        self._nonce = None

    # -- transactions ----------------------------------------------------------------------

    def call(self, fn: ContractFunction, context: str = "") -> Any:
        try:
            return fn.call({"from": self.account.address} if self.account else {})
        except ContractLogicError as exc:
            raise self.decoder.decode(exc.data if isinstance(exc.data, str) else None, context) from None

    def transact(self, fn: ContractFunction, value: int = 0, gas: int | None = None,
                 context: str = "") -> TxReceipt:
        """Simulates, signs with the client's key, sends and waits for the receipt.

        A revert, found in the simulation or in the receipt, raises ContractRevertError with the
        decoded custom error (e.g. `TokenNotAllowed(token=0x...)`).
        """
        label = context or fn.fn_name
        tx = self._prepare(fn, value, gas, label)
        return self._wait(self._send_raw(tx, label), tx, label, fn)

    def submit(self, fn: ContractFunction, value: int = 0, gas: int | None = None,
               context: str = "") -> SentTransaction:
        """Simulates, signs and sends like `transact`, without waiting for the receipt: returns
        what was sent, for `receipt_of` (and `nnc.chain.pending.PendingTransactions`) to check later.
        A revert found in the simulation raises ContractRevertError as in `transact`."""
        label = context or fn.fn_name
        tx = self._prepare(fn, value, gas, label)
        tx_hash = self._send_raw(tx, label)
        return SentTransaction(tx_hash="0x" + bytes(tx_hash).hex(), tx=tx, label=label, fn=fn,
                               sent_at=time.monotonic())

    def mined(self, sent: SentTransaction) -> bool:
        """Whether the node has mined the transaction `submit` sent (its receipt exists)."""
        return self._raw_receipt(sent) is not None

    def receipt_of(self, sent: SentTransaction) -> TxReceipt | None:
        """The receipt of a transaction `submit` sent, None while it is not mined. Runs the receipt
        hooks; a failed one raises the decoded revert (ContractRevertError) or ChainError."""
        receipt = self._raw_receipt(sent)
        return None if receipt is None else self._checked(receipt, sent.tx, sent.label, sent.fn)

    def _raw_receipt(self, sent: SentTransaction) -> TxReceipt | None:
        try:
            return self.w3.eth.get_transaction_receipt(cast(Any, sent.tx_hash))
        except TransactionNotFound:
            return None

    def _prepare(self, fn: ContractFunction, value: int, gas: int | None, label: str) -> dict[str, Any]:
        """The transaction to sign, less its nonce: the gas estimated (a revert is decoded here,
        before anything is sent), the chain id and fee fields known already, so building it asks
        the node nothing more."""
        sender = self.address
        tx_params = cast(TxParams, {"from": sender, "value": value})
        try:
            if gas is None:
                gas = int(fn.estimate_gas(tx_params) * self.gas_multiplier)
            tx = fn.build_transaction(cast(TxParams, {
                "from": sender, "value": value, "gas": gas, "nonce": 0, "chainId": self.chain_id,
                **self._fee_fields(),
            }))
        except ContractLogicError as exc:
            raise self.decoder.decode(exc.data if isinstance(exc.data, str) else None, label) from None
        except Web3RPCError as exc:
            if "insufficient funds" in str(exc).lower():
                held = self.w3.eth.get_balance(sender)
                raise ChainError(f"{label}: {sender} holds {Web3.from_wei(held, 'ether')} ETH, not enough for the "
                                 f"transaction's value ({Web3.from_wei(value, 'ether')} ETH) and gas") from None
            raise
        return dict(tx)

    def send_value(self, to: str, value: int) -> TxReceipt:
        tx: dict[str, Any] = {
            "from": self.address, "to": Web3.to_checksum_address(to), "value": value, "gas": 21_000,
            "chainId": self.chain_id, **self._fee_fields(),
        }
        return self._wait(self._send_raw(tx, "send ETH"), tx, "send ETH", None)

    def deploy(self, name: str, *args: Any) -> Contract:
        """Deploys contract `name`; the external libraries its bytecode references are deployed
        first (once per client: see `libraries`) and linked in."""
        artifact = self.artifacts.get(name)
        bytecode = self.link(artifact)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=bytecode)
        ctor = factory.constructor(*args)
        try:
            gas = int(ctor.estimate_gas(cast(TxParams, {"from": self.address})) * self.gas_multiplier)
        except ContractLogicError as exc:
            raise self.decoder.decode(exc.data if isinstance(exc.data, str) else None, f"deploy {name}") from None
        tx = dict(ctor.build_transaction(cast(TxParams, {
            "from": self.address, "gas": gas, "chainId": self.chain_id, "nonce": 0, **self._fee_fields(),
        })))
        receipt = self._wait(self._send_raw(tx, f"deploy {name}"), tx, f"deploy {name}", None)
        address = receipt["contractAddress"]
        if address is None:
            raise ChainError(f"deploy {name}: receipt has no contract address")
        log.info("deployed %s at %s (gas %d)", name, address, receipt["gasUsed"])
        self.deployed_at[str(address)] = (int(receipt["blockNumber"]), "0x" + bytes(receipt["transactionHash"]).hex())
        return self.w3.eth.contract(address=address, abi=artifact.abi)

    def link(self, artifact: Artifact) -> str:
        """`artifact`'s bytecode with every library placeholder replaced by the library's address,
        deploying the libraries not deployed yet. Uses the compiler's link references (byte
        offsets), and checks that each holds solc's placeholder for that library."""
        text = artifact.bytecode[2:]
        for source, library in artifact.libraries:
            address = self.libraries.get(library)
            if address is None:
                address = str(self.deploy(library).address)
                self.libraries[library] = address
            placeholder = library_placeholder(source, library)
            for ref in artifact.link_references[source][library]:
                start, length = 2 * int(ref["start"]), 2 * int(ref["length"])
                if length != 40 or text[start:start + length] != placeholder:
                    raise ArtifactError(f"{artifact.name}: no placeholder for {source}:{library} at byte "
                                        f"{ref['start']} (stale artifact? run `nnc build`)")
                text = text[:start] + address[2:].lower() + text[start + length:]
        if "__$" in text:
            raise ArtifactError(f"{artifact.name}: unlinked library placeholders left in the bytecode")
        return "0x" + text

    def _fee_fields(self, refresh: bool = False) -> dict[str, int]:
        """maxFeePerGas (twice the latest base fee plus the tip) and the tip, read again after
        `FEE_REFRESH_S` (about a block), not for each transaction."""
        now = time.monotonic()
        if refresh or self._fees is None or now - self._fees[0] > FEE_REFRESH_S:
            base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0
            tip = self.w3.to_wei(1, "gwei")
            self._fees = (now, {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip})
        return dict(self._fees[1])

    def _next_nonce(self) -> int:
        if self.local_nonce and self._nonce is not None:
            return self._nonce
        return int(self.w3.eth.get_transaction_count(self.address, "pending"))

    def _send_raw(self, tx: dict[str, Any], label: str) -> HexBytes:
        """Signs `tx` with the next nonce and sends it; returns its hash. A nonce the node refuses
        (another sender with this key, a transaction lost) is read again from the node and the
        transaction sent once more; so is a fee cap under the base fee, with the fees read again."""
        assert self.account is not None
        with self._send_lock:
            for attempt in range(2):
                nonce = self._next_nonce()
                signed = self.account.sign_transaction({**tx, "nonce": nonce})
                try:
                    tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
                except Web3RPCError as exc:
                    self._nonce = None  # whatever happened, the next nonce is read from the node
                    message = str(exc).lower()
                    if attempt == 0 and any(text in message for text in NONCE_ERRORS):
                        log.info("%s: nonce %d refused (%s): reading the account's nonce again", label, nonce, exc)
                        continue
                    if attempt == 0 and any(text in message for text in FEE_ERRORS) and "maxFeePerGas" in tx:
                        log.info("%s: fee refused (%s): reading the base fee again", label, exc)
                        tx.update(self._fee_fields(refresh=True))
                        continue
                    raise ChainError(f"{label}: the node refused the transaction: {exc}") from None
                except BaseException:
                    self._nonce = None  # sent or not: unknown, so the node is asked next time
                    raise
                tx["nonce"] = nonce
                self._nonce = nonce + 1 if self.local_nonce else None
                return tx_hash
        raise AssertionError("unreachable")

    def _wait(self, tx_hash: HexBytes, tx: dict[str, Any], label: str, fn: ContractFunction | None) -> TxReceipt:
        """Waits for the receipt of a transaction `_send_raw` sent; see `_checked`."""
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S)
        except TimeExhausted:
            self._nonce = None  # dropped, or queued behind a nonce gap: ask the node next time
            raise ChainUnavailableError(f"{label}: no receipt within {RECEIPT_TIMEOUT_S:.0f} s") from None
        except Web3RPCError as exc:
            raise ChainError(f"{label}: the node refused the transaction: {exc}") from None
        return self._checked(receipt, tx, label, fn)

    def _checked(self, receipt: TxReceipt, tx: dict[str, Any], label: str, fn: ContractFunction | None) -> TxReceipt:
        """Runs the receipt hooks; a failed transaction raises its decoded revert."""
        for hook in self.receipt_hooks:
            hook(receipt)
        if receipt["status"] != 1:
            raise self._explain_failure(receipt, tx, label, fn)
        log.debug("%s: tx %s gas %d", label, bytes(receipt["transactionHash"]).hex(), receipt["gasUsed"])
        return receipt

    def _explain_failure(self, receipt: TxReceipt, tx: dict[str, Any], label: str,
                         fn: ContractFunction | None) -> ChainError:
        """Replays a failed transaction to recover the revert data: on the state its block left
        (which holds what made it fail when a transaction before it in the same block won a race:
        a task assigned or cancelled meanwhile), then on the state before its block."""
        replay = {k: tx[k] for k in ("from", "to", "value", "data", "gas") if k in tx}
        for block in (receipt["blockNumber"], receipt["blockNumber"] - 1):
            try:
                self.w3.eth.call(replay, block)  # type: ignore[arg-type]
            except ContractLogicError as exc:
                return self.decoder.decode(exc.data if isinstance(exc.data, str) else None, label)
            except Web3RPCError:
                pass
        return ChainError(f"{label}: transaction {receipt['transactionHash'].hex()} failed "
                          f"(gas used {receipt['gasUsed']} of {tx.get('gas')})")

    # -- blocks ----------------------------------------------------------------------------

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def block_timestamp(self, block: BlockIdentifier = "latest") -> int:
        return int(self.w3.eth.get_block(block)["timestamp"])

    def next_block_timestamp(self) -> int:
        """The time the next block will carry, as far as the node tells: its pending block's
        timestamp (anvil and geth build one), never before the latest block's. Deadlines a
        transaction is about to send count from here: on a chain that mines only on demand (a
        devnet left idle) the latest block may be minutes old, and a deadline counted from it
        would already have passed when the transaction is mined."""
        latest = self.block_timestamp()
        try:
            pending = self.block_timestamp("pending")
        except (Web3RPCError, ValueError):  # a node without a pending block
            return latest
        return max(latest, pending)

    def wait_for(self, what: str, predicate: Any, timeout: float, interval: float = 0.2) -> Any:
        """Polls `predicate()` until it returns a truthy value; ChainError after `timeout` s."""
        end = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > end:
                raise ChainError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)
