"""The main job: a devnet with an oracle and worker daemons running one real training task.

Starts anvil and the storage services (a local IPFS node, arlocal for Arweave), deploys, launches
the oracle and N workers as separate `nnc` processes, stores the dataset and the task spec on
IPFS and publishes the example task as the requester, prints every protocol event until the task
settles, prints the payouts (checking `sum(payouts) + fee + refund == escrow`) and where the
final model and the task's audit record were archived on Arweave, and stops everything it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nnc.api import ApiContext, ApiServer
from nnc.chain.deploy import NNT
from nnc.chain.events import EventReader
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.container import container_command, podman_env
from nnc.devnet import DEVNET_PARAMS, ORACLE, REQUESTER, Devnet
from nnc.errors import NNCError
from nnc.narration import describe
from nnc.paths import REPO_ROOT
from nnc.settings import Settings
from nnc.storage import IpfsStore
from nnc.task import TaskSpec, load_spec
from nnc.task.publish import PublishOptions, publish_task
from nnc.training.data import export_dataset, load_dataset_digest

EXAMPLE_SPEC = REPO_ROOT / "examples" / "digits-mlp.json"
DEMO_PARAMS = replace(DEVNET_PARAMS, challenge_window=5)
"""The devnet's parameters with a 5-second challenge window: long enough for the oracle to report
the model's quality after the last reveal (two blocks), short enough not to be most of the demo."""
WORKER_PROGRESS = ("nnc.worker.daemon: task",)  # the worker's per-task lines (training, checkpoints, submit)
AUDIT_ARCHIVED = "audit record archived at"  # the oracle's line once the settled task's record is stored


class DemoError(NNCError):
    """A step of the demo failed."""


@dataclass(frozen=True)
class DemoResult:
    task_id: int
    status: TaskStatus
    budget: int
    payouts: dict[str, int]
    fee: int
    refund: int
    seconds: float
    audit_uri: str


