"""A local anvil chain: start it on a free port, wait until it answers, stop it by PID."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from nnc.errors import ChainError
from nnc.paths import anvil_binary
from nnc.processes import free_port, stop_process_group

log = logging.getLogger(__name__)

DEVNET_CHAIN_ID = 31337




@dataclass
class Anvil:
    """An anvil process with funded accounts; use as a context manager or call start/stop."""

    port: int = 0
    chain_id: int = DEVNET_CHAIN_ID
    accounts: int = 10
    extra_args: tuple[str, ...] = ()  # e.g. ("--auto-impersonate",) for benchmarks
    process: subprocess.Popen[bytes] | None = None
    private_keys: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    state_dir: Path | None = None  # the accounts file and the states anvil persists, while it runs

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> Anvil:
        """Starts anvil; its accounts file and the old states it moves out of memory (anvil's own
        default is ~/.foundry/anvil/tmp, left behind by every run) live in a directory of ours,
        removed by `stop`."""
        self.port = self.port or free_port()
        self.state_dir = Path(tempfile.mkdtemp(prefix="nnc-anvil-"))
        try:
            return self._start(self.state_dir / "anvil.json", timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, config_out: Path, timeout: float) -> Anvil:
        assert self.state_dir is not None
        cmd = [str(anvil_binary()), "--port", str(self.port), "--chain-id", str(self.chain_id),
               "--accounts", str(self.accounts), "--balance", "10000", "--config-out", str(config_out),
               "--cache-path", str(self.state_dir / "states"), "--silent", *self.extra_args]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise ChainError(f"anvil exited with {self.process.returncode}: {err.strip()}")
            if self._answers() and config_out.exists():
                config = json.loads(config_out.read_text())
                self.private_keys = list(config["private_keys"])
                self.addresses = list(config["available_accounts"])
                log.info("anvil up on %s (pid %d)", self.rpc_url, self.process.pid)
                return self
            time.sleep(0.05)
        self.stop()
        raise ChainError(f"anvil did not answer on {self.rpc_url} within {timeout:.0f} s")

    def _answers(self) -> bool:
        try:
            reply = requests.post(self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                                      "params": []}, timeout=1)
            return int(reply.json()["result"], 16) == self.chain_id
        except (requests.RequestException, ValueError, KeyError):
            return False

    def stop(self) -> None:
        if stop_process_group(self.process):
            log.info("anvil on port %d stopped", self.port)
        if self.state_dir is not None:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
