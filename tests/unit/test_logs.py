"""Log context and formats: every line names its task, node and daemon; JSON or text; chosen by
settings, NNC_LOG_FORMAT or --log-format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.cli import cli
from nnc.errors import ConfigError
from nnc.logs import (
    ContextFilter,
    JsonFormatter,
    StderrHandler,
    TextFormatter,
    configure_logging,
    current_context,
    log_context,
)
from nnc.settings import load_settings

NODE = "0x1234567890AbcdEF1234567890aBcdef12345678"
LIBRARY = "nnc.training.trainer"  # a library module: it knows nothing of tasks or nodes


@pytest.fixture
def capture() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    """A handler with the context filter on the `nnc` logger, at DEBUG; set its formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("nnc")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream, handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextmanager
def bare_root() -> Iterator[logging.Logger]:
    """The root logger as a fresh process has it (no handlers), inside the block only; entered in
    the test body, after pytest has added its capturing handlers."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    for handler in saved:
        root.removeHandler(handler)
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_context_from_library_loggers(capture: tuple[io.StringIO, logging.Handler]) -> None:
    stream, handler = capture
    handler.setFormatter(JsonFormatter())
    library = logging.getLogger(LIBRARY)
    with log_context(daemon="worker", node=NODE):
        with log_context(task_id=7):
            library.info("step %d of %d", 3, 60)
        library.warning("between tasks")
    library.info("no context")

    inside, between, outside = json_lines(stream)
    assert inside == {"ts": inside["ts"], "level": "INFO", "logger": LIBRARY, "msg": "step 3 of 60",
                      "task_id": 7, "node": NODE, "daemon": "worker"}
    ts = datetime.fromisoformat(str(inside["ts"]))
    assert str(inside["ts"]).endswith("Z") and abs((datetime.now(UTC) - ts).total_seconds()) < 60
    assert between["node"] == NODE and "task_id" not in between and between["level"] == "WARNING"
    assert set(outside) == {"ts", "level", "logger", "msg"}


def test_json_lines_carry_exceptions(capture: tuple[io.StringIO, logging.Handler]) -> None:
    stream, handler = capture
    handler.setFormatter(JsonFormatter())
    with log_context(task_id=3):
        try:
            raise ValueError("bad digest")
        except ValueError:
            logging.getLogger(LIBRARY).exception("task %d: failed", 3)
    (line,) = json_lines(stream)
    assert line["msg"] == "task 3: failed" and line["task_id"] == 3
    assert "Traceback" in str(line["exc"]) and "ValueError: bad digest" in str(line["exc"])


def test_context_is_restored_after_the_block_even_on_error() -> None:
    assert dict(current_context()) == {}
    with log_context(daemon="oracle"):
        with pytest.raises(RuntimeError), log_context(task_id=5):
            assert dict(current_context()) == {"daemon": "oracle", "task_id": 5}
            raise RuntimeError
        assert dict(current_context()) == {"daemon": "oracle"}
        with log_context(task_id=None):  # None leaves the field as it is
            assert dict(current_context()) == {"daemon": "oracle"}
    assert dict(current_context()) == {}


def test_text_lines_show_the_context_before_the_logger(capture: tuple[io.StringIO, logging.Handler]) -> None:
    stream, handler = capture
    handler.setFormatter(TextFormatter())
    with log_context(daemon="worker", node=NODE, task_id=7):
        logging.getLogger("nnc.worker.daemon").info("task %d: applied", 7)
    logging.getLogger(LIBRARY).info("plain")
    with_context, plain = stream.getvalue().splitlines()
    assert with_context.endswith(" INFO    [worker node 0x12345678… task 7] nnc.worker.daemon: task 7: applied")
    assert plain.endswith(f" INFO    {LIBRARY}: plain")


def test_settings_and_environment_select_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NNC_LOG_FORMAT", raising=False)
    assert load_settings().log_format == "text"
    monkeypatch.setenv("NNC_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    assert load_settings(log_format="text").log_format == "text"  # the CLI option wins
    monkeypatch.setenv("NNC_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="log_format"):
        load_settings()


def test_configure_logging_keeps_a_root_configured_elsewhere() -> None:
    with bare_root() as root:
        configure_logging(logging.INFO, "json")
        configure_logging(logging.DEBUG, "text")  # replaces its own handler
        (handler,) = root.handlers
        assert isinstance(handler, StderrHandler) and isinstance(handler.formatter, TextFormatter)
        assert root.level == logging.DEBUG
        root.removeHandler(handler)
        foreign = logging.StreamHandler(io.StringIO())
        root.addHandler(foreign)
        configure_logging(logging.INFO, "json")
        assert root.handlers == [foreign]


def cli_env(tmp_path: Path, **extra: str | None) -> dict[str, str | None]:
    return {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_DATA_DIR": str(tmp_path / "data"),
            "NNC_STORAGE_URL": None, "NNC_LOG_FORMAT": None, **extra}


def test_cli_option_and_environment_select_json_lines_on_stderr(tmp_path: Path) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"x" * 1000)
    runner = CliRunner()
    with bare_root():
        as_json = runner.invoke(cli, ["-v", "--log-format", "json", "data", "put", str(payload)],
                                env=cli_env(tmp_path))
        from_env = runner.invoke(cli, ["-v", "data", "put", str(payload)],
                                 env=cli_env(tmp_path, NNC_LOG_FORMAT="json"))
        as_text = runner.invoke(cli, ["-v", "--log-format", "text", "data", "put", str(payload)],
                                env=cli_env(tmp_path, NNC_LOG_FORMAT="json"))

    assert as_json.exit_code == 0, as_json.output
    uri = as_json.stdout.strip()
    lines = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert {"logger": "nnc.storage.local", "msg": f"stored {uri}", "level": "DEBUG"}.items() <= lines[-1].items()
    assert json.loads(from_env.stderr.splitlines()[-1])["msg"] == f"stored {uri}"
    assert as_text.stderr.splitlines()[-1].endswith(f"DEBUG   nnc.storage.local: stored {uri}")
