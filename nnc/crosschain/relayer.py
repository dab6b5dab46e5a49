"""Hyperlane's relayer (`hyperlane relayer`, the TypeScript one inside the pinned CLI) as a
supervised process.

The probe found two ways it fails quietly: it sees only messages dispatched after it started,
and one message that keeps failing makes it busy-wait so that later messages are not picked up.
So a supervisor thread watches every Mailbox itself (their `Dispatch` events) and checks each
message's delivery on its destination (`delivered(id)`):

- the process died: it is started again;
- a message is not delivered `stall_s` after it was dispatched (or after the relayer came back
  from an outage): the relayer is restarted (at most once per `stall_s`) and the message is
  delivered by hand with `hyperlane status --relay` (a second key, so the two never race for a
  nonce). A message whose hand delivery fails (its `handle` reverts) is tried again after
  another `stall_s`.

`stop()` and `start()` let tests simulate an outage: while stopped nothing is delivered, by the
process or by hand; on `start()` what was dispatched meanwhile is delivered at once.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3

from nnc.chain.client import connect_web3
from nnc.crosschain.hyperlane import HyperlaneChain, HyperlaneCli, HyperlaneError
from nnc.processes import stop_process_group

log = logging.getLogger(__name__)

MAILBOX_ABI: list[dict[str, Any]] = [
    {"type": "event", "name": "Dispatch", "anonymous": False, "inputs": [
        {"name": "sender", "type": "address", "indexed": True},
        {"name": "destination", "type": "uint32", "indexed": True},
        {"name": "recipient", "type": "bytes32", "indexed": True},
        {"name": "message", "type": "bytes", "indexed": False}]},
    {"type": "function", "name": "delivered", "stateMutability": "view",
     "inputs": [{"name": "_id", "type": "bytes32"}], "outputs": [{"name": "", "type": "bool"}]},
]
"""The two members of Hyperlane's Mailbox (v3) the supervisor reads. Hyperlane's core contracts
are deployed by its CLI, not compiled here (`contracts/src/crosschain/IHyperlane.sol` declares
only what the gateways call), so their ABI is not among our artifacts."""


@dataclass
class Message:
    """A dispatched message the supervisor waits to see delivered."""

    origin: str
    destination: str
    message_id: str
    due: float  # monotonic time after which it counts as stuck
    dispatched: float


class Relayer:
    """Hyperlane's relayer between `chains`, supervised (see the module notes). `cli` runs the
    relayer with its own key; `hand_key` signs hand deliveries."""

    def __init__(self, cli: HyperlaneCli, chains: list[HyperlaneChain], mailboxes: dict[str, str],
                 hand_key: str, stall_s: float = 30.0, poll_s: float = 0.5) -> None:
        self.cli = cli
        self.chains = {c.name: c for c in chains}
        self.mailboxes = mailboxes
        self.hand = HyperlaneCli(cli.root, hand_key)
        self.stall_s = stall_s
        self.poll_s = poll_s
        self.log_file: Path = cli.logs / "relayer.log"
        self.cache_file: Path = cli.home / "relayer-cache.json"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.hand_deliveries = 0
        self.latencies: dict[str, float] = {}  # message id -> seconds from first seen to delivered
        self._wanted = False
        self._pending: dict[str, Message] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._w3: dict[str, Web3] = {}
        self._next_block: dict[str, int] = {}
        self._domains = {c.domain: c.name for c in chains}

    @property
    def address(self) -> str:
        """The relayer's account (it pays the delivery transactions' gas)."""
        return str(Account.from_key(self.cli.key).address)

    def start(self) -> Relayer:
        """Starts the relayer (and the supervisor, the first time); delivers by hand what was
        dispatched while it was stopped."""
        with self._lock:
            self._wanted = True
            self._launch()
            now = time.monotonic()
            for message in self._pending.values():
                message.due = min(message.due, now)  # missed while it was down: catch up at once
        if self._thread is None:
            for name in self.chains:
                self._next_block[name] = self._web3(name).eth.block_number + 1
            self._thread = threading.Thread(target=self._supervise, name="relayer-supervisor", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stops the relayer (an outage): nothing is delivered until `start()`."""
        with self._lock:
            self._wanted = False
            if stop_process_group(self.process):
                log.info("relayer stopped (pid %d)", self.process.pid if self.process else 0)

    def close(self) -> None:
        """Stops the relayer and its supervisor for good."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout=self.stall_s + 60)
        self.stop()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def delivered(self, destination: str, message_id: str) -> bool:
        mailbox = self._web3(destination).eth.contract(
            address=Web3.to_checksum_address(self.mailboxes[destination]), abi=MAILBOX_ABI)
        return bool(mailbox.functions.delivered(bytes.fromhex(message_id.removeprefix("0x"))).call())

    def wait_delivered(self, destination: str, message_id: str, timeout: float = 90.0) -> None:
        """Polls until message `message_id` is delivered on `destination`; HyperlaneError after
        `timeout` s, naming the relayer's log."""
        end = time.monotonic() + timeout
        while not self.delivered(destination, message_id):
            if time.monotonic() > end:
                raise HyperlaneError(f"message {message_id} not delivered on {destination} within {timeout:.0f} s "
                                     f"(relayer {'running' if self.running else 'stopped'}, log {self.log_file})")
            time.sleep(0.2)

    # -- the supervisor --------------------------------------------------------------------

    def _web3(self, name: str) -> Web3:
        if name not in self._w3:  # one connection per chain, used by the supervisor thread
            self._w3[name] = connect_web3(self.chains[name].rpc_url)
        return self._w3[name]

    def _launch(self) -> None:
        stop_process_group(self.process)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            out.write(f"\n--- relayer start at {time.strftime('%H:%M:%S')} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                self.cli.command("relayer", "--chains", *self.chains, "--cache", str(self.cache_file)),
                env=self.cli.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        self.started_at = time.monotonic()
        log.info("relayer started between %s (pid %d, log %s)", ", ".join(self.chains), self.process.pid,
                 self.log_file)

    def _supervise(self) -> None:
        while not self._closing.wait(self.poll_s):
            try:
                self._tick()
            except Exception as exc:  # a chain away for a moment: the next tick tries again
                log.warning("relayer supervisor: %s: %s", exc.__class__.__name__, exc)

    def _tick(self) -> None:
        with self._lock:
            if self._wanted and not self.running:
                code = self.process.returncode if self.process is not None else None
                log.warning("relayer exited (code %s): starting it again (log %s)", code, self.log_file)
                self.restarts += 1
                self._launch()
        for name in self.chains:
            self._scan(name)
        now = time.monotonic()
        for message in list(self._pending.values()):
            if self.delivered(message.destination, message.message_id):
                self.latencies[message.message_id] = now - message.dispatched
                del self._pending[message.message_id]
                log.info("message %s %s -> %s delivered after %.1f s", message.message_id[:10], message.origin,
                         message.destination, now - message.dispatched)
            elif self._wanted and now >= message.due:
                self._unstick(message)

    def _scan(self, name: str) -> None:
        w3 = self._web3(name)
        latest = w3.eth.block_number
        first = self._next_block[name]
        if latest < first:
            return
        mailbox = w3.eth.contract(address=Web3.to_checksum_address(self.mailboxes[name]), abi=MAILBOX_ABI)
        now = time.monotonic()
        for event in mailbox.events.Dispatch().get_logs(from_block=first, to_block=latest):
            destination = self._domains.get(int(event["args"]["destination"]))
            if destination is None:
                continue  # to a chain this relayer does not serve
            message_id = "0x" + Web3.keccak(event["args"]["message"]).hex().removeprefix("0x")
            self._pending.setdefault(message_id, Message(name, destination, message_id, now + self.stall_s, now))
        self._next_block[name] = latest + 1

    def _unstick(self, message: Message) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self.started_at >= self.stall_s:
                log.warning("message %s %s -> %s not delivered after %.0f s: restarting the relayer",
                            message.message_id[:10], message.origin, message.destination, now - message.dispatched)
                self.restarts += 1
                self._launch()
        try:
            self.hand.deliver(message.origin, message.message_id)
        except HyperlaneError as exc:
            log.warning("message %s: delivery by hand failed, trying again in %.0f s: %s", message.message_id[:10],
                        self.stall_s, exc)
            message.due = time.monotonic() + self.stall_s
            return
        self.hand_deliveries += 1
        log.info("message %s %s -> %s delivered by hand", message.message_id[:10], message.origin,
                 message.destination)
