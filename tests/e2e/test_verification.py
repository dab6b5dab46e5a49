"""Spot-checks, challenges, DAO arbitration and governance, end to end on the devnet.

Real contracts, real training (the tiny spec), real re-execution by the picked verifier: each
adversary is caught and slashed or penalized, an honest node under a false challenge is released
whole, stake under arbitration cannot leave, and parameters change only through the timelock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration, CheckStatus, SpotCheck
from nnc.chain.governance import Governance
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.strategies import DrawState, StakeWeightedDraw
from nnc.chain.types import ETH, Bond, TaskStatus
from nnc.devnet import DEPLOYER, ORACLE, REQUESTER, Devnet
from nnc.errors import ContractRevertError
from nnc.oracle.daemon import Oracle, open_index
from nnc.storage import LocalStore
from nnc.task import load_spec
from nnc.verification.scenario import COLLATERAL, FEE, STAKE, CheckParams, Scenario, advance_time, mine

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec(ROOT / "tests" / "data" / "tiny-spec.json")
TRAINER = 3


@pytest.fixture
def scenario(chain: Devnet, tmp_path: Path) -> Iterator[Scenario]:
    yield Scenario(chain, LocalStore(tmp_path / "store"), tmp_path, CheckParams(segments=2, tolerance=1e-4))


def _trainer_address(s: Scenario) -> str:
    return s.clients[TRAINER].address


def _cli(devnet: Devnet, home: Path, account: int, *args: str) -> str:
    """Runs `nnc ARGS` as `account` against the devnet; returns its output (exit code 0)."""
    from click.testing import CliRunner

    from nnc.cli import cli

    env = {"NNC_RPC_URL": devnet.rpc_url, "NNC_KEY_FILE": str(devnet.key_file(account)),
           "NNC_DEPLOYMENT_FILE": str(devnet.deployment_file), "NNC_DATA_DIR": str(home / "cli"),
           "NNC_STORAGE_URL": f"local://{home / 'store'}"}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_honest_node_passes_the_spot_check_and_is_paid(scenario: Scenario) -> None:
    task_id = scenario.publish(SPEC, TRAINER)
    scenario.train_and_submit(task_id, SPEC, TRAINER, "honest", random.Random(1))
    verifier, report = scenario.verify(task_id)
    assert report.passed, report.reason
    assert verifier.lower() != _trainer_address(scenario).lower()
    assert [s.distance for s in report.segments] == [0.0, 0.0]
    market = Market(scenario.requester)
    assert market.task(task_id).status == TaskStatus.SUBMITTED
    assert SpotCheck(scenario.requester).claimable(verifier) == FEE
    advance_time(scenario.devnet, market.settlement_params().challenge_window + 1)
    market.settle(task_id)
    assert market.task(task_id).status == TaskStatus.SETTLED
    assert market.claimable(_trainer_address(scenario), ETH) > 0
    assert Registry(scenario.requester).node(_trainer_address(scenario)).staked == STAKE


@pytest.mark.parametrize("kind", ["lazy", "copier", "noisy"])
def test_adversary_is_caught_by_the_verifier_and_slashed_by_the_dao(scenario: Scenario, kind: str) -> None:
    trainer = _trainer_address(scenario)
    task_id = scenario.publish(SPEC, TRAINER)
    scenario.train_and_submit(task_id, SPEC, TRAINER, kind, random.Random(2))
    verifier, report = scenario.verify(task_id)
    assert not report.passed
    assert "segment" in report.reason
    market = Market(scenario.requester)
    assert market.task(task_id).status == TaskStatus.DISPUTED
    arbitration = Arbitration(scenario.voter)
    dispute_id = arbitration.dispute_of_task(task_id)
    assert arbitration.dispute(dispute_id).challenger.lower() == verifier.lower()
    assert scenario.arbitrate(dispute_id, juror_seed=99)
    # Issue 12: the slashed node is out of the task, which resumes; with no replica left, its
    # settlement pays nobody and refunds the whole budget.
    task = market.task(task_id)
    assert (task.status, task.active, task.submissions) == (TaskStatus.SUBMITTED, 0, 0)
    assert market.participation(task_id, trainer).bond == Bond.SLASHED
    node = Registry(scenario.requester).node(trainer)
    assert (node.staked, node.locked) == (STAKE - COLLATERAL, 0)
    advance_time(scenario.devnet, max(0, task.challenge_ends_at - scenario.requester.block_timestamp()) + 1)
    market.settle(task_id)
    assert market.task(task_id).status == TaskStatus.SETTLED
    assert market.claimable(scenario.requester.address, ETH) == 10**17  # the whole budget back
    assert market.claimable(trainer, ETH) == 0
    params = arbitration.contract.functions.params().call()
    assert arbitration.claimable(verifier) == COLLATERAL * params[4] // 10_000
    assert Registry(scenario.requester).reputation_of(trainer) < 5000


def test_late_node_loses_its_collateral_to_the_treasury_at_expiry(scenario: Scenario) -> None:
    trainer = _trainer_address(scenario)
    task_id = scenario.publish(SPEC, TRAINER, deadline=120)
    advance_time(scenario.devnet, 121)  # the late node never submits in time
    market = Market(scenario.requester)
    with pytest.raises(ContractRevertError, match="DeadlinePassed"):
        Market(scenario.clients[TRAINER]).submit_result(task_id, b"\x01" * 32, "late")
    market.expire(task_id)
    assert market.task(task_id).status == TaskStatus.EXPIRED
    assert market.claimable(scenario.requester.address, ETH) == 10**17  # nobody submitted: the budget back
    assert Registry(scenario.requester).node(trainer).staked == STAKE - COLLATERAL
    registry = scenario.requester.contract("NodeRegistry")
    treasury = scenario.devnet.deployment.deployer  # type: ignore[union-attr]
    assert registry.functions.claimable(scenario.requester.address).call() == 0  # never to the requester
    assert registry.functions.claimable(treasury).call() == COLLATERAL
    assert Registry(scenario.requester).reputation_of(trainer) < 5000


def test_false_challenge_releases_the_node_whole_and_costs_the_bond(scenario: Scenario) -> None:
    trainer = _trainer_address(scenario)
    task_id = scenario.publish(SPEC, TRAINER)
    scenario.train_and_submit(task_id, SPEC, TRAINER, "honest", random.Random(3))
    assert scenario.verify(task_id)[1].passed
    challenger = scenario.clients[TRAINER + 1]
    token = challenger.token
    bond = 10 * NNT
    before = token.functions.balanceOf(challenger.address).call()
    dispute_id, _ = Arbitration(challenger).challenge(task_id, trainer, bond, "false claim")
    market = Market(scenario.requester)
    assert market.task(task_id).status == TaskStatus.DISPUTED
    # stake under arbitration cannot be withdrawn
    with pytest.raises(ContractRevertError, match="InsufficientFreeStake"):
        Registry(scenario.clients[TRAINER]).request_unbond(STAKE)
    assert not scenario.arbitrate(dispute_id, juror_seed=7)
    assert market.task(task_id).status == TaskStatus.SUBMITTED
    advance_time(scenario.devnet, market.settlement_params().challenge_window + 1)
    market.settle(task_id)
    node = Registry(scenario.requester).node(trainer)
    assert (node.staked, node.locked) == (STAKE, 0)
    assert token.functions.balanceOf(challenger.address).call() == before - bond
    arbitration = Arbitration(scenario.voter)
    node_share = bond * arbitration.contract.functions.params().call()[6] // 10_000
    assert arbitration.claimable(trainer) == node_share
    assert arbitration.claimable(challenger.address) == 0


def test_verifier_is_drawn_from_a_block_mined_after_the_request(scenario: Scenario) -> None:
    task_id = scenario.publish(SPEC, TRAINER)
    scenario.train_and_submit(task_id, SPEC, TRAINER, "honest", random.Random(5))
    spot_check = SpotCheck(scenario.requester)
    receipt = spot_check.request_verification(task_id)
    check = spot_check.check(task_id)
    assert check.status == CheckStatus.VERIFYING and not check.has_verifier
    assert check.draw_block == receipt["blockNumber"] + spot_check.contract.functions.DRAW_DELAY().call()
    with pytest.raises(ContractRevertError, match="DrawNotReady"):
        spot_check.draw_verifier(task_id)  # its block is not mined: nobody can know the draw yet
    verifier = scenario.draw(task_id)
    drawn = spot_check.check(task_id)
    target_hash = scenario.requester.w3.eth.get_block(check.draw_block)["hash"]
    assert drawn.seed == int.from_bytes(Web3.keccak(bytes(target_hash) + task_id.to_bytes(32, "big")), "big")
    assert verifier.lower() != _trainer_address(scenario).lower() and not drawn.draw_pending


def test_late_verifier_is_replaced_and_loses_reputation(scenario: Scenario) -> None:
    task_id = scenario.publish(SPEC, TRAINER)
    scenario.train_and_submit(task_id, SPEC, TRAINER, "honest", random.Random(4))
    spot_check = SpotCheck(scenario.requester)
    spot_check.request_verification(task_id)
    scenario.draw(task_id)
    first = spot_check.check(task_id)
    advance_time(scenario.devnet, first.report_deadline - scenario.requester.block_timestamp() + 1)
    spot_check.replace_verifier(task_id)
    assert spot_check.check(task_id).draw_pending  # the replacement is drawn from a later block
    scenario.draw(task_id)
    second = spot_check.check(task_id)
    assert second.verifier.lower() not in (first.verifier.lower(), first.trainer.lower())
    assert second.status == CheckStatus.VERIFYING
    assert second.seed == first.seed  # same segments
    assert Registry(scenario.requester).reputation_of(first.verifier) < 5000


def test_governance_changes_a_parameter_only_through_the_timelock(chain: Devnet) -> None:
    deployer = chain.client(DEPLOYER)
    market = deployer.market
    config = Market(deployer).config
    with pytest.raises(ContractRevertError, match="AccessControlUnauthorizedAccount"):
        deployer.transact(config.functions.setProtocolFee(500))
    governance = Governance(chain.client(chain.voter))
    calls = [config.functions.setProtocolFee(500)]
    description = "protocol fee 5%"
    proposal = governance.propose(calls, description)
    mine(chain, chain.params.governor_voting_delay + 1)
    governance.vote(proposal, 1)
    with pytest.raises(ContractRevertError, match="GovernorNonexistentProposal|GovernorUnexpectedProposalState"):
        governance.queue(calls, description)  # still voting
    mine(chain, chain.params.governor_voting_period)
    assert governance.state(proposal) == "Succeeded"
    governance.queue(calls, description)
    with pytest.raises(ContractRevertError, match="TimelockUnexpectedOperationState"):
        governance.execute(calls, description)  # the delay has not passed
    assert Market(deployer).settlement_params().protocol_fee_bps == chain.params.protocol_fee_bps
    advance_time(chain, chain.params.timelock_delay + 1)
    governance.execute(calls, description)
    assert governance.state(proposal) == "Executed"
    assert Market(deployer).settlement_params().protocol_fee_bps == 500
    timelock = deployer.contract("NNCTimelock").address
    for contract in (market, config):
        assert contract.functions.hasRole(b"\x00" * 32, Web3.to_checksum_address(timelock)).call()
        assert not contract.functions.hasRole(b"\x00" * 32, deployer.address).call()
    # DISPUTE_ROLE was bound once at deployment: not even governance can grant it again
    dispute_role = market.functions.DISPUTE_ROLE().call()
    assert market.functions.hasRole(dispute_role, chain.deployment.address_of("Arbitration")).call()  # type: ignore[union-attr]
    with pytest.raises(ContractRevertError, match="BoundRole"):
        deployer.transact(market.functions.grantRole(dispute_role, deployer.address))
    assert REQUESTER != DEPLOYER


def test_daemons_run_a_spot_checked_task_to_settlement(chain: Devnet, tmp_path: Path) -> None:
    """The production oracle and worker daemons: the trainer submits its checkpoint bundle, the
    oracle requests verification and, once the committed block is mined, draws the verifier; the
    drawn worker verifies and reports, the oracle settles."""
    from tests.e2e.harness import make_network

    network = make_network(chain, tmp_path, chain.node_indices())
    task_id = network.publish(replication=1)
    spot_check = SpotCheck(chain.client(REQUESTER))
    spot_check.enable(task_id, 2, 1e-4, FEE)
    network.run_until("spot-check passed", lambda: spot_check.check(task_id).status == CheckStatus.PASSED,
                      mine=True)
    actions = [e["name"] for e in network.oracle.index.events(task_id) if e["contract"] == "SpotCheck"]
    assert actions.index("VerifierDrawCommitted") < actions.index("VerifierPicked")
    check = spot_check.check(task_id)
    trainer = Market(chain.client(REQUESTER)).assignees(task_id)[0]
    assert check.verifier.lower() != trainer.lower()
    assert spot_check.claimable(check.verifier) == FEE
    market = Market(chain.client(REQUESTER))
    advance_time(chain, market.settlement_params().challenge_window + 1)
    network.run_until("task settled", lambda: network.status(task_id) == TaskStatus.SETTLED)
    assert market.task(task_id).quality_score > 5000  # the oracle scored the model inside the bundle
    assert market.claimable(trainer, ETH) > 0


def test_cli_challenge_vote_resolve_claim(scenario: Scenario, tmp_path: Path) -> None:
    """`nnc dispute ...` end to end: a false challenge decided by the DAO voter from the CLI."""
    devnet = scenario.devnet
    task_id = scenario.publish(SPEC, TRAINER)
    scenario.train_and_submit(task_id, SPEC, TRAINER, "honest", random.Random(6))
    trainer = _trainer_address(scenario)

    def run(account: int, *args: str) -> str:
        return _cli(devnet, tmp_path, account, *args)

    assert "dispute 1 opened" in run(TRAINER + 1, "dispute", "challenge", str(task_id), trainer, "--bond", "12")
    assert "release 0" in run(TRAINER + 1, "dispute", "show", "1")
    mine(devnet, Arbitration(scenario.voter).dispute(1).snapshot - scenario.voter.block_number() + 1)  # votes open
    run(devnet.voter, "dispute", "vote", "1", "--release")
    mine(devnet, Arbitration(scenario.voter).dispute(1).vote_end - scenario.voter.block_number() + 1)
    assert "dispute 1: released" in run(TRAINER + 1, "dispute", "resolve", "1")
    assert "claimed 9.6 NNT" in run(TRAINER, "dispute", "claim")  # 80% of the 12 NNT bond
    assert Market(scenario.requester).task(task_id).status == TaskStatus.SUBMITTED


def test_oracle_assigns_a_stake_weighted_task_in_two_steps(chain: Devnet, tmp_path: Path) -> None:
    """The oracle commits the draw once applications close (weights snapshotted), and assigns
    only once the committed block is mined: never both in one transaction."""
    from tests.e2e.harness import make_network

    network = make_network(chain, tmp_path, chain.node_indices())
    task_id = network.publish(replication=2, strategy="stake-weighted-random", apply_window=30)
    network.run_until("everyone applied", lambda: len(network.market().applicants(task_id)) == 3)
    draw = StakeWeightedDraw(chain.client(REQUESTER))
    assert draw.state(task_id) == DrawState.NONE  # applications still open: nothing to commit
    advance_time(chain, 31)
    network.run_until("assigned", lambda: network.status(task_id) != TaskStatus.PUBLISHED, mine=True)
    events = {e["name"]: e["block_number"] for e in network.oracle.index.events(task_id)}
    assert events["DrawCommitted"] < draw.target_block(task_id) < events["TaskAssigned"]
    assignees = network.market().assignees(task_id)
    assert len(assignees) == 2 and set(assignees) <= set(network.market().applicants(task_id))


def test_oracle_refunds_the_fee_of_a_cancelled_spot_checked_task(chain: Devnet, tmp_path: Path) -> None:
    from tests.e2e.harness import make_network

    network = make_network(chain, tmp_path, chain.node_indices()[:1])
    requester = chain.client(REQUESTER)
    task_id = network.publish(replication=1)
    spot_check = SpotCheck(requester)
    spot_check.enable(task_id, 2, 1e-4, FEE)
    Market(requester).cancel(task_id)
    network.oracle.sync()
    assert (task_id, "refund_fee") in network.poke()
    assert spot_check.check(task_id).status == CheckStatus.REFUNDED
    assert spot_check.claimable(requester.address) == FEE
    assert (task_id, "refund_fee") not in network.poke()  # before indexing the refund: checked on chain
    network.oracle.sync()
    assert task_id not in network.oracle.index.unspent_spot_check_fees()


def test_oracle_lapses_a_check_nobody_can_verify_and_the_task_settles(scenario: Scenario, tmp_path: Path) -> None:
    """Every other verifier left the pool: the draw finds nobody, the oracle lapses the check at
    the verification timeout, the task settles unverified and the fee goes back."""
    from tests.e2e.harness import settings_for

    devnet = scenario.devnet
    task_id = scenario.publish(SPEC, TRAINER)
    Market(scenario.clients[TRAINER]).submit_result(task_id, b"\x01" * 32, "unverifiable")
    for index, client in scenario.clients.items():
        if index != TRAINER:
            client.transact(SpotCheck(client).contract.functions.leave(), context="leave the verifier pool")
    settings = settings_for(devnet, tmp_path / "oracle", ORACLE)
    oracle = Oracle(settings, devnet.client(ORACLE), open_index(settings, devnet.client(ORACLE)))
    spot_check = SpotCheck(scenario.requester)

    def poke() -> list[str]:
        oracle.sync()
        actions = [action for tid, action in oracle.poke() if tid == task_id]
        oracle.pending.wait_mined()  # sent without waiting: mined before the test reads the chain
        return actions

    assert "request_verification" in poke()
    mine(devnet, spot_check.contract.functions.DRAW_DELAY().call() + 1)
    assert poke() == []  # the draw reverts NoVerifierAvailable: nothing sent
    assert spot_check.check(task_id).draw_pending
    advance_time(devnet, spot_check.verification_timeout() + 1)
    assert poke() == ["lapse_verification"]
    assert spot_check.check(task_id).status == CheckStatus.LAPSED
    assert spot_check.claimable(scenario.requester.address) == FEE
    market = Market(scenario.requester)
    assert market.task(task_id).status == TaskStatus.SUBMITTED
    advance_time(devnet, market.settlement_params().challenge_window + 1)
    assert "settle" in poke()
    assert market.task(task_id).status == TaskStatus.SETTLED


def test_cli_request_draw_show_lapse_claim(scenario: Scenario, tmp_path: Path) -> None:
    """`nnc verify ...` by hand: request (commit), draw once the block is mined, show, and a
    verifier that never reports lets the check lapse; the requester withdraws its fee."""
    devnet = scenario.devnet
    task_id = scenario.publish(SPEC, TRAINER)
    Market(scenario.clients[TRAINER]).submit_result(task_id, b"\x01" * 32, "never verified")
    assert "verifier drawn from block" in _cli(devnet, tmp_path, REQUESTER, "verify", "request", str(task_id))
    assert "draw pending on block" in _cli(devnet, tmp_path, REQUESTER, "verify", "show", str(task_id))
    spot_check = SpotCheck(scenario.requester)
    mine(devnet, spot_check.contract.functions.DRAW_DELAY().call() + 1)
    assert "drawn, report due" in _cli(devnet, tmp_path, TRAINER, "verify", "draw", str(task_id))  # anyone
    verifier = spot_check.check(task_id).verifier
    assert f"verifying, 2 segment(s), tolerance 0.0001, fee 0.01 ETH, verifier {verifier}" in _cli(
        devnet, tmp_path, REQUESTER, "verify", "show", str(task_id))
    advance_time(devnet, spot_check.verification_timeout() + 1)
    assert "lapsed" in _cli(devnet, tmp_path, TRAINER, "verify", "lapse", str(task_id))
    assert Registry(scenario.requester).reputation_of(verifier) < 5000  # it never reported
    assert "claimed 0.01 ETH" in _cli(devnet, tmp_path, REQUESTER, "verify", "claim")
    assert Market(scenario.requester).task(task_id).status == TaskStatus.SUBMITTED
