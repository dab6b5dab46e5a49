"""One settings object: defaults, TOML file, environment, overrides; the key is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.errors import ConfigError
from nnc.settings import load_settings

KEY = "0x" + "ab" * 32


def test_precedence_file_then_env_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "nnc.toml"
    config.write_text('rpc_url = "http://file:1"\nconfirmations = 3\npoll_interval = 2.0\n')
    monkeypatch.setenv("NNC_CONFIG", str(config))
    monkeypatch.setenv("NNC_CONFIRMATIONS", "5")
    settings = load_settings(poll_interval=0.25)
    assert settings.rpc_url == "http://file:1"
    assert settings.confirmations == 5
    assert settings.poll_interval == 0.25


def test_private_key_never_appears_in_repr_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNC_PRIVATE_KEY", KEY)
    settings = load_settings()
    assert settings.private_key_hex() == KEY
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


def test_key_file_is_read_and_a_missing_one_is_a_clear_error(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NNC_PRIVATE_KEY", raising=False)
    key_file = tmp_path / "node.key"
    key_file.write_text(KEY + "\n")
    assert load_settings(key_file=key_file).private_key_hex() == KEY
    with pytest.raises(ConfigError, match="missing.key"):
        load_settings(key_file=tmp_path / "missing.key").private_key_hex()


def test_invalid_values_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNC_CONFIRMATIONS", "-1")
    with pytest.raises(ConfigError, match="confirmations"):
        load_settings()


@pytest.mark.parametrize("content", [b"garbage\n", b"0x" + b"zz" * 32, b"0x" + b"ab" * 31, b"\xff\xfe\x00binary"])
def test_a_key_file_without_a_key_is_named_and_its_content_never_shown(tmp_path: Path, content: bytes,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NNC_PRIVATE_KEY", raising=False)
    key_file = tmp_path / "node.key"
    key_file.write_bytes(content)
    with pytest.raises(ConfigError, match="node.key") as caught:
        load_settings(key_file=key_file).private_key_hex()
    assert content.decode(errors="ignore").strip() not in str(caught.value) or not content.strip()


def test_a_bad_private_key_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNC_PRIVATE_KEY", "not-a-key")
    with pytest.raises(ConfigError, match="NNC_PRIVATE_KEY") as caught:
        load_settings().private_key_hex()
    assert "not-a-key" not in str(caught.value)


def test_an_empty_variable_is_unset_not_the_current_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NNC_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("NNC_KEY_FILE", "")
    monkeypatch.setenv("NNC_RPC_URL", "")
    settings = load_settings()
    assert settings.key_file is None and settings.private_key_hex() is None
    assert settings.rpc_url == "http://127.0.0.1:8545"
