"""Hyperlane's CLI (`@hyperlane-xyz/cli`, pinned in package.json) run as a process, offline.

Everything it reads and writes lives in one folder of ours: a local registry (`registry/`,
`chains/<name>/metadata.yaml` written from our anvil chains, `chains/<name>/addresses.yaml`
written by `core deploy`), its HOME (`home/`, so nothing lands in the user's ~/.hyperlane) and
the logs of each run (`logs/`). Found by the probe (`../shared/probes/hyperlane/`):
`--registry <dir>` must come LAST on the command line (it is an array option and swallows the
positionals after it); the relayer sees only messages dispatched after it started
(`deliver` catches one up by hand). YAML files are written as JSON, which is YAML too.

The core config (`core-config.json`, committed next to this module) deploys Hyperlane's
**test ISM as the default ISM: it accepts every message**, an IGP as the default hook and the
merkle tree hook as the required hook, all owned by the deployer. Devnet only.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nnc.errors import ChainError
from nnc.paths import NODE_MODULES

log = logging.getLogger(__name__)

CLI_BUNDLE = NODE_MODULES / "@hyperlane-xyz" / "cli" / "bundle" / "index.js"
CORE_CONFIG = Path(__file__).with_name("core-config.json")
TEST_ISM_WARNING = ("Hyperlane's TEST ISM verifies the cross-chain messages of this devnet: it accepts EVERY "
                    "message, so anyone can forge a PUBLISH, ACK or SETTLE and drain the gateways. Devnet only: "
                    "a real deployment sets a multisig or aggregation ISM on both gateways.")
LOG_TAIL_CHARS = 2_000
_ADDRESS_LINE = re.compile(r'^(\w+):\s*"?(0x[0-9a-fA-F]{40})"?\s*$')


class HyperlaneError(ChainError):
    """Hyperlane's CLI failed (the message names the command and ends with its log's tail)."""


@dataclass(frozen=True)
class HyperlaneChain:
    """One chain as Hyperlane's registry describes it (the domain id is the chain id here)."""

    name: str
    chain_id: int
    rpc_url: str

    @property
    def domain(self) -> int:
        return self.chain_id

    def metadata(self) -> dict[str, object]:
        return {"chainId": self.chain_id, "domainId": self.domain, "name": self.name, "protocol": "ethereum",
                "isTestnet": True, "rpcUrls": [{"http": self.rpc_url}],
                "nativeToken": {"name": "Ether", "symbol": "ETH", "decimals": 18},
                "blocks": {"confirmations": 1, "reorgPeriod": 0, "estimateBlockTime": 1}}


@dataclass(frozen=True)
class CoreDeployment:
    """The Hyperlane core contracts `core deploy` put on one chain, by the registry's names."""

    chain: HyperlaneChain
    addresses: dict[str, str]

    @property
    def mailbox(self) -> str:
        return self.addresses["mailbox"]

    @property
    def gas_paymaster(self) -> str:
        return self.addresses["interchainGasPaymaster"]


def core_config(deployer: str, chains: list[str]) -> dict[str, object]:
    """`core-config.json` with the deployer as owner, beneficiary and gas oracle key, and the gas
    oracle's entries for each of `chains`."""

    def fill(value: object) -> object:
        if value == "$DEPLOYER":
            return deployer
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            if set(value) == {"$EACH_CHAIN"}:
                return {chain: fill(value["$EACH_CHAIN"]) for chain in chains}
            return {k: fill(v) for k, v in value.items()}
        return value

    config = fill(json.loads(CORE_CONFIG.read_text()))
    assert isinstance(config, dict)
    return config


def read_addresses(path: Path) -> dict[str, str]:
    """The `name: "0x..."` lines of a registry `addresses.yaml`."""
    found = {}
    for line in path.read_text().splitlines():
        match = _ADDRESS_LINE.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


class HyperlaneCli:
    """Runs the pinned CLI with `key` (HYP_KEY) against the registry in `root`."""

    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        self.key = key
        self.registry = root / "registry"
        self.home = root / "home"
        self.logs = root / "logs"
        for folder in (self.registry / "chains", self.home, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        if not CLI_BUNDLE.exists():
            raise HyperlaneError(f"Hyperlane's CLI is not installed at {CLI_BUNDLE}: run `npm ci`")

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.home), "HYP_KEY": self.key, "NODE_NO_WARNINGS": "1"}

    def command(self, *args: str) -> list[str]:
        """The CLI's command line for `args`, with `--registry` last (see the module notes)."""
        return ["node", str(CLI_BUNDLE), *args, "--registry", str(self.registry)]

    def add_chain(self, chain: HyperlaneChain) -> None:
        """Writes the chain's `metadata.yaml` into the registry."""
        folder = self.registry / "chains" / chain.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metadata.yaml").write_text(json.dumps(chain.metadata(), indent=2) + "\n")

    def deploy_core(self, chain: HyperlaneChain, deployer: str, chains: list[str],
                    timeout: float = 300.0) -> CoreDeployment:
        """Deploys Hyperlane core to `chain` (signed by the CLI's key, which must be `deployer`'s)
        from `core-config.json`; returns the addresses the CLI wrote into the registry."""
        config = self.root / f"core-config-{chain.name}.yaml"
        config.write_text(json.dumps(core_config(deployer, chains), indent=2) + "\n")
        started = time.monotonic()
        self.run(f"core-{chain.name}", ["core", "deploy", "--chain", chain.name, "--config", str(config), "-y"],
                 timeout)
        addresses_file = self.registry / "chains" / chain.name / "addresses.yaml"
        if not addresses_file.exists():
            raise HyperlaneError(f"hyperlane core deploy on {chain.name} wrote no {addresses_file}"
                                 f"{self._tail(self.logs / f'core-{chain.name}.log')}")
        addresses = read_addresses(addresses_file)
        if "mailbox" not in addresses or "interchainGasPaymaster" not in addresses:
            raise HyperlaneError(f"{addresses_file} names no mailbox or interchainGasPaymaster: {sorted(addresses)}")
        log.info("hyperlane core on %s (domain %d) in %.1f s: mailbox %s", chain.name, chain.domain,
                 time.monotonic() - started, addresses["mailbox"])
        return CoreDeployment(chain, addresses)

    def deliver(self, origin: str, message_id: str, timeout: float = 120.0) -> None:
        """Delivers message `message_id` dispatched on `origin` by hand (`status --relay`): what
        the relayer missed (dispatched while it was down) or is stuck on. A message already
        delivered is left as it is (the Mailbox delivers a message id once)."""
        self.run(f"relay-{message_id[:10]}", ["status", "--origin", origin, "--id", message_id, "--relay", "-y",
                                              "--timeout", str(int(timeout))], timeout + 30)

    def run(self, name: str, args: list[str], timeout: float) -> None:
        """Runs the CLI with `args`, its output in `logs/<name>.log`; HyperlaneError with the
        log's tail when it fails or outlasts `timeout`."""
        log_file = self.logs / f"{name}.log"
        with log_file.open("wb") as out:
            try:
                done = subprocess.run(self.command(*args), env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise HyperlaneError(f"hyperlane {' '.join(args[:2])} did not finish within {timeout:.0f} s "
                                     f"(log {log_file}){self._tail(log_file)}") from None
        if done.returncode != 0:
            raise HyperlaneError(f"hyperlane {' '.join(args[:2])} exited with {done.returncode} "
                                 f"(log {log_file}){self._tail(log_file)}")

    @staticmethod
    def _tail(path: Path) -> str:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return ""
        return f":\n{text[-LOG_TAIL_CHARS:].strip()}" if text.strip() else " (empty log)"
