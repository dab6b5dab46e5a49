"""Global options after the subcommand are taken as if written before it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nnc.cli import cli, main
from nnc.cli.global_options import global_option_arity, hoist

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-mlp.json"


def test_hoist_moves_global_options_and_their_values_to_the_front() -> None:
    arity = global_option_arity(cli)
    assert arity["--rpc-url"] == 1 and arity["-v"] == 0 and arity["--no-progress"] == 0
    args = ["task", "status", "3", "--rpc-url", "http://x:1", "-v", "--log-format=json", "--", "--data-dir"]
    assert hoist(args, arity) == ["--rpc-url", "http://x:1", "-v", "--log-format=json", "task", "status", "3", "--",
                                  "--data-dir"]


def test_a_global_option_after_the_subcommand_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NNC_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setattr(sys, "argv", ["nnc", "task", "validate", str(EXAMPLE), "--data-dir", str(tmp_path / "d"),
                                      "--log-format", "json", "--no-progress"])
    main()
    assert "compute units" in capsys.readouterr().out


def test_an_unknown_option_is_still_refused(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["nnc", "task", "validate", str(EXAMPLE), "--bogus"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2 and "--bogus" in capsys.readouterr().err
