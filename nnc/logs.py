"""Log set-up and log context: every line says which task, node and daemon it is about.

`log_context(task_id=7)` (a context manager over `contextvars`) names what the code inside it is
working on; `ContextFilter` copies that context onto each record as it is emitted (`task_id`,
`node`, `daemon`, None when not known), so lines from library modules (training, storage, the
chain client) carry it too. Two formats read it:

- text (the default, for people): `12:00:00 INFO    [worker node 0x1234abcd… task 7] nnc.worker.daemon: ...`;
- json (for log collectors): one object per line with `ts` (ISO-8601, UTC), `level`, `logger`,
  `msg` (the formatted message), `task_id`, `node` and `daemon` when known, `exc` for exceptions.

`configure_logging` installs the one stderr handler of the `nnc` command (settings `log_format`,
`--log-format`). The context only ever holds ids and addresses: never put a key in it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, Literal, TextIO

LogFormat = Literal["text", "json"]
LOG_FORMATS: Final = ("text", "json")
CONTEXT_FIELDS: Final = ("task_id", "node", "daemon")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)-7s %(context_text)s%(name)s: %(message)s"

_EMPTY: Final[Mapping[str, str | int]] = MappingProxyType({})
_context: ContextVar[Mapping[str, str | int]] = ContextVar("nnc_log_context", default=_EMPTY)


@contextmanager
def log_context(*, task_id: int | None = None, node: str | None = None,
                daemon: str | None = None) -> Iterator[None]:
    """Adds the given fields (None leaves a field as it is) to the context of every line logged
    inside the `with` block, in this thread; the previous context is restored on the way out."""
    updates = {name: value for name, value in (("task_id", task_id), ("node", node), ("daemon", daemon))
               if value is not None}
    token = _context.set(MappingProxyType({**_context.get(), **updates}))
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, str | int]:
    """The fields set by the enclosing `log_context` blocks (empty outside any)."""
    return _context.get()


class ContextFilter(logging.Filter):
    """Sets `task_id`, `node` and `daemon` on each record from the current context (None when not
    known; a value passed with `extra=` is kept). Always lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """The known context fields of a record: those `ContextFilter` set, else the current context
    (a handler without the filter formats in the thread that logs)."""
    context = _context.get()
    values = {name: getattr(record, name, context.get(name)) for name in CONTEXT_FIELDS}
    return {name: value for name, value in values.items() if value is not None}


def context_text(context: Mapping[str, Any]) -> str:
    """`[worker node 0x1234abcd… task 7] ` for the text format ('' without context)."""
    parts = []
    if "daemon" in context:
        parts.append(str(context["daemon"]))
    if "node" in context:
        node = str(context["node"])
        parts.append(f"node {node[:10]}…" if len(node) > 10 else f"node {node}")
    if "task_id" in context:
        parts.append(f"task {context['task_id']}")
    return f"[{' '.join(parts)}] " if parts else ""


class TextFormatter(logging.Formatter):
    """The human format: time, level, the context in brackets, logger name, message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.context_text = context_text(context_of(record))
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the known context fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **context_of(record),
        }
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a line is emitted (so a redirected or captured
    stderr gets the lines), through a `ContextFilter`."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(sys.stderr)
        self.addFilter(ContextFilter())
        self.setFormatter(formatter)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always sys.stderr


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(level: int, log_format: LogFormat = "text") -> None:
    """Logs at `level` to stderr in `log_format`, as `logging.basicConfig` would: a root logger
    that something else configured (a test runner, an embedding program) is left alone, and a
    handler installed by an earlier call is replaced."""
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if isinstance(handler, StderrHandler)]
    if len(ours) != len(root.handlers):
        return
    for handler in ours:
        root.removeHandler(handler)
    root.addHandler(StderrHandler(formatter_for(log_format)))
    root.setLevel(level)
