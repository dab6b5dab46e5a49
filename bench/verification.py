"""Spot-check verification: detection rate per adversary, false positives, cost, gas.

1. Statistics (the procedure run directly, as a verifier runs it): `--tasks` tasks per trainer
   kind (honest, lazy, copier, noisy), each a fresh training of the statistics spec (the tiny
   digits MLP, 200 steps, a checkpoint every 4 steps: 50 segments), checked with `--segments`
   segments (the last plus random others) from a fresh seed. A trainer is "detected" when the
   procedure fails; on honest trainers that is a false positive.
2. On-chain: `--onchain` tasks per kind through the whole path on a devnet (publish with
   spot-checking, train, submit the checkpoint bundle, the verifier drawn from a later block's hash
   re-executes and reports, the DAO voter repeats the check and votes, the dispute is resolved), plus the two
   behaviours that only exist on-chain: late trainers (expired, collateral slashed) and false
   challengers (the node is released whole, the bond lost). Gas of every step is recorded, and a
   governance proposal goes through propose -> vote -> queue -> execute.
3. Cost: CPU time of the verifier / CPU time of the trainer (both single-threaded, process CPU
   time, so other load on the machine does not enter), on the statistics tasks and on a larger
   spec (4000 steps, 50 segments) where the fixed part of a check (loading data and checkpoints,
   evaluation: ~0.1 s) weighs less. Full replication would cost 1.0.

The last line is one JSON object. `onchain_outcomes` counts, per kind: honest trainers slashed
(false positives), adversaries slashed, late trainers expired with their collateral slashed,
false challenges rejected (the node released whole).

    .venv/bin/python bench/verification.py [--tasks 100] [--onchain 10] [--segments 4] [--quick]

`--quick` (run by tests/bench): 1 statistics task and 1 on-chain task per kind, 1 cost task on a
400-step spec; its rates mean nothing, the path is what runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from web3.types import TxReceipt

from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration, SpotCheck
from nnc.chain.governance import Governance
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.devnet import Devnet
from nnc.errors import ContractRevertError
from nnc.storage import LocalStore
from nnc.task import TaskSpec, load_spec
from nnc.verification import verify_submission
from nnc.verification.adversaries import ADVERSARIES, make
from nnc.verification.scenario import CheckParams, Scenario, advance_time, mine

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-4
TRAINER = "0x" + "7a" * 20  # the trainer of the off-chain tasks: its chain starts from its genesis


def sized_spec(steps: int, interval: int) -> TaskSpec:
    spec = load_spec(ROOT / "tests" / "data" / "tiny-spec.json")
    training = spec.training.model_copy(update={"steps": steps, "checkpoint_interval": interval, "batch_size": 512})
    return spec.model_copy(update={"model": spec.model.model_copy(update={"hidden": [64]}), "training": training})


def with_seed(spec: TaskSpec, seed: int) -> TaskSpec:
    return spec.model_copy(update={"training": spec.training.model_copy(update={"seed": seed})})


def run_statistics(spec: TaskSpec, tasks: int, segments: int, home: Path, rng: random.Random) -> dict[str, Any]:
    detected: dict[str, int] = defaultdict(int)
    ratios: list[float] = []
    for kind in ("honest", *ADVERSARIES):
        for i in range(tasks):
            task_spec = with_seed(spec, rng.randrange(1, 2**31))
            workdir = home / kind / str(i)
            submission = make(kind, task_spec, workdir, TRAINER, rng)
            report = verify_submission(task_spec, workdir, submission.model_path, submission.result_digest,
                                       node=TRAINER, seed=rng.getrandbits(256), segments=segments, tolerance=TOLERANCE)
            detected[kind] += not report.passed
            if kind == "honest":
                ratios.append(report.seconds / submission.seconds)
        print(f"{kind:8} detected {detected[kind]}/{tasks}", flush=True)
    return {"detected": dict(detected), "cost_fraction": statistics.median(ratios)}


def run_cost(spec: TaskSpec, tasks: int, segments: int, home: Path, rng: random.Random) -> float:
    ratios = []
    for i in range(tasks):
        task_spec = with_seed(spec, rng.randrange(1, 2**31))
        submission = make("honest", task_spec, home / "cost" / str(i), TRAINER, rng)
        report = verify_submission(task_spec, home / "cost" / str(i), submission.model_path,
                                   submission.result_digest, node=TRAINER, seed=rng.getrandbits(256),
                                   segments=segments, tolerance=TOLERANCE)
        assert report.passed, report.reason
        ratios.append(report.seconds / submission.seconds)
        print(f"cost task {i}: trainer {submission.seconds:.2f} s, verifier {report.seconds:.2f} s", flush=True)
    return statistics.median(ratios)


def last_receipt(scenario: Scenario) -> TxReceipt:
    w3 = scenario.requester.w3
    block = w3.eth.get_block("latest")
    return w3.eth.get_transaction_receipt(block["transactions"][-1])  # type: ignore[index]


def run_onchain(spec: TaskSpec, per_kind: int, segments: int, home: Path, rng: random.Random) -> dict[str, Any]:
    gas: dict[str, list[int]] = defaultdict(list)
    caught: dict[str, int] = defaultdict(int)
    with Devnet(data_dir=home / "devnet", nodes=4) as devnet:
        scenario = Scenario(devnet, LocalStore(home / "store"), home / "chain", CheckParams(segments, TOLERANCE))
        nodes = devnet.node_indices()
        market = Market(scenario.requester)
        window = market.settlement_params().challenge_window
        for kind in ("honest", *ADVERSARIES, "late", "false-challenger"):
            for i in range(per_kind):
                trainer = nodes[i % len(nodes)]
                task_spec = with_seed(spec, rng.randrange(1, 2**31))
                task_id = scenario.publish(task_spec, trainer, deadline=3600 if kind != "late" else 300)
                if kind == "late":
                    advance_time(devnet, 301)
                    try:
                        Market(scenario.clients[trainer]).submit_result(task_id, b"\x01" * 32, "late")
                    except ContractRevertError:
                        pass  # past the deadline: refused
                    gas["expire (late trainer)"].append(market.expire(task_id)["gasUsed"])
                    caught[kind] += market.task(task_id).status == TaskStatus.EXPIRED
                    continue
                scenario.train_and_submit(task_id, task_spec, trainer, "honest" if kind == "false-challenger" else kind,
                                          rng)
                gas["requestVerification"].append(
                    SpotCheck(scenario.requester).request_verification(task_id)["gasUsed"])
                scenario.draw(task_id)
                gas["drawVerifier"].append(last_receipt(scenario)["gasUsed"])
                _, report = scenario.verify(task_id)
                gas["report (pass)" if report.passed else "report (fail: opens dispute)"].append(
                    last_receipt(scenario)["gasUsed"])
                if kind == "false-challenger":
                    challenger = scenario.clients[nodes[(i + 1) % len(nodes)]]
                    node = scenario.clients[trainer].address
                    dispute_id, receipt = Arbitration(challenger).challenge(task_id, node, 10 * NNT, "false")
                    gas["challenge"].append(receipt["gasUsed"])
                else:
                    dispute_id = Arbitration(scenario.voter).dispute_of_task(task_id) if not report.passed else 0
                if dispute_id:
                    slashed = scenario.arbitrate(dispute_id, juror_seed=rng.getrandbits(64))
                    caught[kind] += slashed if kind != "false-challenger" else not slashed
                    gas["vote"].append(_vote_gas(scenario, dispute_id))
                    gas["resolve (slash)" if slashed else "resolve (release)"].append(_resolve_gas(scenario))
                if market.task(task_id).status == TaskStatus.SUBMITTED:
                    advance_time(devnet, window + 1)
                    market.settle(task_id)
            outcome = {"honest": "slashed (false positives)", "late": "expired, collateral slashed",
                       "false-challenger": "challenges rejected, node released"}.get(kind, "slashed")
            print(f"on-chain {kind:16} {caught[kind]}/{per_kind} {outcome}", flush=True)
        gas.update(governance_cycle(scenario))
    return {"caught": dict(caught), "gas": {step: round(statistics.mean(v)) for step, v in gas.items()}}


def _vote_gas(scenario: Scenario, dispute_id: int) -> int:
    """Gas of the juror's vote (found among the recent transactions of the voter)."""
    arbitration = scenario.voter.contract("Arbitration")
    logs = arbitration.events.VoteCast().get_logs(from_block=0, argument_filters={"disputeId": dispute_id})
    return int(scenario.voter.w3.eth.get_transaction_receipt(logs[-1]["transactionHash"])["gasUsed"])


