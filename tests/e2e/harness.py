"""Drives the real daemons step by step against the test devnet: no threads, no sleeps.

The worker and oracle objects are the production ones; the harness only calls their loop
bodies (`sync`, `work`, `poke`) in a fixed order until a condition holds, with a bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nnc.chain.deploy import NNT
from nnc.chain.market import Market
from nnc.chain.types import Bond, TaskStatus
from nnc.daemon import StopFlag
from nnc.devnet import ORACLE, REQUESTER, Devnet
from nnc.oracle.daemon import Oracle, open_index
from nnc.settings import Settings
from nnc.storage import LocalStore, Store
from nnc.task import TaskSpec, load_spec
from nnc.task.publish import PublishOptions, publish_task
from nnc.worker.daemon import Worker
from nnc.worker.state import FINAL_PHASES

ROOT = Path(__file__).resolve().parents[2]
TINY_SPEC = ROOT / "tests" / "data" / "tiny-spec.json"


def settings_for(devnet: Devnet, data_dir: Path, account: int, sandbox: bool = False) -> Settings:
    """Settings of a daemon signing as `account`; training runs in process (faster) unless `sandbox`.
    The oracle evaluates inside `poke` (step by step: a result is scored and reported in the step
    that finds it; `nnc.oracle.evaluation` has the pool's own tests)."""
    return Settings(rpc_url=devnet.rpc_url, data_dir=data_dir, key_file=devnet.key_file(account),
                    deployment_file=devnet.deployment_file, storage_url=f"local://{data_dir / 'store'}",
                    poll_interval=0.1, sandbox=sandbox, oracle_evaluators=0)


@dataclass
class Network:
    devnet: Devnet
    data_dir: Path
    oracle: Oracle
    workers: list[Worker]
    store: Store

    def step(self) -> None:
        stop = StopFlag()
        self.oracle.sync()
        self.poke()
        for worker in self.workers:
            worker.sync()
            worker.work(stop)
        self.oracle.sync()
        self.poke()

    def poke(self) -> list[tuple[int, str]]:
        """The oracle's round of transitions, then a wait until what it sent is mined: it sends
        without waiting, and anvil answers a send before mining it (a test reading the chain
        right after could see the block before)."""
        done = self.oracle.poke()
        self.oracle.pending.wait_mined()
        return done

    def run_until(self, what: str, done: Callable[[], bool], max_steps: int = 20, mine: bool = False) -> None:
        """Steps the daemons until `done()`; with `mine`, a block is mined before each step, as a
        live chain mines blocks whether or not the daemons send anything (a draw committed to a
        future block's hash needs that block)."""
        for _ in range(max_steps):
            if done():
                return
            if mine:
                self.devnet.client(0).w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            self.step()
        raise AssertionError(f"not reached after {max_steps} steps: {what}")

    def settle(self, task_id: int) -> None:
        """Runs the daemons until the task is submitted, lets the oracle report its quality, moves
        chain time past the challenge window, then runs them until the task is settled."""
        self.run_until("all results submitted", lambda: self.status(task_id) == TaskStatus.SUBMITTED)
        # every submitter reveals before the window is skipped (a worker busy with another test's
        # task in the same step would otherwise miss settlement and go unpaid)
        self.run_until("all results revealed", lambda: self.revealed(task_id))
        self.step()  # the oracle evaluates the result and reports its quality
        advance_time(self.devnet, self.market().settlement_params().challenge_window + 1)
        self.run_until("task settled", lambda: self.status(task_id) == TaskStatus.SETTLED)
        # the oracle's settle may land in a step's last poke, after the workers ran: they see it next
        self.run_until("workers saw the settlement", lambda: self.seen_final(task_id))

    def market(self, account: int = REQUESTER) -> Market:
        return Market(self.devnet.client(account))

    def publish(self, spec: TaskSpec | None = None, **options: object) -> int:
        defaults: dict[str, object] = {"budget": 10**18, "replication": len(self.workers),
                                       "collateral": 10 * NNT, "apply_window": 60, "deadline": 600}
        defaults.update(options)
        task_id, _ = publish_task(self.devnet.client(REQUESTER), self.store, spec or load_spec(TINY_SPEC),
                                  PublishOptions(**defaults))  # type: ignore[arg-type]
        return task_id

    def status(self, task_id: int) -> TaskStatus:
        return self.market().task(task_id).status

    def seen_final(self, task_id: int) -> bool:
        """Whether every worker that recorded the task holds it in a final phase."""
        records = [w.state.tasks.get(task_id) for w in self.workers]
        return all(r.phase in FINAL_PHASES for r in records if r is not None)

    def revealed(self, task_id: int) -> bool:
        """Whether every one of this network's workers that committed a result of the task and
        holds its seat revealed it (a node the test drives itself reveals, or not, as it likes)."""
        market = self.market()
        ours = {w.node.lower() for w in self.workers}
        seats = [market.participation(task_id, node) for node in market.assignees(task_id) if node.lower() in ours]
        return all(s.revealed for s in seats if s.submitted and not s.dropped and s.bond == Bond.LOCKED)


def make_network(devnet: Devnet, data_dir: Path, nodes: list[int], stake: int = 200 * NNT,
                 sandbox: bool = False, runtimes: list[list[str] | None] | None = None,
                 store: Store | None = None) -> Network:
    """An oracle and one worker per node account, sharing one store (a local one unless given);
    workers join and train in process, or in the sandbox with `sandbox`. `runtimes[i]`, when
    given, is the frameworks worker i's operator allows (None: every installed one)."""
    oracle_settings = settings_for(devnet, data_dir, ORACLE)
    oracle_client = devnet.client(ORACLE)
    store = store if store is not None else LocalStore(data_dir / "store")
    oracle = Oracle(oracle_settings, oracle_client, open_index(oracle_settings, oracle_client), store)
    workers = []
    for i, account in enumerate(nodes):
        settings = settings_for(devnet, data_dir, account, sandbox)
        if runtimes is not None:
            settings = settings.model_copy(update={"runtimes": runtimes[i]})
        worker = Worker(settings, devnet.client(account), store)
        worker.join(stake, benchmark_seconds=0.05)
        workers.append(worker)
    return Network(devnet, data_dir, oracle, workers, store)


def advance_time(devnet: Devnet, seconds: int) -> None:
    w3 = devnet.client(0).w3
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
