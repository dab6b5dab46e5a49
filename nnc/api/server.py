"""Serving the API: in the foreground (`nnc api`) or on a background thread (the demo, tests)."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from nnc.api.app import create_app
from nnc.api.context import ApiContext

log = logging.getLogger(__name__)


class ApiServer:
    """A threaded WSGI server for the API on host:port (port 0: a free one), stopped on exit."""

    def __init__(self, context: ApiContext, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = create_app(context)
        self.server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def serve_forever(self) -> None:
        log.info("API and web app at %s", self.url)
        self.server.serve_forever()

    def start(self) -> ApiServer:
        self.thread = threading.Thread(target=self.server.serve_forever, name="nnc-api", daemon=True)
        self.thread.start()
        log.info("API and web app at %s", self.url)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