def _resolve_gas(scenario: Scenario) -> int:
    return int(last_receipt(scenario)["gasUsed"])


def governance_cycle(scenario: Scenario) -> dict[str, list[int]]:
    devnet, voter = scenario.devnet, scenario.voter
    governance = Governance(voter)
    calls = [Market(voter).config.functions.setProtocolFee(300)]
    description = "bench: protocol fee 3%"
    proposal = governance.propose(calls, description)
    gas = {"governor propose": [last_receipt(scenario)["gasUsed"]]}
    mine(devnet, devnet.params.governor_voting_delay + 1)
    governance.vote(proposal, 1)
    gas["governor castVote"] = [last_receipt(scenario)["gasUsed"]]
    mine(devnet, devnet.params.governor_voting_period)
    governance.queue(calls, description)
    gas["governor queue"] = [last_receipt(scenario)["gasUsed"]]
    advance_time(devnet, devnet.params.timelock_delay + 1)
    governance.execute(calls, description)
    gas["governor execute (via timelock)"] = [last_receipt(scenario)["gasUsed"]]
    assert Market(voter).settlement_params().protocol_fee_bps == 300
    return gas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100, help="statistics tasks per trainer kind")
    parser.add_argument("--onchain", type=int, default=10, help="on-chain tasks per kind")
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--cost-tasks", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true",
                        help="1 task per kind, 1 cost task on a 400-step spec (a smoke run for tests)")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.onchain, args.cost_tasks = 1, 1, 1
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(args.seed)
    stats_spec, cost_spec = sized_spec(200, 4), sized_spec(400 if args.quick else 4000, 8 if args.quick else 80)
    with tempfile.TemporaryDirectory(prefix="nnc-bench-verify-") as tmp:
        home = Path(tmp)
        stats = run_statistics(stats_spec, args.tasks, args.segments, home / "stats", rng)
        cost_large = run_cost(cost_spec, args.cost_tasks, args.segments, home, rng)
        onchain = run_onchain(sized_spec(60, 4), args.onchain, args.segments, home, rng)
    detected, n = stats["detected"], args.tasks
    print(f"\n{'step':34} {'gas (mean)':>12}")
    for step, value in onchain["gas"].items():
        print(f"{step:34} {value:>12,}")
    print(json.dumps({
        "tasks_per_kind": n, "segments": args.segments, "segments_per_task": 50,
        "detection_lazy": detected.get("lazy", 0) / n, "detection_copier": detected.get("copier", 0) / n,
        "detection_noisy": detected.get("noisy", 0) / n, "false_positive_rate": detected.get("honest", 0) / n,
        "verification_cost_fraction": round(cost_large, 4),
        "verification_cost_fraction_small_tasks": round(stats["cost_fraction"], 4),
        "replayed_step_fraction": args.segments / 50,
        "onchain_tasks_per_kind": args.onchain, "onchain_outcomes": onchain["caught"], "gas": onchain["gas"],
    }))


if __name__ == "__main__":
    main()
