"""Load: a devnet with the oracle and worker daemons (real `nnc` processes) under a stream of tasks.

Publishes TASKS small training tasks (examples/digits-mlp.json, dataset on the devnet's IPFS) over
time with mixed strategies (first-come, reputation-priority, lowest-price), tokens (ETH, NNT) and
replication (1-2); every 10th task is cancelled by the requester while it is open and
every 13th asks for more replicas than there are workers (and a perfect reputation), so nobody can run it and the
oracle must expire it (the requester walked away from it). Of every 20, the 2nd and the 12th take two
replicas first-come, and an adversary node the bench drives applies at once: on the 2nd it posts a
tampered proof (the oracle must challenge it), on the 12th it abandons. Then waits until every task
is final.

Prints, last line, JSON with:
- `tasks`, `workers`, `challenge_window_s` (`--challenge-window`, default the demo's 5 s): the sizes;
  `daemons_ready_s`: how long the daemons took to start (every worker staked, the oracle at the
  head) before the first task was published;
  `tasks_final`, `tasks_stuck` (not final at the end; goal 0),
  `by_status`: final status counts;
- `conservation_ok`: for each token, the budgets deposited == what the market credited to
  claimable balances (sum of `claimable` over every account, before vs after) == the market's
  balance change (nothing is claimed during the run, nothing is escrowed once all are final);
- `tasks_per_min`: final tasks per minute from the first publish to the last final task;
- `oracle_lag_p50_blocks`, `oracle_lag_p99_blocks`: chain head minus the oracle's last handled
  block (its `nnc_last_processed_block` metric), sampled every second;
- `report_delay_p50_s`, `report_delay_max_s`: chain time from a task's entering Submitted (the
  model is in) to its QualityReported event;
- `unscored_settled`: settled tasks with no QualityReported event (goal 0); `oracle_late_reports`: the
  oracle's evaluations finished after their task's challenge window (its "ready too late" warnings);
- `rss_start_mb`, `rss_end_mb`, `rss_growth_mb`: summed RSS of the daemons (each with its direct
  children: a worker's training sandboxes, the oracle's evaluation and proof-checking processes)
  once the first task settled (the daemons warm: a model trained, evaluated, its proofs checked)
  and at the end; `oracle_rss_growth_mb` the oracle's alone; `rss_samples_mb`,
  `oracle_rss_samples_mb`: the same sums every minute from the start figure on (growth or a level);
- `adversaries`: what the bench's own node did (`Adversary`: a tampered proof, an abandoned task)
  and how its bond ended on those tasks (a tampered proof must end `slashed`: the oracle challenged it).

`--quick`: 4 tasks (the 2nd with the adversary's tampered proof, the 3rd unfillable, the 4th
cancelled), 2 workers (a minute; figures meaningless).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nnc.chain.client import ChainClient  # noqa: E402
from nnc.chain.deploy import NNT  # noqa: E402
from nnc.chain.market import Market  # noqa: E402
from nnc.chain.registry import Registry  # noqa: E402
from nnc.chain.types import AbandonReason, TaskStatus  # noqa: E402
from nnc.demo import DEMO_PARAMS, EXAMPLE_SPEC, Daemon, start_daemon, with_stored_dataset  # noqa: E402
from nnc.devnet import ORACLE, REQUESTER, Devnet  # noqa: E402
from nnc.errors import ContractRevertError  # noqa: E402
from nnc.processes import free_port  # noqa: E402
from nnc.resources import resident_mb  # noqa: E402
from nnc.storage import IpfsStore  # noqa: E402
from nnc.task import TaskSpec, load_spec  # noqa: E402
from nnc.task.publish import MAX_REPLICATION, PublishOptions, publish_task, resolve_token  # noqa: E402
from nnc.zk import prove_commitment  # noqa: E402

STRATEGIES = ("first-come", "reputation-priority", "lowest-price")
RSS_SAMPLE_S = 60.0


def tree_rss_mb(pid: int) -> float:
    """RSS of `pid` and its direct children (a worker's sandboxed training runs as a child)."""
    total = resident_mb(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(resident_mb(int(c)) for c in children)


def oracle_block(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("nnc_last_processed_block "):
            return int(float(line.split()[1]))
    return None


def percentile(values: list[int], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


class Adversary:
    """A node the bench drives (not a daemon): it applies to some tasks at once (first-come, two
    replicas) and, once assigned, either posts a tampered result proof (the oracle must challenge
    it: the node is slashed, the honest replica settles alone) or abandons the task (its penalty
    goes to the treasury; the other replica settles). Outcomes in the JSON's `adversaries`."""

    def __init__(self, client: ChainClient) -> None:
        self.market = Market(client)
        self.address = client.address
        Registry(client).register(b"\x0a" * 32, 1)
        Registry(client).stake(200 * NNT)
        self.plans: dict[int, str] = {}  # task -> "tamper" or "abandon"
        self.acted: dict[int, str] = {}  # task -> what it did ("tampered", "abandoned", "not assigned")

    def enter(self, task_id: int, plan: str) -> None:
        try:
            self.market.apply(task_id)
        except ContractRevertError:
            self.acted[task_id] = "not assigned"
            return
        self.plans[task_id] = plan

    def act(self) -> None:
        """Acts on each task it entered once it is assigned there (or learns it was not)."""
        for task_id, plan in list(self.plans.items()):
            status = self.market.task(task_id).status
            if status == TaskStatus.PUBLISHED:
                continue
            del self.plans[task_id]
            if status not in (TaskStatus.ASSIGNED, TaskStatus.RUNNING) or \
                    not self.market.participation(task_id, self.address).assigned:
                self.acted[task_id] = "not assigned"
                continue
            try:
                if plan == "abandon":
                    self.market.abandon(task_id, AbandonReason.NODE_FAULT)
                    self.acted[task_id] = "abandoned"
                else:
                    p = prove_commitment(self.market.statement_key(task_id), self.address, b"\x5a" * 32)
                    self.market.submit_proof(task_id, replace(p, proof=replace(p.proof, c=p.proof.a)))
                    self.acted[task_id] = "tampered"
            except ContractRevertError:  # the task moved on meanwhile (expired, or its deadline passed)
                self.acted[task_id] = "not assigned"

    def outcomes(self) -> dict[str, object]:
        """Per plan: tasks entered, acted on, and how the node's bond ended (slashed is the goal for a
        tampered proof; an abandon penalises but does not slash)."""
        out: dict[str, object] = {}
        for done in ("tampered", "abandoned"):
            tasks = [t for t, a in self.acted.items() if a == done]
            bonds = [self.market.participation(t, self.address).bond.name.lower() for t in tasks]
            out[done] = {"tasks": len(tasks), "bonds": {b: bonds.count(b) for b in sorted(set(bonds))}}
        out["not_assigned"] = len([a for a in self.acted.values() if a == "not assigned"])
        return out


def _await_ready(devnet: Devnet, daemons: list[Daemon], workers: int, metrics_port: int,
                 timeout: float = 300.0) -> float:
    """Waits until the daemons are up before the stream starts: every worker staked and the oracle
    serving its metrics within 2 blocks of the head. Returns the seconds that took (the daemons'
    start-up, reported apart: the lag figures are the running oracle's)."""
    started = time.monotonic()
    registry = Registry(devnet.client(REQUESTER))
    nodes = [devnet.address(i) for i in devnet.node_indices()[:workers]]
    while time.monotonic() - started < timeout:
        seen = oracle_block(metrics_port)
        head = devnet.client(REQUESTER).block_number()
        if seen is not None and head - seen <= 2 and all(registry.node(n).staked > 0 for n in nodes):
            return round(time.monotonic() - started, 1)
        for daemon in daemons:
            if daemon.process.poll() is not None:
                raise SystemExit(f"{daemon.name} exited with {daemon.process.returncode}:\n{daemon.tail()}")
        time.sleep(1.0)
    raise SystemExit(f"the daemons were not ready after {timeout:.0f} s")


def run(tasks: int, workers: int, interval: float, timeout: float, data_dir: Path,
        cancel_every: int = 10, abandon_every: int = 13, challenge_window: int | None = None,
        adversary_every: int = 20) -> dict[str, object]:
    spec = load_spec(EXAMPLE_SPEC)
    params = DEMO_PARAMS if challenge_window is None else replace(DEMO_PARAMS, challenge_window=challenge_window)
    with Devnet(data_dir=data_dir, nodes=workers + 1, block_time=1, instant_transactions=True, storage=True,
                params=params) as devnet:  # the last node account is the adversary (`Adversary`), not a daemon
        assert devnet.deployment is not None and devnet.ipfs is not None
        metrics_port = free_port()
        daemons = [start_daemon(devnet, "oracle", ORACLE, ["oracle", "run"], data_dir,
                                settings={"NNC_METRICS_PORT": str(metrics_port)})]
        daemons += [start_daemon(devnet, f"worker-{i}", account,
                                 ["worker", "run", "--stake", "200", "--benchmark-seconds", "0.3"], data_dir)
                    for i, account in enumerate(devnet.node_indices()[:workers], start=1)]
        try:
            return _drive(devnet, daemons, spec, tasks, workers, interval, timeout, metrics_port, data_dir,
                          cancel_every, abandon_every, adversary_every)
        finally:
            for daemon in daemons:
                daemon.terminate()
            for daemon in daemons:
                daemon.stop()


def _drive(devnet: Devnet, daemons: list[Daemon], spec: TaskSpec, tasks: int, workers: int, interval: float,
           timeout: float, metrics_port: int, data_dir: Path, cancel_every: int,
           abandon_every: int, adversary_every: int) -> dict[str, object]:
    requester = devnet.client(REQUESTER)
    market = Market(requester)
    assert devnet.ipfs is not None
    store = IpfsStore(devnet.ipfs.url)
    spec = with_stored_dataset(spec, store, data_dir)
    tokens = {"ETH": resolve_token(requester, "ETH"), "NNT": resolve_token(requester, "NNT")}
    accounts = [devnet.address(i) for i in range(devnet.voter + 1)]

    def ledger() -> dict[str, tuple[int, int]]:
        out = {}
        for name, token in tokens.items():
            claimable = sum(market.claimable(a, token) for a in accounts)
            if name == "ETH":
                balance = requester.w3.eth.get_balance(market.contract.address)
            else:
                balance = requester.token.functions.balanceOf(market.contract.address).call()
            out[name] = (claimable, int(balance))
        return out

    adversary = Adversary(devnet.client(devnet.node_indices()[workers]))
    ready_s = _await_ready(devnet, daemons, workers, metrics_port)
    before = ledger()
    status_changes = market.contract.events.TaskStatusChanged
    next_block = requester.block_number() + 1
    deposits = dict.fromkeys(tokens, 0)
    ids: list[int] = []
    lags: list[int] = []
    rss_start: dict[str, float] = {}
    rss_samples: list[int] = []
    oracle_rss_samples: list[int] = []
    next_rss_sample = 0.0
    first_publish = time.monotonic()
    last_final = first_publish
    next_publish = first_publish
    cancelled: set[int] = set()
    cancel_lost = 0
    final: dict[int, TaskStatus] = {}
    while True:
        now = time.monotonic()
        if len(ids) < tasks and now >= next_publish:
            n = len(ids)
            token = "NNT" if n % 3 == 2 else "ETH"
            unfillable = n % abandon_every == abandon_every - 1
            cancel = n % cancel_every == cancel_every - 1
            plan = None if unfillable or cancel else {1: "tamper", adversary_every // 2 + 1: "abandon"}.get(
                n % adversary_every)
            budget = (10**16 if token == "ETH" else 10 * NNT) + n
            options = PublishOptions(budget=budget, token=tokens[token], collateral=NNT,
                                     replication=(min(workers + 1, MAX_REPLICATION) if unfillable
                                                  else 2 if plan else 1 + n % 2),
                                     min_reputation=10_000 if unfillable else 0,
                                     strategy="first-come" if plan else STRATEGIES[n % len(STRATEGIES)],
                                     apply_window=8, deadline=240)
            task_id, _ = publish_task(requester, store, spec, options)
            if plan is not None:
                adversary.enter(task_id, plan)
            deposits[token] += budget
            ids.append(task_id)
            if cancel:
                try:
                    market.cancel(task_id)
                    cancelled.add(task_id)
                except ContractRevertError:  # a worker applied and the oracle assigned it first: it runs
                    cancel_lost += 1
            next_publish = now + interval
        adversary.act()
        head = requester.block_number()
        seen = oracle_block(metrics_port)
        if seen is not None:
            lags.append(max(0, head - seen))
        if head >= next_block:  # final statuses from the market's events: one query a second, not one per task
            for event in status_changes().get_logs(from_block=next_block, to_block=head):
                task_id, status = int(event["args"]["taskId"]), TaskStatus(event["args"]["to"])
                if status.is_final and task_id in ids and task_id not in final:
                    final[task_id] = status
                    last_final = time.monotonic()
            next_block = head + 1
        if not rss_start and TaskStatus.SETTLED in final.values():  # warm: a model trained and evaluated
            rss_start = {d.name: tree_rss_mb(d.process.pid) for d in daemons}
        if rss_start and now >= next_rss_sample:
            rss_samples.append(round(sum(tree_rss_mb(d.process.pid) for d in daemons)))
            oracle_rss_samples.append(round(tree_rss_mb(daemons[0].process.pid)))
            next_rss_sample = now + RSS_SAMPLE_S
        if len(ids) == tasks and len(final) == tasks:
            break
        for daemon in daemons:
            if daemon.process.poll() is not None:
                raise SystemExit(f"{daemon.name} exited with {daemon.process.returncode}:\n{daemon.tail()}")
        if now - first_publish > timeout:
            break
        time.sleep(1.0)
    rss_end = {d.name: tree_rss_mb(d.process.pid) for d in daemons}
    after = ledger()
    conservation = {}
    for name in tokens:
        credited = after[name][0] - before[name][0]
        held = after[name][1] - before[name][1]
        conservation[name] = {"deposited": deposits[name], "credited": credited, "balance_change": held}
    all_final = len(final) == len(ids)
    conservation_ok = all_final and all(c["deposited"] == c["credited"] == c["balance_change"]
                                        for c in conservation.values())
    start = requester.deployment.start_block if requester.deployment else 0
    reports = market.contract.events.QualityReported().get_logs(from_block=start)
    reported = {int(e["args"]["taskId"]) for e in reports}
    submitted_at = {int(e["args"]["taskId"]): e["blockNumber"] for e in status_changes().get_logs(from_block=start)
                    if TaskStatus(e["args"]["to"]) == TaskStatus.SUBMITTED}
    stamps: dict[int, int] = {}

    def stamp(block: int) -> int:
        if block not in stamps:
            stamps[block] = int(requester.w3.eth.get_block(block)["timestamp"])
        return stamps[block]

    delays = [stamp(e["blockNumber"]) - stamp(submitted_at[int(e["args"]["taskId"])]) for e in reports
              if int(e["args"]["taskId"]) in submitted_at]
    settled = [t for t, s in final.items() if s == TaskStatus.SETTLED]
    by_status: dict[str, int] = {}
    for status in final.values():
        by_status[status.name.lower()] = by_status.get(status.name.lower(), 0) + 1
    minutes = max(last_final - first_publish, 1e-9) / 60
    start_total = sum(rss_start.values()) if rss_start else sum(rss_end.values())
    return {
        "tasks": tasks, "workers": workers, "publish_interval_s": interval, "daemons_ready_s": ready_s,
        "challenge_window_s": devnet.params.challenge_window,
        "tasks_final": len(final), "tasks_stuck": len(ids) - len(final) + (tasks - len(ids)),
        "by_status": by_status, "cancelled": len(cancelled), "cancel_lost": cancel_lost,
        "adversaries": adversary.outcomes(),
        "conservation_ok": conservation_ok, "conservation": conservation,
        "tasks_per_min": round(len(final) / minutes, 2),
        "oracle_lag_p50_blocks": percentile(lags, 0.5), "oracle_lag_p99_blocks": percentile(lags, 0.99),
        "oracle_lag_samples": len(lags),
        "unscored_settled": len([t for t in settled if t not in reported]),
        "report_delay_p50_s": percentile(delays, 0.5), "report_delay_max_s": max(delays, default=0),
        "oracle_late_reports": len(daemons[0].new_lines(("ready too late",))),
        "rss_start_mb": round(start_total, 1), "rss_end_mb": round(sum(rss_end.values()), 1),
        "rss_growth_mb": round(sum(rss_end.values()) - start_total, 1),
        "oracle_rss_growth_mb": round(rss_end["oracle"] - rss_start.get("oracle", rss_end["oracle"]), 1),
        "rss_samples_mb": rss_samples, "oracle_rss_samples_mb": oracle_rss_samples,
        "seconds": round(time.monotonic() - first_publish, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between publishes")
    parser.add_argument("--timeout", type=float, default=1500.0)
    parser.add_argument("--challenge-window", type=int, help="seconds (default: the demo's, 5 s)")
    parser.add_argument("--keep-logs", type=Path, help="copy the daemons' logs to this folder at the end")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.workers, args.interval, args.timeout = 4, 2, 1.0, 150.0
    cancel_every, abandon_every, adversary_every = (4, 3, 4) if args.quick else (10, 13, 20)
    with tempfile.TemporaryDirectory(prefix="nnc-load-") as tmp:
        try:
            result = run(args.tasks, args.workers, args.interval, args.timeout, Path(tmp), cancel_every,
                         abandon_every, args.challenge_window, adversary_every)
        finally:
            if args.keep_logs is not None:
                shutil.copytree(Path(tmp) / "logs", args.keep_logs, dirs_exist_ok=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
