"""The API at scale: `GET /api/tasks` (filtered, paged), `/api/tasks/{id}` and its trace with
10,000 tasks and 100,000 events in the index, p50 and p99 latency per route (goal: p99 under
100 ms for each).

A devnet (anvil only) gets one real published task, so the detail route's live chain read and the
trace's sender and block-time lookups hit a real chain. The index is then filled, through its own
ingestion (the oracle's code path), with `--tasks` synthetic tasks of eleven events each (published,
two applications, assigned, two results, two payouts, settled, two status changes), cloned from the
real events' shapes, so that every table and projection holds production-like rows. Requests go
through the Flask app (`create_app`) in process: the figures are the API's own work, not HTTP's.

The last line is one JSON object: `api_p99_ms` (the worst route's p99), `routes` (per route
`p50_ms` and `p99_ms`), `tasks`, `events`, `ingest_s`.

    .venv/bin/python bench/api.py [--tasks 10000] [--requests 200] [--quick]

`--quick` (run by tests/bench): 200 tasks, 20 requests per route.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nnc.api import ApiContext
from nnc.api.app import create_app
from nnc.chain.events import ChainEvent, EventReader
from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.oracle.daemon import open_index
from nnc.paths import REPO_ROOT
from nnc.settings import Settings
from nnc.task import load_spec
from nnc.task.publish import PublishOptions, publish_task

SPEC = REPO_ROOT / "examples" / "digits-mlp.json"


def synthetic_events(real: ChainEvent, task_id: int, nodes: list[str], first_log: int) -> list[ChainEvent]:
    """Eleven events of a settled task `task_id`, in the shapes the real ones have."""
    def event(contract: str, name: str, args: dict[str, Any], offset: int) -> ChainEvent:
        return ChainEvent(contract, name, {"taskId": task_id, **args}, real.block_number, first_log + offset,
                          real.tx_hash, real.block_hash)

    digest = "0x" + f"{task_id:064x}"
    published = {**real.args, "taskId": task_id}
    return [
        ChainEvent(real.contract, real.name, published, real.block_number, first_log, real.tx_hash, real.block_hash),
        event("TaskMarket", "NodeApplied", {"node": nodes[0]}, 1),
        event("TaskMarket", "NodeApplied", {"node": nodes[1]}, 2),
        event("TaskMarket", "TaskAssigned", {"nodes": nodes}, 3),
        event("TaskMarket", "TaskStatusChanged", {"from": 0, "to": int(TaskStatus.ASSIGNED)}, 4),
        event("TaskMarket", "ResultSubmitted", {"node": nodes[0], "agreementKey": digest}, 5),
        event("TaskMarket", "ResultSubmitted", {"node": nodes[1], "agreementKey": digest}, 6),
        event("TaskMarket", "NodePaid", {"node": nodes[0], "amount": 10**17}, 7),
        event("TaskMarket", "NodePaid", {"node": nodes[1], "amount": 10**17}, 8),
        event("TaskMarket", "TaskSettled", {"agreementKey": digest, "paid": 2 * 10**17, "fee": 10**15,
                                            "refund": 0}, 9),
        event("TaskMarket", "TaskStatusChanged", {"from": int(TaskStatus.SUBMITTED), "to": int(TaskStatus.SETTLED)},
              10),
    ]


def timed(client: Any, urls: list[str]) -> tuple[float, float]:
    seconds = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    seconds.sort()
    p99 = seconds[min(len(seconds) - 1, int(round(0.99 * (len(seconds) - 1))))]
    return statistics.median(seconds) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="200 tasks, 20 requests per route")
    args = parser.parse_args()
    tasks, requests = (200, 20) if args.quick else (args.tasks, args.requests)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="nnc-bench-api-") as tmp, Devnet(data_dir=Path(tmp), nodes=2) as devnet:
        client = devnet.client(REQUESTER)
        store_dir = Path(tmp) / "store"
        settings = Settings(rpc_url=devnet.rpc_url, data_dir=Path(tmp) / "api",
                            deployment_file=devnet.deployment_file, storage_url=f"local://{store_dir}")
        from nnc.storage import store_from_settings

        real_id, _ = publish_task(client, store_from_settings(settings), load_spec(SPEC),
                                  PublishOptions(budget=10**18, replication=2, collateral=10**19, apply_window=60,
                                                 deadline=600))
        assert client.deployment is not None
        head = client.block_number()
        real = list(EventReader(client.w3, client.artifacts, client.deployment).read(client.deployment.start_block,
                                                                                       head))
        published = next(e for e in real if e.name == "TaskPublished")
        nodes = [devnet.address(i) for i in devnet.node_indices()[:2]]
        index = open_index(settings, client)
        started = time.perf_counter()
        index.ingest(real, head)
        batch: list[ChainEvent] = []
        for task_id in range(real_id + 1, real_id + 1 + tasks):
            batch += synthetic_events(published, task_id, nodes, 1_000 + 11 * task_id)
            if len(batch) >= 10_000:
                index.ingest(batch, head)
                batch = []
        index.ingest(batch, head)
        ingest_s = time.perf_counter() - started
        events = len(index.events())
        index.close()

        app = create_app(ApiContext.from_settings(settings))
        api = app.test_client()
        last = real_id + tasks
        some = [rng.randint(real_id + 1, last) for _ in range(requests)]
        routes = {
            "tasks_page": [f"/api/tasks?limit=50&offset={rng.randrange(0, max(1, tasks - 50))}"
                           for _ in range(requests)],
            "tasks_filtered": [f"/api/tasks?status=settled&node={nodes[rng.randrange(2)]}&limit=50"
                               f"&offset={rng.randrange(0, max(1, tasks // 2))}" for _ in range(requests)],
            "task_detail": [f"/api/tasks/{real_id}" for _ in range(requests)],
            "task_trace": [f"/api/tasks/{task_id}/trace" for task_id in some],
        }
        figures = {}
        for name, urls in routes.items():
            timed(api, urls[:3])  # warm: caches of senders and block times, SQLite pages
            p50, p99 = timed(api, urls)
            figures[name] = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
            print(f"{name:16} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms")
    print(f"{tasks} tasks, {events} events, ingested in {ingest_s:.1f} s")
    print(json.dumps({"api_p99_ms": max(f["p99_ms"] for f in figures.values()), "routes": figures, "tasks": tasks,
                      "events": events, "ingest_s": round(ingest_s, 2)}))


if __name__ == "__main__":
    main()
