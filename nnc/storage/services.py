"""The local storage services of the devnet and the tests, each a Node.js process started on a free
port, polled until it answers (bounded), and stopped by PID (its whole process group):

- `IpfsNode`: the Helia node serving the Kubo RPC API (`storage/ipfs-node/server.mjs`);
- `ArLocal`: arlocal, a local Arweave gateway (`storage/arlocal/server.cjs`).

Both write a log to `<workdir>/<name>.log`; a start that fails quotes its end.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

import requests

from nnc.errors import ConfigError, StorageError
from nnc.paths import NODE_MODULES, REPO_ROOT
from nnc.processes import free_port, stop_process_group

log = logging.getLogger(__name__)

IPFS_NODE_SCRIPT = REPO_ROOT / "storage" / "ipfs-node" / "server.mjs"
ARLOCAL_SCRIPT = REPO_ROOT / "storage" / "arlocal" / "server.cjs"




def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        raise ConfigError("node (Node.js 20+) not found on PATH: the local IPFS node and arlocal need it")
    return found


@dataclass
class _NodeService:
    """A Node.js service in `workdir` on 127.0.0.1:`port` (0: a free port chosen at start)."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    name: ClassVar[str] = "service"
    script: ClassVar[Path] = Path()
    package: ClassVar[str] = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def _arguments(self) -> list[str]:
        raise NotImplementedError

    def _answers(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> Self:
        if not (NODE_MODULES / self.package).is_dir():
            raise ConfigError(f"{self.package} is not installed in {NODE_MODULES}: run `npm ci`")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        command = [node_binary(), str(self.script), *self._arguments()]
        with open(self.log_file, "ab") as log_handle:
            self.process = subprocess.Popen(command, stdout=log_handle, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.workdir, start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise StorageError(f"{self.name} exited with status {self.process.returncode} while starting: "
                                   f"{self._log_tail()}")
            if self._answers():
                log.info("%s up on %s (pid %d, log %s)", self.name, self.url, self.process.pid, self.log_file)
                return self
            time.sleep(0.05)
        self.stop()
        raise StorageError(f"{self.name} did not answer on {self.url} within {timeout:.0f} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-800:].strip() or "(empty log)"
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if stop_process_group(self.process):
            log.info("%s on port %d stopped", self.name, self.port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@dataclass
class IpfsNode(_NodeService):
    """The Helia IPFS node; blocks live in `<workdir>/repo/blocks`. `url` is its Kubo RPC API."""

    name: ClassVar[str] = "ipfs-node"
    script: ClassVar[Path] = IPFS_NODE_SCRIPT
    package: ClassVar[str] = "@helia/http"

    @property
    def repo(self) -> Path:
        return self.workdir / "repo"

    @property
    def blocks_dir(self) -> Path:
        return self.repo / "blocks"

    def _arguments(self) -> list[str]:
        return ["--repo", str(self.repo), "--host", "127.0.0.1", "--port", str(self.port)]

    def _answers(self) -> bool:
        try:
            return requests.post(f"{self.url}/api/v0/version", timeout=1).status_code == 200
        except requests.RequestException:
            return False


@dataclass
class ArLocal(_NodeService):
    """arlocal, with its database in `<workdir>/db`; `mint` funds wallets, `mine` confirms transactions."""

    persist: bool = False

    name: ClassVar[str] = "arlocal"
    script: ClassVar[Path] = ARLOCAL_SCRIPT
    package: ClassVar[str] = "arlocal"

    def _arguments(self) -> list[str]:
        return ["--dbpath", str(self.workdir), "--host", "127.0.0.1", "--port", str(self.port),
                *(["--persist"] if self.persist else [])]

    def _answers(self) -> bool:
        try:
            reply = requests.get(f"{self.url}/info", timeout=1)
            return reply.status_code == 200 and "network" in reply.json()
        except (requests.RequestException, ValueError):
            return False

    def mint(self, address: str, winston: int) -> None:
        """Credits `winston` (10^-12 AR) to `address`."""
        reply = requests.get(f"{self.url}/mint/{address}/{winston}", timeout=10)
        if reply.status_code != 200:
            raise StorageError(f"arlocal at {self.url} refused to mint for {address}: HTTP {reply.status_code}")

    def mine(self, blocks: int = 1) -> None:
        """Mines `blocks` blocks, confirming the pending transactions."""
        reply = requests.get(f"{self.url}/mine/{blocks}", timeout=30)
        if reply.status_code != 200:
            raise StorageError(f"arlocal at {self.url} refused to mine: HTTP {reply.status_code}")
