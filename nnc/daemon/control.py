"""The daemons' stop flag (SIGINT/SIGTERM) and back-off for transient failures."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger(__name__)


class StopFlag:
    """Set by SIGINT/SIGTERM (or by a caller); daemons check it between steps and sleep on it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("received %s: stopping after the current step", signal.Signals(signum).name)
            self._event.set()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def set(self) -> None:
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleeps up to `seconds`; returns True when stopping was requested."""
        return self._event.wait(seconds)


class Backoff:
    """Exponential back-off for transient failures: 0.5 s doubling up to `maximum`."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.current = initial

    def failed(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.maximum)
        return delay

    def succeeded(self) -> None:
        self.current = self.initial
