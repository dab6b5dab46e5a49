"""HTTP to a storage service with bounded retries: exponential back-off on transient failures
(connection refused or reset, time-outs, 429/502/503/504, and a 500 without the service's own
error body), then a `ServiceUnavailableError` naming the service and its URL.

An operation is a function of a `requests.Session` that either returns a result or raises;
`HttpService.call` runs it again after a transient failure, so an operation that streams a body
must be able to start over (rewind its input, truncate its output).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import requests

from nnc.errors import ServiceUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
STREAM_CHUNK: Final = 1 << 20
"""Bytes read at a time from a streamed HTTP response (1 MiB)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `attempts` in all, sleeping `initial_delay * 2**k` (capped, with jitter) between."""

    attempts: int = 4
    initial_delay: float = 0.25
    max_delay: float = 4.0
    connect_timeout: float = 3.0
    read_timeout: float = 120.0

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        base: float = min(self.max_delay, self.initial_delay * 2.0 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)


DEFAULT_POLICY: Final = RetryPolicy()


class TransientError(Exception):
    """A failure worth another attempt (raised by operations; `HttpService.call` catches it)."""


_TRANSIENT: Final = (
    TransientError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def raise_for_transient(response: requests.Response, has_service_error: Callable[[requests.Response], bool]) -> None:
    """Raises `TransientError` for a status worth retrying; a 500 carrying the service's own error
    body (`has_service_error`) is a real answer, not a hiccup, and is left to the caller."""
    status = response.status_code
    if status in RETRY_STATUSES or (status >= 500 and not has_service_error(response)):
        raise TransientError(f"HTTP {status} from {response.url}: {response.text[:200].strip()}")


class HttpService:
    """A service at `base_url`, called by name in error messages (e.g. "IPFS API")."""

    def __init__(self, base_url: str, name: str, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.policy = policy
        self.session = requests.Session()

    def __repr__(self) -> str:
        return f"HttpService({self.name!r}, {self.base_url!r})"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def call(self, operation: Callable[[requests.Session], T], what: str, retry: bool = True) -> T:
        """Runs `operation`, retrying transient failures per the policy (once only if not `retry`)."""
        attempts = self.policy.attempts if retry else 1
        cause = "no attempt made"
        for attempt in range(1, attempts + 1):
            try:
                return operation(self.session)
            except _TRANSIENT as exc:
                cause = f"{type(exc).__name__}: {exc}"
                if attempt == attempts:
                    break
                delay = self.policy.delay(attempt)
                log.warning("%s: %s at %s failed (attempt %d/%d, retrying in %.2f s): %s",
                            what, self.name, self.base_url, attempt, attempts, delay, cause)
                time.sleep(delay)
        raise ServiceUnavailableError(self.name, self.base_url, attempts, f"{what}: {cause}")
