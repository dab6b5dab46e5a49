"""Spot-check scenarios on a devnet, end to end on-chain: for tests and the benchmark only.

A requester publishes a single-trainer task with spot-checking, a trainer (honest or one of the
adversaries) trains and submits its checkpoint bundle, the SpotCheck contract draws a verifier
(from the hash of a block mined after the request) who runs the real procedure and reports, and
NNT holders arbitrate what the verifier or a challenger disputes. Every step is a real
transaction on the devnet's contracts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from web3.types import RPCEndpoint

from nnc.chain.client import ChainClient
from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration, CheckStatus, DisputeStatus, SpotCheck
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.devnet import DEPLOYER, REQUESTER, Devnet
from nnc.errors import VerificationError
from nnc.storage import Store
from nnc.task import TaskSpec
from nnc.task.publish import PublishOptions, publish_task
from nnc.verification import adversaries
from nnc.verification.adversaries import Submission
from nnc.verification.bundle import publish_bundle
from nnc.verification.procedure import VerificationReport
from nnc.verification.verifier import Verifier, judge

COLLATERAL = 50 * NNT
STAKE = 500 * NNT
FEE = 10**16


@dataclass(frozen=True)
class CheckParams:
    segments: int = 4
    tolerance: float = 1e-4


def mine(devnet: Devnet, blocks: int) -> None:
    """Mines `blocks` empty blocks (none when `blocks <= 0`)."""
    if blocks > 0:
        devnet.client(DEPLOYER).w3.provider.make_request(RPCEndpoint("anvil_mine"), [hex(blocks)])


def advance_time(devnet: Devnet, seconds: int) -> None:
    w3 = devnet.client(DEPLOYER).w3
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])


class Scenario:
    """The devnet's accounts in their roles: requester, nodes (trainers and verifiers), voter."""

    def __init__(self, devnet: Devnet, store: Store, home: Path, check: CheckParams = CheckParams()) -> None:
        self.devnet = devnet
        self.store = store
        self.home = home
        self.check = check
        self.clients = {i: devnet.client(i) for i in devnet.node_indices()}
        self.requester = devnet.client(REQUESTER)
        self.voter = devnet.client(devnet.voter)
        for client in self.clients.values():
            registry = Registry(client)
            if not registry.node(client.address).registered:
                registry.register(client.address.encode().ljust(32, b"\0")[:32], 1)
            self.top_up(client)
            if not SpotCheck(client).in_pool(client.address):
                SpotCheck(client).join()

    @staticmethod
    def top_up(client: ChainClient) -> None:
        """Stakes the node back up to STAKE (after a slash)."""
        registry = Registry(client)
        staked = registry.node(client.address).staked
        if staked < STAKE:
            registry.stake(STAKE - staked)

    def client_of(self, address: str) -> ChainClient:
        return next(c for c in self.clients.values() if c.address.lower() == address.lower())

    def publish(self, spec: TaskSpec, trainer: int, deadline: int = 3600) -> int:
        """A spot-checked single-trainer task, assigned to `trainer`."""
        options = PublishOptions(budget=10**17, replication=1, collateral=COLLATERAL, apply_window=60,
                                 deadline=deadline)
        task_id, _ = publish_task(self.requester, self.store, spec, options)
        self.top_up(self.clients[trainer])
        SpotCheck(self.requester).enable(task_id, self.check.segments, self.check.tolerance, FEE)
        market = Market(self.clients[trainer])
        market.apply(task_id)
        market.assign(task_id)
        return task_id

    def train_and_submit(self, task_id: int, spec: TaskSpec, trainer: int, kind: str,
                         rng: random.Random) -> Submission:
        workdir = self.home / "trainer" / str(task_id)
        submission = adversaries.make(kind, spec, workdir, self.clients[trainer].address, rng)
        uri = publish_bundle(self.store, workdir, submission.model_path)
        Market(self.clients[trainer]).submit_result(task_id, submission.result_digest, uri)
        return submission

    def draw(self, task_id: int) -> str:
        """Mines the pending verifier draw's target block and draws (as the requester: anyone
        may); returns the verifier."""
        spot_check = SpotCheck(self.requester)
        target = spot_check.check(task_id).draw_block
        head = self.requester.block_number()
        if head <= target:
            mine(self.devnet, target - head + 1)  # the draw is simulated against the head block
        spot_check.draw_verifier(task_id)
        return spot_check.check(task_id).verifier

    def verify(self, task_id: int) -> tuple[str, VerificationReport]:
        """Requests verification (as the requester) unless already requested, draws the verifier
        once the committed block is mined, and lets it report."""
        spot_check = SpotCheck(self.requester)
        if spot_check.check(task_id).status == CheckStatus.ENABLED:
            spot_check.request_verification(task_id)
        if spot_check.check(task_id).draw_pending:
            self.draw(task_id)
        verifier = spot_check.check(task_id).verifier
        client = self.client_of(verifier)
        return verifier, Verifier(client, self.store, self.home / "verifier" / verifier.lower()).verify(task_id)

    def arbitrate(self, dispute_id: int, juror_seed: int) -> bool:
        """The voter (10% of the NNT supply, all the votes delegated) repeats the spot-check with its own seed, votes
        accordingly, then the voting period is mined through and the dispute resolved.
        Returns whether the node was slashed."""
        arbitration = Arbitration(self.voter)
        dispute = arbitration.dispute(dispute_id)
        report = judge(self.voter, self.store, dispute.task_id, dispute.node, self.home / "juror", juror_seed,
                       self.check.segments, self.check.tolerance)
        # votes count from the block after the snapshot (gas is estimated on the latest block)
        mine(self.devnet, dispute.snapshot - self.voter.block_number() + 1)
        arbitration.vote(dispute_id, slash=not report.passed)
        mine(self.devnet, dispute.vote_end - self.voter.block_number() + 1)
        arbitration.resolve(dispute_id)
        status = arbitration.dispute(dispute_id).status
        if status == DisputeStatus.OPEN:
            raise VerificationError(f"dispute {dispute_id} still open after resolve")
        return status == DisputeStatus.SLASHED
