"""One two-chain devnet for every test in this folder (Hyperlane core deploys once): the home
devnet with an oracle and two workers (the e2e harness's, the oracle relaying settlements), a
spoke chain, the gateways, Hyperlane's relayer and the devnet's ERC-20 warp route. Tests do not
revert snapshots (the relayer follows both chains): each uses escrows and tasks of its own.
Package-scoped: the chains and the relayer (whose supervisor may restart it) stop after this
folder, not at the end of the session."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from nnc.chain.deploy import NNT
from nnc.crosschain.devnet import TwoChainDevnet
from nnc.devnet import DEVNET_PARAMS, ORACLE
from nnc.oracle.daemon import Oracle, open_index
from nnc.storage import LocalStore
from nnc.worker.daemon import Worker
from tests.e2e.harness import Network, settings_for

STALL_S = 20.0
"""Seconds before the relayer's supervisor counts a message as stuck (the relayer takes 8-9 s)."""


@dataclass
class CrossChain:
    chains: TwoChainDevnet
    net: Network  # the home chain's daemons

    @property
    def spoke_domain(self) -> int:
        return self.chains.spoke_chain.domain


@pytest.fixture(scope="package")
def crosschain() -> Iterator[CrossChain]:
    # a 60 s challenge window (the harness skips it with the clock): the devnet's 10 s passed in real
    # time on a loaded machine before a replica revealed, which then went unpaid (Missed)
    params = replace(DEVNET_PARAMS, snapshot_interval=0, challenge_window=60)
    with tempfile.TemporaryDirectory(prefix="nnc-test-crosschain-") as tmp:
        root = Path(tmp)
        with TwoChainDevnet(root / "chains", nodes=2, params=params, stall_s=STALL_S, with_token_route=True) as chains:
            home = chains.home
            data = root / "daemons"
            store = LocalStore(data / "store")
            settings = settings_for(home, data, ORACLE).model_copy(
                update={"home_gateway": chains.home_gateway_address})
            client = home.client(ORACLE)
            oracle = Oracle(settings, client, open_index(settings, client), store)
            workers = []
            for account in home.node_indices():
                worker = Worker(settings_for(home, data, account), home.client(account), store)
                worker.join(200 * NNT, benchmark_seconds=0.05)
                workers.append(worker)
            yield CrossChain(chains, Network(home, data, oracle, workers, store))


def cli_env(x: CrossChain, account: int) -> dict[str, str | None]:
    """`nnc` settings (as environment variables) for account `account` of the shared devnet."""
    home = x.chains.home
    return {"NNC_CONFIG": str(x.net.data_dir / "absent.toml"), "NNC_RPC_URL": home.rpc_url,
            "NNC_DEPLOYMENT_FILE": str(home.deployment_file), "NNC_KEY_FILE": str(home.key_file(account)),
            "NNC_DATA_DIR": str(x.chains.data_dir), "NNC_STORAGE_URL": f"local://{x.net.data_dir / 'store'}",
            "NNC_PRIVATE_KEY": None}
