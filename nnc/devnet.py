"""A local devnet: anvil, the deployed protocol, and funded accounts with their roles.

Used by `nnc devnet up`, the main-job demo and the test fixtures alike. Accounts are anvil's
generated ones: 0 deploys and holds the treasury, 1 is the oracle, 2 the requester, 3.. nodes.
With `storage=True` it also runs the storage services (a local IPFS node and arlocal) and funds
one Arweave wallet that every devnet role signs uploads with, as they share anvil's known keys.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

from eth_account import Account
from web3.types import RPCEndpoint

from nnc.chain.artifacts import Artifacts
from nnc.chain.build import build_artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.deploy import DEVNET, NNT, ProtocolParams, deploy_protocol
from nnc.chain.deployment import Deployment
from nnc.chain.deployment_folder import deployment_folder, write_deployment_folder
from nnc.chain.devnet import Anvil
from nnc.storage.services import ArLocal, IpfsNode

log = logging.getLogger(__name__)

DEPLOYER, ORACLE, REQUESTER, FIRST_NODE = 0, 1, 2, 3
# The devnet deploy profile (not safe for real value) with short windows so that a task settles in
# seconds (freeze and tie windows follow the challenge window; tasks need only 30 s between
# assignment and the deadline), and rewards in NNT for quality.
DEVNET_PARAMS = replace(DEVNET, min_stake=100 * NNT, unbonding_delay=60, protocol_fee_bps=200,
                               challenge_window=10, snapshot_interval=1, reward_per_compute_unit=10**15,
                               rewards_pool_funding=1_000_000 * NNT, min_execution_window=30)
NODE_FUNDING = 10_000 * NNT
REQUESTER_FUNDING = 100_000 * NNT
ARWEAVE_FUNDING = 1_000 * 10**12  # winston: 1,000 AR
VOTER_FUNDING = 100_000_000 * NNT  # 10% of the supply, delegated: the devnet's DAO voter


@dataclass
class Devnet:
    """Anvil plus a fresh deployment; `client(i)` signs as account i."""

    data_dir: Path
    nodes: int = 2
    block_time: int | None = None  # seconds between blocks; None: a block per transaction
    instant_transactions: bool = False
    """With `block_time`: anvil's mixed mining, a block per transaction at once and an empty one
    every `block_time` seconds between them (chain time keeps up with the clock while nobody
    transacts); without it a transaction waits for the next interval block."""
    params: ProtocolParams = DEVNET_PARAMS
    anvil: Anvil = field(default_factory=Anvil)
    deployment: Deployment | None = None
    storage: bool = False
    ipfs: IpfsNode | None = None
    arlocal: ArLocal | None = None

    @property
    def rpc_url(self) -> str:
        return self.anvil.rpc_url

    @property
    def deployment_file(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def arweave_wallet_file(self) -> Path:
        return self.data_dir / "keys" / "arweave-wallet.json"

    def storage_env(self) -> dict[str, str]:
        """`NNC_*` settings for the storage services: working data on IPFS, archives on Arweave."""
        if self.ipfs is None or self.arlocal is None:
            return {"NNC_STORAGE_URL": f"local://{(self.data_dir / 'store').resolve()}"}
        return {"NNC_STORAGE_URL": f"ipfs+{self.ipfs.url}", "NNC_IPFS_API_URL": self.ipfs.url,
                "NNC_ARWEAVE_URL": self.arlocal.url, "NNC_ARWEAVE_WALLET": str(self.arweave_wallet_file)}

    def _start_storage(self) -> None:
        # imported here: the Arweave client's imports cost ~0.2 s that chain-only devnets skip
        from nnc.storage.arweave_tx import generate_wallet, save_wallet, wallet_address

        # the two services start (a Node.js process each) while the 4096-bit wallet is generated
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="devnet-storage") as pool:
            ipfs = pool.submit(IpfsNode(self.data_dir / "ipfs").start)
            arlocal = pool.submit(ArLocal(self.data_dir / "arlocal").start)
            wallet = pool.submit(generate_wallet)
            try:
                self.ipfs = ipfs.result()
            finally:  # whatever failed, what did start is stopped with the devnet
                self.arlocal = arlocal.result()
        save_wallet(wallet.result(), self.arweave_wallet_file)
        self.arlocal.mint(wallet_address(wallet.result()), ARWEAVE_FUNDING)

    def start(self) -> Devnet:
        build_artifacts()
        self.anvil.accounts = max(self.anvil.accounts, FIRST_NODE + self.nodes + 1)  # + the voter
        if self.block_time and self.instant_transactions:
            self.anvil.extra_args = (*self.anvil.extra_args, "--block-time", str(self.block_time), "--mixed-mining")
        self.anvil.start()  # automine while deploying; the block time (if any) is set afterwards
        storage = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devnet") if self.storage else None
        started = storage.submit(self._start_storage) if storage is not None else None  # while deploying
        try:
            deployer = self.client(DEPLOYER, with_deployment=False)
            params = replace(self.params, oracles=(self.address(ORACLE), *self.params.oracles))
            self.deployment = deploy_protocol(deployer, params)
            self.deployment.save(self.deployment_file)
            write_deployment_folder(deployment_folder(self.data_dir, self.deployment.chain_id), self.deployment,
                                    deployer.artifacts, params)
            token = deployer.token
            for i in [REQUESTER, *range(FIRST_NODE, FIRST_NODE + self.nodes)]:
                amount = REQUESTER_FUNDING if i == REQUESTER else NODE_FUNDING
                deployer.transact(token.functions.transfer(self.address(i), amount), context="fund NNT")
            self._fund_voter(deployer)
            self._write_keys()
            if started is not None:
                started.result()
            if self.block_time and not self.instant_transactions:
                deployer.w3.provider.make_request(RPCEndpoint("evm_setIntervalMining"), [self.block_time])
        except BaseException:
            if started is not None:
                wait([started])  # the services it started are stopped with the rest
            self.stop()
            raise
        finally:
            if storage is not None:
                storage.shutdown(wait=True)
        log.info("devnet up: %s, TaskMarket %s", self.rpc_url, self.deployment.address_of("TaskMarket"))
        return self

    def stop(self) -> None:
        for service in (self.arlocal, self.ipfs):
            if service is not None:
                service.stop()
        self.anvil.stop()

    def address(self, index: int) -> str:
        return str(Account.from_key(self.anvil.private_keys[index]).address)

    def key(self, index: int) -> str:
        return self.anvil.private_keys[index]

    def key_file(self, index: int) -> Path:
        return self.data_dir / "keys" / f"account-{index}.key"

    @property
    def voter(self) -> int:
        """The account that holds the devnet's delegated NNT votes (after the nodes)."""
        return FIRST_NODE + self.nodes

    def _fund_voter(self, deployer: ChainClient) -> None:
        # The deployer's own NNT stays undelegated: moving delegated votes writes a checkpoint
        # per block, which gas estimation in the block before cannot see.
        token = deployer.token
        deployer.transact(token.functions.transfer(self.address(self.voter), VOTER_FUNDING), context="fund voter")
        voter = self.client(self.voter)
        voter.transact(voter.token.functions.delegate(voter.address), context="voter delegates to itself")

    def node_indices(self) -> list[int]:
        return list(range(FIRST_NODE, FIRST_NODE + self.nodes))

    def client(self, index: int, with_deployment: bool = True) -> ChainClient:
        w3 = connect_web3(self.rpc_url)
        return ChainClient(w3, Artifacts(), self.deployment if with_deployment else None,
                           Account.from_key(self.key(index)))

    def _write_keys(self) -> None:
        """Key files (mode 600) so that commands can sign as a devnet account via NNC_KEY_FILE."""
        keys_dir = self.data_dir / "keys"
        keys_dir.mkdir(parents=True, exist_ok=True)
        for i, key in enumerate(self.anvil.private_keys):
            path = self.key_file(i)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(key + "\n")

    def __enter__(self) -> Devnet:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
