"""Retries with back-off through transient failures, and a clear bounded error once a service stays
down: a fault-injecting proxy in front of the real IPFS node, and a port that never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from nnc.errors import ServiceUnavailableError
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import IpfsNode
from nnc.storage.transport import RetryPolicy
from tests.storage.conftest import FAST_RETRIES


class FlakyProxy(ThreadingHTTPServer):
    """Answers the first `failures` requests with 503, then forwards to `upstream`."""

    def __init__(self, upstream: str, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream
        self.failures = failures
        self.seen: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: FlakyProxy

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if len(self.server.seen) < self.server.failures:
            self.server.seen.append(503)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        reply = requests.post(self.server.upstream + self.path, data=body, timeout=10,
                              headers={"Content-Type": self.headers.get("Content-Type", "")})
        self.server.seen.append(reply.status_code)
        self.send_response(reply.status_code)
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(proxy: FlakyProxy) -> Iterator[FlakyProxy]:
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


@pytest.fixture
def flaky(ipfs_node: IpfsNode) -> Iterator[FlakyProxy]:
    yield from _serve(FlakyProxy(ipfs_node.url, failures=2))


@pytest.fixture
def down(ipfs_node: IpfsNode) -> Iterator[FlakyProxy]:
    yield from _serve(FlakyProxy(ipfs_node.url, failures=10**6))


def test_transient_failures_are_retried(flaky: FlakyProxy) -> None:
    store = IpfsStore(flaky.url, policy=FAST_RETRIES)
    uri = store.put_bytes(b"survives two 503s")  # attempt 3 of 3 goes through
    assert flaky.seen == [503, 503, 200]
    assert store.get_bytes(uri) == b"survives two 503s"


def test_service_down_for_good_gives_up_after_the_bound(down: FlakyProxy) -> None:
    store = IpfsStore(down.url, policy=RetryPolicy(attempts=4, initial_delay=0.05, max_delay=0.1))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match=f"IPFS API at {down.url} unavailable after 4 attempt.*HTTP 503"):
        store.put_bytes(b"never stored")
    assert down.seen == [503] * 4
    assert time.monotonic() - started < 3


def test_service_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        policy = RetryPolicy(attempts=2, initial_delay=0.05, connect_timeout=0.5, read_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ServiceUnavailableError, match="ReadTimeout"):
            IpfsStore(url, policy=policy).get_bytes("ipfs://bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
        assert time.monotonic() - started < 4
