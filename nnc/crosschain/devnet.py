"""A two-chain devnet: the home devnet (`nnc.devnet.Devnet`, the protocol deployed as on one
chain) plus a spoke anvil, Hyperlane core deployed to both with Hyperlane's own CLI, the
`HomeGateway` on home and a `SpokeGateway` on the spoke enrolled with each other, the home
gateway's liquidity pool funded, and Hyperlane's relayer running, supervised.

Accounts are anvil's on both chains (the same keys): 0 deploys and owns both gateways (on a
devnet; a real deployment hands the home gateway to the timelock and the spoke gateway to the
spoke's governance) and is the route's backer on the spoke; the relayer signs deliveries with
account 9, hand deliveries with account 8.

**The messages are verified by Hyperlane's TEST ISM, which accepts every message** (the core
config's default ISM, and neither gateway sets its own): `TEST_ISM_WARNING` is logged and printed
wherever this devnet starts.

Its record, next to the home deployment (`<data_dir>/deployments/<chain id>/`): the spoke's
deployment files (`SpokeGateway`, as for the home protocol) and on each chain `crosschain.json`:
the chain's Hyperlane domain, core addresses, the gateway here and the gateway there.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from eth_account import Account
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.devnet import Anvil
from nnc.chain.governance import Governance
from nnc.chain.market import Market
from nnc.chain.profiles import ProtocolParams
from nnc.crosschain.deploy import RouteParams, deploy_route
from nnc.crosschain.devnet_tokens import DevnetTokenRoute, deploy_token_route
from nnc.crosschain.gateways import HomeGateway, SpokeGateway
from nnc.crosschain.hyperlane import TEST_ISM_WARNING, CoreDeployment, HyperlaneChain, HyperlaneCli
from nnc.crosschain.records import ChainEnd, Gateway, save_route
from nnc.crosschain.relayer import Relayer
from nnc.devnet import DEPLOYER, DEVNET_PARAMS, REQUESTER, Devnet

log = logging.getLogger(__name__)

HOME, SPOKE = "home", "spoke"
SPOKE_CHAIN_ID = 31338
RELAYER, HAND_RELAYER = 9, 8
ETH = 10**18
POOL_FUNDING = 1_000 * ETH
ACK_WINDOW = 3_600
"""Seconds the home chain has to acknowledge a PUBLISH before its payer may reclaim on the spoke."""
ACK_MARGIN = 300
"""A PUBLISH delivered later than this before its deadline is refused at home."""


@dataclass
class TwoChainDevnet:
    """The home devnet, the spoke chain, Hyperlane and the gateways; `relayer` delivers."""

    data_dir: Path
    nodes: int = 2
    params: ProtocolParams = DEVNET_PARAMS
    block_time: int | None = None  # seconds between blocks on both chains; None: a block per transaction
    ack_window: int = ACK_WINDOW
    ack_margin: int = ACK_MARGIN
    pool_funding: int = POOL_FUNDING
    stall_s: float = 30.0
    storage: bool = False  # the home devnet's storage services (IPFS, arlocal)
    payouts_on_origin: bool = True  # the home gateway routes bridged tasks' payouts to their origin
    with_token_route: bool = False  # an ERC-20 warp route, allow-listed and pooled (`nnc.crosschain.devnet_tokens`)
    token_route: DevnetTokenRoute | None = None
    home_port: int = 0
    spoke_port: int = 0
    home: Devnet = field(init=False)
    spoke: Anvil = field(init=False)
    cores: dict[str, CoreDeployment] = field(default_factory=dict)
    relayer: Relayer | None = None
    home_gateway_address: str = ""
    spoke_gateway_address: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds each start-up phase took (`core_home`, `core_spoke`, `gateways`, `total`)."""
    _home_block: int = field(default=0, init=False, repr=False)
    _spoke_deployed: tuple[int, str] = field(default=(0, ""), init=False, repr=False)

    def __post_init__(self) -> None:
        self.home = Devnet(data_dir=self.data_dir, nodes=self.nodes, params=self.params, storage=self.storage)
        self.home.anvil.port = self.home_port
        self.spoke = Anvil(port=self.spoke_port, chain_id=SPOKE_CHAIN_ID)

    # -- chains and accounts ---------------------------------------------------------------

    @property
    def home_chain(self) -> HyperlaneChain:
        return HyperlaneChain(HOME, self.home.anvil.chain_id, self.home.rpc_url)

    @property
    def spoke_chain(self) -> HyperlaneChain:
        return HyperlaneChain(SPOKE, SPOKE_CHAIN_ID, self.spoke.rpc_url)

    def address(self, index: int) -> str:
        return self.home.address(index)

    def home_client(self, index: int) -> ChainClient:
        return self.home.client(index)

    def spoke_client(self, index: int) -> ChainClient:
        return ChainClient(connect_web3(self.spoke.rpc_url), Artifacts(), None,
                           Account.from_key(self.spoke.private_keys[index]))

    def home_gateway(self, index: int = DEPLOYER) -> HomeGateway:
        return HomeGateway(self.home_client(index), self.home_gateway_address)

    def spoke_gateway(self, index: int = DEPLOYER) -> SpokeGateway:
        return SpokeGateway(self.spoke_client(index), self.spoke_gateway_address)

    def advance_time(self, seconds: int) -> None:
        """Moves both chains' clocks by `seconds` (and mines a block on each): the gateways'
        deadlines assume the two clocks agree."""
        for rpc_url in (self.home.rpc_url, self.spoke.rpc_url):
            provider = connect_web3(rpc_url).provider
            provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
            provider.make_request(RPCEndpoint("evm_mine"), [])

    def govern(self, calls: list[ContractFunction], description: str) -> None:
        """Passes `calls` through the home devnet's DAO: its voter proposes and votes, blocks are
        mined past the voting period, and both chains' clocks move past the timelock's delay."""
        home = self.home
        governance = Governance(home.client(home.voter))
        provider = home.client(DEPLOYER).w3.provider
        proposal = governance.propose(calls, description)
        provider.make_request(RPCEndpoint("anvil_mine"), [hex(home.params.governor_voting_delay + 1)])
        governance.vote(proposal, 1)
        provider.make_request(RPCEndpoint("anvil_mine"), [hex(home.params.governor_voting_period)])
        governance.queue(calls, description)
        self.advance_time(home.params.timelock_delay + 1)
        governance.execute(calls, description)

    # -- start and stop --------------------------------------------------------------------

    def start(self) -> TwoChainDevnet:
        started = time.monotonic()
        log.warning("%s", TEST_ISM_WARNING)
        self.spoke.accounts = max(self.spoke.accounts, RELAYER + 1)
        self.home.anvil.accounts = max(self.home.anvil.accounts, RELAYER + 1)
        try:
            self.spoke.start()
            self.home.start()
            cli = HyperlaneCli(self.data_dir / "hyperlane", self.home.key(DEPLOYER))
            self._deploy_cores(cli)
            phase = time.monotonic()
            self._deploy_gateways()
            if self.payouts_on_origin:
                self.govern([Market(self.home_client(DEPLOYER)).config.functions.setPayoutRouter(
                    self.home_gateway_address)], "pay the nodes of bridged tasks on their origin chain")
            self.timings["gateways"] = time.monotonic() - phase
            self.relayer = Relayer(HyperlaneCli(cli.root, self.home.key(RELAYER)), [self.home_chain, self.spoke_chain],
                                   {name: core.mailbox for name, core in self.cores.items()},
                                   hand_key=self.home.key(HAND_RELAYER), stall_s=self.stall_s,
                                   ping_recipients={n: c.addresses["testRecipient"] for n, c in self.cores.items()}
                                   ).start()
            self.timings["relayer_ready"] = self.relayer.wait_ready()
            if self.with_token_route:
                phase = time.monotonic()
                self.token_route = deploy_token_route(self, DEPLOYER, REQUESTER)
                self.timings["token_route"] = time.monotonic() - phase
            self._write_record()
            if self.block_time:
                for rpc_url in (self.home.rpc_url, self.spoke.rpc_url):
                    connect_web3(rpc_url).provider.make_request(RPCEndpoint("evm_setIntervalMining"),
                                                                [self.block_time])
        except BaseException:
            self.stop()
            raise
        self.timings["total"] = time.monotonic() - started
        log.info("two-chain devnet up in %.1f s: home %s (gateway %s), spoke %s (gateway %s)", self.timings["total"],
                 self.home.rpc_url, self.home_gateway_address, self.spoke.rpc_url, self.spoke_gateway_address)
        return self

    def _deploy_cores(self, cli: HyperlaneCli) -> None:
        """Hyperlane core on both chains at once (separate chains, separate registry files)."""
        chains = [self.home_chain, self.spoke_chain]
        for chain in chains:
            cli.add_chain(chain)
        deployer = self.address(DEPLOYER)

        def deploy(chain: HyperlaneChain) -> CoreDeployment:
            began = time.monotonic()
            core = cli.deploy_core(chain, deployer, [c.name for c in chains])
            self.timings[f"core_{chain.name}"] = time.monotonic() - began
            return core

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hyperlane-core") as pool:
            cores = list(pool.map(deploy, chains))
        self.cores = {core.chain.name: core for core in cores}

    def _deploy_gateways(self) -> None:
        home = self.home_client(DEPLOYER)
        route = deploy_route(home, self.spoke_client(DEPLOYER), RouteParams(
            home_mailbox=self.cores[HOME].mailbox, spoke_mailbox=self.cores[SPOKE].mailbox,
            home_domain=self.home_chain.domain, spoke_domain=self.spoke_chain.domain, backer=home.address,
            ack_window=self.ack_window, ack_margin=self.ack_margin))
        self.home_gateway_address, self.spoke_gateway_address = route.home_gateway, route.spoke_gateway
        self._home_block = route.home_block
        self._spoke_deployed = (route.spoke_block, route.spoke_transaction)
        HomeGateway(home, self.home_gateway_address).fund(self.pool_funding)

    def _write_record(self) -> None:
        """The spoke's deployment folder and each chain's `crosschain.json` (see the module notes)."""
        block, tx = self._spoke_deployed
        tokens: dict[str, dict[str, str]] = {HOME: {}, SPOKE: {}}
        if self.token_route is not None:
            route = self.token_route.route
            tokens = {HOME: {route.symbol: route.synthetic}, SPOKE: {route.symbol: route.token}}
        home, spoke = (ChainEnd(c.name, c.chain_id, c.domain, c.rpc_url, self.cores[c.name].addresses, tokens[c.name])
                       for c in (self.home_chain, self.spoke_chain))
        save_route(self.data_dir, home, spoke, Gateway("HomeGateway", self.home_gateway_address, self._home_block),
                   Gateway("SpokeGateway", self.spoke_gateway_address, block), tx, self.address(DEPLOYER),
                   "Hyperlane's test ISM (accepts every message): devnet only", "devnet")

    def stop(self) -> None:
        if self.relayer is not None:
            self.relayer.close()
        self.home.stop()
        self.spoke.stop()

    def __enter__(self) -> TwoChainDevnet:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