@dataclass
class Daemon:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    read_offset: int = 0

    def new_lines(self, keywords: tuple[str, ...]) -> list[str]:
        """Log lines written since the last call that contain one of `keywords` (the others are
        passed over for good: one reader per daemon)."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self.read_offset)
                chunk = fh.read()
        except OSError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.read_offset += len(complete)
        lines = complete.decode(errors="replace").splitlines()
        return [line for line in lines if any(k in line for k in keywords)]

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_daemon(devnet: Devnet, name: str, account: int, args: list[str], data_dir: Path,
                 image: str | None = None, settings: Mapping[str, str] | None = None) -> Daemon:
    """Runs `nnc <args>` as `account` against the devnet, logging to data_dir/logs/<name>.log;
    from the node image `image` (`nnc.container`) when given, else from this checkout. `settings`:
    further `NNC_*` variables (e.g. a metrics port)."""
    env = {**os.environ,  # NNC_LOG_FORMAT: the demo reads the daemons' text lines
           "NNC_RPC_URL": devnet.rpc_url, "NNC_KEY_FILE": str(devnet.key_file(account)),
           "NNC_DATA_DIR": str(data_dir), "NNC_DEPLOYMENT_FILE": str(devnet.deployment_file),
           "NNC_POLL_INTERVAL": "0.3", "NNC_LOG_FORMAT": "text", **devnet.storage_env(), **(settings or {})}
    env.pop("NNC_PRIVATE_KEY", None)
    log_path = data_dir / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "nnc", *args]
    if image is not None:
        command = container_command(image, args, env, data_dir / "containers" / name)
        env = podman_env()
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    return Daemon(name, process, log_path)


def start_api(devnet: Devnet, data_dir: Path, port: int = 0) -> ApiServer:
    """The JSON API and web app over the demo's devnet, reading the oracle daemon's index."""
    storage: dict[str, Any] = {key.removeprefix("NNC_").lower(): value for key, value in devnet.storage_env().items()}
    settings = Settings(rpc_url=devnet.rpc_url, data_dir=data_dir, deployment_file=devnet.deployment_file, **storage)
    return ApiServer(ApiContext.from_settings(settings), port=port).start()


def run_demo(data_dir: Path, nodes: int = 2, timeout: float = 150.0,
             echo: Callable[[str], None] = print, spec_path: Path = EXAMPLE_SPEC,
             serve: Callable[[], None] | None = None, api_port: int = 0,
             worker_image: str | None = None) -> DemoResult:
    """The main job; `serve`, when given, is called once the task settled, with the devnet and the
    API still up (e.g. to wait for Ctrl-C while a person looks at the web app). `worker_image`: the
    workers run from that node image (scripts/image-smoke) instead of this checkout."""
    started = time.monotonic()
    spec = load_spec(spec_path)
    with Devnet(data_dir=data_dir, nodes=nodes, block_time=1, instant_transactions=True, storage=True,
                params=DEMO_PARAMS) as devnet:
        assert devnet.deployment is not None
        echo(f"devnet: {devnet.rpc_url}, TaskMarket {devnet.deployment.address_of('TaskMarket')}")
        api = start_api(devnet, data_dir, api_port)
        echo(f"API and web app: {api.url} (task pages at {api.url}/#/tasks)")
        daemons = [start_daemon(devnet, "oracle", ORACLE, ["oracle", "run"], data_dir)]
        daemons += [start_daemon(devnet, f"worker-{i}", account,
                                 ["worker", "run", "--stake", "200", "--benchmark-seconds", "0.3"], data_dir,
                                 worker_image)
                    for i, account in enumerate(devnet.node_indices(), start=1)]
        echo(f"started the oracle and {nodes} workers{f' from {worker_image}' if worker_image else ''} "
             f"(logs in {data_dir / 'logs'})")
        try:
            requester = devnet.client(REQUESTER)
            assert devnet.ipfs is not None
            ipfs = IpfsStore(devnet.ipfs.url)
            spec = with_stored_dataset(spec, ipfs, data_dir)
            echo(f"requester stored the dataset at {spec.dataset.uri}")
            options = PublishOptions(budget=1 * 10**18, replication=nodes, collateral=10 * NNT,
                                     apply_window=60, deadline=600)
            task_id, spec_uri = publish_task(requester, ipfs, spec, options)
            echo(f"requester published task {task_id}: {spec.name}, 1 ETH for {nodes} replicas ({spec_uri})")
            result = _follow(devnet, task_id, daemons, started, timeout, echo)
            _check_api(api, task_id, echo)
            if serve is not None:
                serve()
            return result
        finally:
            api.stop()
            for daemon in daemons:  # all asked at once, then awaited: they wind down together
                daemon.terminate()
            for daemon in daemons:
                daemon.stop()
            echo("stopped the daemons and the devnet")


def with_stored_dataset(spec: TaskSpec, store: IpfsStore, data_dir: Path) -> TaskSpec:
    """The spec with its dataset stored on IPFS: `uri` names the copy, `digest` pins its arrays."""
    path = export_dataset(spec.dataset, data_dir / "dataset.npz")
    dataset = spec.dataset.model_copy(update={"uri": store.put_file(path), "digest": load_dataset_digest(spec)})
    return spec.model_copy(update={"dataset": dataset})


def _follow(devnet: Devnet, task_id: int, daemons: list[Daemon], started: float, timeout: float,
            echo: Callable[[str], None]) -> DemoResult:
    client = devnet.client(REQUESTER)
    assert client.deployment is not None
    reader = EventReader(client.w3, client.artifacts, client.deployment)
    market = Market(client)
    next_block = client.deployment.start_block
    while True:
        head = client.block_number()
        for event in reader.read(next_block, head):
            line = describe(event)
            if line:
                echo(f"  [block {event.block_number:>4}] {line}")
        next_block = head + 1
        for daemon in daemons[1:]:  # the workers; the oracle's log is read by `_await_audit` alone
            for line in daemon.new_lines(WORKER_PROGRESS):
                echo(f"  [{daemon.name}] {line.split(': ', 1)[-1]}")
        task = market.task(task_id)
        if task.status.is_final:
            break
        for daemon in daemons:
            if daemon.process.poll() is not None:
                raise DemoError(f"{daemon.name} exited with {daemon.process.returncode}:\n{daemon.tail()}")
        if time.monotonic() - started > timeout:
            logs = "\n".join(f"--- {d.name}\n{d.tail()}" for d in daemons)
            raise DemoError(f"task {task_id} not settled after {timeout:.0f} s (status "
                            f"{task.status.name.lower()}):\n{logs}")
        time.sleep(0.5)
    if task.status != TaskStatus.SETTLED:
        raise DemoError(f"task {task_id} ended {task.status.name.lower()}, not settled")
    settled = market.contract.events.TaskSettled().get_logs(from_block=client.deployment.start_block,
                                                             argument_filters={"taskId": task_id})[0]["args"]
    paid_logs = market.contract.events.NodePaid().get_logs(from_block=client.deployment.start_block,
                                                           argument_filters={"taskId": task_id})
    payouts = {str(log["args"]["node"]): int(log["args"]["amount"]) for log in paid_logs}
    fee, refund = int(settled["fee"]), int(settled["refund"])
    total = sum(payouts.values()) + fee + refund
    what = "agreement tag" if task.proofs_enabled else "result"
    echo(f"task {task_id} settled with {what} 0x{task.result_digest.hex()}")
    for node, amount in payouts.items():
        echo(f"  payout  {node}  {amount / 10**18:.6f} ETH")
    echo(f"  fee     treasury                                    {fee / 10**18:.6f} ETH")
    echo(f"  refund  requester                                   {refund / 10**18:.6f} ETH")
    echo(f"  escrow  {task.budget / 10**18:.6f} ETH = payouts + fee + refund: {total == task.budget}")
    if total != task.budget:
        raise DemoError(f"escrow not conserved: {total} != {task.budget}")
    audit_uri = _await_audit(daemons[0], started + timeout)
    echo(f"audit record of task {task_id} archived at {audit_uri}")
    seconds = time.monotonic() - started
    echo(f"done in {seconds:.1f} s")
    return DemoResult(task_id, task.status, task.budget, payouts, fee, refund, seconds, audit_uri)


def _await_audit(oracle: Daemon, deadline: float) -> str:
    """The URI the oracle archived the settled task's audit record at (from its log)."""
    while time.monotonic() < deadline:
        for line in oracle.new_lines((AUDIT_ARCHIVED,)):
            return line.rsplit(AUDIT_ARCHIVED, 1)[1].strip()
        if oracle.process.poll() is not None:
            raise DemoError(f"the oracle exited with {oracle.process.returncode}:\n{oracle.tail()}")
        time.sleep(0.3)
    raise DemoError(f"the oracle archived no audit record in time:\n{oracle.tail()}")


def _check_api(api: ApiServer, task_id: int, echo: Callable[[str], None]) -> None:
    """The API serves the settled task and its audit trace from the oracle's index."""
    client = api.app.test_client()
    task = client.get(f"/api/tasks/{task_id}").get_json()
    trace = client.get(f"/api/tasks/{task_id}/trace").get_json()
    if task is None or task.get("status") != "settled" or not trace or not trace.get("events"):
        raise DemoError(f"the API does not show task {task_id} settled: {task}")
    echo(f"API: task {task_id} {task['status']}, audit trace of {len(trace['events'])} events at "
         f"{api.url}/api/tasks/{task_id}/trace")
