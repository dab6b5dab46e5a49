"""One settings object for every NNC command and daemon: a TOML file plus `NNC_*` variables.

Precedence, highest first: explicit overrides passed by the caller (CLI flags), environment
variables (`NNC_RPC_URL`, `NNC_PRIVATE_KEY`, ...), the TOML file (`NNC_CONFIG`, default
`./nnc.toml` when present), then the defaults below, which describe the local devnet.
The private key is a `SecretStr`: it is never printed, logged or written back to a file. Node
operators keep it in an encrypted keystore (`keystore`, see nnc.keystore); a plain `key_file`
is for devnet accounts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from nnc.errors import ConfigError
from nnc.logs import LogFormat

DEFAULT_CONFIG_FILE = Path("nnc.toml")


class Settings(BaseSettings):
    """Where the chain is, who we are on it, and where local state lives."""

    model_config = SettingsConfigDict(env_prefix="NNC_", extra="forbid", env_ignore_empty=True)
    """An empty variable (`NNC_KEY_FILE=`) is an unset one, not the current directory."""

    rpc_url: str = "http://127.0.0.1:8545"
    private_key: SecretStr | None = None
    key_file: Path | None = Field(default=None, description="file holding the hex private key (devnets)")
    keystore: Path | None = Field(default=None, description="encrypted V3 keystore holding the signing key")
    keystore_passphrase_file: Path | None = Field(default=None, description="its passphrase; default: ask")
    data_dir: Path = Path(".nnc")
    deployment_file: Path | None = Field(default=None, description="default: <data_dir>/deployment.json")
    storage_url: str | None = Field(default=None, description="default: local://<data_dir>/store; or "
                                    "ipfs+http://host:port (Kubo RPC API), ar+http://host:port (Arweave gateway)")
    ipfs_api_url: str | None = Field(default=None, description="Kubo RPC API for ipfs:// reads, e.g. http://127.0.0.1:5001")
    ipfs_upload_url: str | None = Field(default=None, description="the storage node as browsers reach it, for the "
                                        "web app's chunked dataset uploads; default: ipfs_api_url or storage_url's")
    arweave_url: str | None = Field(default=None, description="Arweave gateway for ar:// reads, e.g. http://127.0.0.1:1984")
    arweave_wallet: Path | None = Field(default=None, description="JWK key file that signs Arweave uploads")
    encryption_key_file: Path | None = Field(default=None, description="X25519 key; default: <data_dir>/encryption.key")
    confirmations: int = Field(default=0, ge=0, le=64)
    poll_interval: float = Field(default=0.5, gt=0, le=60)
    log_range: int = Field(default=2000, ge=1, description="max blocks per event query")
    gas_multiplier: float = Field(default=1.25, ge=1.0, le=5.0)
    log_level: str = "INFO"
    log_format: LogFormat = Field(default="text", description="text lines for people, or one JSON object per "
                                   "line (ts, level, logger, msg, task_id, node, daemon)")
    metrics_port: int | None = Field(default=None, ge=0, le=65535,
                                     description="serve Prometheus metrics on 127.0.0.1:<port> (daemons)")
    oracle_evaluators: int = Field(default=2, ge=0, le=16, description="threads the oracle evaluates submitted "
                                   "models on, off its poll loop (nnc.oracle.evaluation); 0: inside the loop")
    sandbox: bool = Field(default=True, description="train tasks in the sandbox (nnc.sandbox)")
    sandbox_memory_mb: int = Field(default=4096, ge=256, description="memory limit of task code")
    sandbox_seconds: float = Field(default=3600.0, gt=0, description="time limit of one training run")
    sandbox_cpus: list[int] | None = Field(default=None, description="cores task code is pinned to, e.g. [2, 3]")
    sandbox_standby: int = Field(default=2, ge=0, le=16, description="sandboxes started ahead for tasks applied "
                                 "for (warm imports; each holds its framework in memory); 0: none")
    deadline_margin: float = Field(default=2.0, ge=1.0, le=100.0, description="the worker applies only for tasks "
                                   "whose execution window is at least this many times its own estimate of "
                                   "the training time (nnc.node.estimate.estimate_training_seconds)")
    runtimes: list[str] | None = Field(default=None, description="frameworks the worker takes tasks of, e.g. "
                                       "[\"torch\", \"peft\"]; default: every installed runtime (nnc.runtimes)")
    home_gateway: str | None = Field(default=None, description="the HomeGateway of a cross-chain route (issue 20): "
                                     "the oracle relays its bridged tasks' settlement (nnc.oracle.bridge)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("NNC_CONFIG", DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def resolved_deployment_file(self) -> Path:
        return self.deployment_file or self.data_dir / "deployment.json"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or f"local://{(self.data_dir / 'store').resolve()}"

    @property
    def resolved_encryption_key_file(self) -> Path:
        return self.encryption_key_file or self.data_dir / "encryption.key"

    def private_key_hex(self) -> str | None:
        """The signing key, from `private_key`, `keystore` (unlocked with its passphrase) or
        `key_file`; None when none is set. Raises ConfigError naming the source when it holds no
        private key (32 bytes of hex; the content itself is never shown)."""
        if self.private_key is not None:
            return _checked_key(self.private_key.get_secret_value(), "private_key (NNC_PRIVATE_KEY)")
        if self.keystore is not None:
            from nnc.keystore import read_passphrase, unlock_keystore

            return unlock_keystore(self.keystore, read_passphrase(self.keystore, self.keystore_passphrase_file))
        if self.key_file is not None:
            try:
                text = self.key_file.read_text()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
                raise ConfigError(f"cannot read key_file {self.key_file}: {reason}") from None
            return _checked_key(text, f"key_file {self.key_file}")
        return None


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _checked_key(text: str, source: str) -> str:
    """`text` stripped, when it is a private key: 64 hex digits, with or without 0x."""
    key = text.strip()
    digits = key[2:] if key[:2] in ("0x", "0X") else key
    if len(digits) != 64 or not set(digits) <= _HEX_DIGITS:
        raise ConfigError(f"{source} does not hold a private key (64 hex digits, optionally after 0x; "
                          f"it holds {len(key)} other character(s))")
    return key


def load_settings(**overrides: Any) -> Settings:
    """Builds the settings, turning validation failures into a `ConfigError` naming the field."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
