"""CLI progress bars: on stderr, only on a terminal or with --progress, following real bytes and steps."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tqdm import tqdm

from nnc.cli import cli
from nnc.cli.progress import PROGRESS_KEY, progress_enabled, steps_bar

SIZE = 2_500_000  # three 1 MiB chunks


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def env_for(tmp_path: Path) -> dict[str, str | None]:
    return {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_DATA_DIR": str(tmp_path / "data"),
            "NNC_STORAGE_URL": None}


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "dataset.npz"
    path.write_bytes(bytes(range(256)) * (SIZE // 256) + b"tail")
    return path


def test_data_put_with_progress_draws_a_bar_up_to_the_file_size(tmp_path: Path, payload: Path) -> None:
    result = CliRunner().invoke(cli, ["--progress", "data", "put", str(payload)], env=env_for(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "local://sha256/" + hashlib.sha256(payload.read_bytes()).hexdigest()
    size = tqdm.format_sizeof(payload.stat().st_size, divisor=1024)
    final = result.stderr.split("\r")[-1]
    assert final.startswith("uploading dataset.npz: 100%") and f"| {size}/{size} [" in final


def test_data_put_draws_no_bar_without_a_terminal_or_with_no_progress(tmp_path: Path, payload: Path) -> None:
    for args in (["data", "put", str(payload)], ["--no-progress", "data", "put", str(payload)]):
        result = CliRunner().invoke(cli, args, env=env_for(tmp_path))
        assert result.exit_code == 0, result.output
        assert result.stderr == "" and result.stdout.startswith("local://sha256/")


@pytest.mark.parametrize(("forced", "terminal", "shown"), [(None, True, True), (None, False, False),
                                                           (False, True, False), (True, False, True)])
def test_bars_follow_the_terminal_unless_forced(monkeypatch: pytest.MonkeyPatch, forced: bool | None,
                                                terminal: bool, shown: bool) -> None:
    monkeypatch.setattr("sys.stderr", Terminal() if terminal else io.StringIO())
    ctx = click.Context(cli)
    ctx.meta[PROGRESS_KEY] = forced
    assert progress_enabled(ctx) is shown


def test_steps_bar_counts_steps_and_shows_the_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    ctx = click.Context(cli)
    ctx.meta[PROGRESS_KEY] = True
    with steps_bar(ctx, "training tiny", 5) as on_progress:
        assert on_progress is not None
        for step in range(1, 6):
            on_progress(step, 2.5 / step)
    final = stderr.getvalue().split("\r")[-1]
    assert final.startswith("training tiny: 100%") and "5/5 [" in final and "loss=0.5000" in final
    ctx.meta[PROGRESS_KEY] = False
    with steps_bar(ctx, "training tiny", 5) as off:
        assert off is None
