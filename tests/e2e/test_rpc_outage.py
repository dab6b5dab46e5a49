"""A worker daemon whose RPC endpoint goes away (first answering 503, then dropping connections)
waits it out with back-off, never crashes, and its task still settles.

The outage lasts 6 s: with the daemon's back-off (0.5 s doubling) its rounds meet 503s, then
dropped connections, and get through once it ends (on an idle machine: failures at 0, 0.5, 1.5
and 3.5 s, through at 7.5 s). A 30 s outage ran the same path with one more doubling and cost
24 s more of the suite."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from eth_account import Account

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.deploy import NNT
from nnc.chain.types import TaskStatus
from nnc.daemon import StopFlag
from nnc.devnet import Devnet
from nnc.worker.daemon import Worker
from nnc.worker.state import Phase
from tests.e2e.harness import advance_time, make_network, settings_for

pytestmark = pytest.mark.e2e
OUTAGE_S = 6.0


class SwitchableProxy(ThreadingHTTPServer):
    """Forwards JSON-RPC to `upstream` except while down: 503 in the first half of an outage,
    connections closed without an answer in the second."""

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.down_from = self.down_until = 0.0
        self.refused = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def outage(self, seconds: float) -> None:
        self.down_from, self.down_until = time.monotonic(), time.monotonic() + seconds


class _Handler(BaseHTTPRequestHandler):
    server: SwitchableProxy

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.monotonic()
        if now < self.server.down_until:
            self.server.refused += 1
            if now < (self.server.down_from + self.server.down_until) / 2:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.close_connection = True  # no answer at all
            return
        reply = requests.post(self.server.upstream, data=body, timeout=10,
                              headers={"Content-Type": "application/json"})
        self.send_response(reply.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy(chain: Devnet) -> Iterator[SwitchableProxy]:
    server = SwitchableProxy(chain.rpc_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_worker_waits_out_an_rpc_outage_and_its_task_settles(
        chain: Devnet, proxy: SwitchableProxy, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])  # the oracle, on a direct connection
    account = chain.node_indices()[0]
    settings = settings_for(chain, tmp_path, account).model_copy(update={"rpc_url": proxy.url})
    client = ChainClient(connect_web3(proxy.url), Artifacts(), chain.deployment, Account.from_key(chain.key(account)))
    worker = Worker(settings, client, net.store)
    worker.join(200 * NNT, benchmark_seconds=0.05)
    task_id = net.publish(replication=1, apply_window=300, deadline=900)

    stop = StopFlag()
    proxy.outage(OUTAGE_S)
    daemon = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    daemon.start()
    try:
        time.sleep(OUTAGE_S / 2)  # the outage is real time: nothing to poll for meanwhile
        assert daemon.is_alive() and task_id not in worker.state.tasks
        end = time.monotonic() + OUTAGE_S + 60
        while net.status(task_id) != TaskStatus.SUBMITTED and time.monotonic() < end:
            net.oracle.sync()
            net.poke()
            time.sleep(0.2)
        assert net.status(task_id) == TaskStatus.SUBMITTED, worker.state.tasks.get(task_id)
        net.oracle.sync()
        net.poke()  # quality
        advance_time(chain, net.market().settlement_params().challenge_window + 1)
        net.run_until("settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    finally:
        stop.set()
        daemon.join(timeout=30)
    assert not daemon.is_alive()  # it stopped when asked, it never crashed
    assert proxy.refused > 0 and worker.metrics.value("nnc_rpc_errors_total") >= 2
    end = time.monotonic() + 10
    while worker.state.tasks[task_id].phase != Phase.DONE and time.monotonic() < end:
        worker.sync()
    assert worker.state.tasks[task_id].phase == Phase.DONE
