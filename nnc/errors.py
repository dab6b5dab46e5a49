"""The error classes every part of NNC raises: one root, one class per kind of failure.

Messages name the value that is wrong and what would be right; the CLI prints them without a
traceback and the API returns them as JSON.
"""

from __future__ import annotations


class NNCError(Exception):
    """Root of every error NNC raises on purpose."""


class ConfigError(NNCError):
    """Settings are missing or invalid."""


class TaskSpecError(NNCError):
    """A task spec is malformed or inconsistent."""


class StorageError(NNCError):
    """A storage backend failed to store or return content."""


class ContentNotFoundError(StorageError):
    """No content under the given identifier."""


class IntegrityError(StorageError):
    """Downloaded bytes do not match their content identifier or recorded digest."""

    def __init__(self, uri: str, expected: str, actual: str) -> None:
        super().__init__(f"integrity check failed for {uri}: expected digest {expected}, got {actual}")
        self.uri = uri
        self.expected = expected
        self.actual = actual


class TrainingError(NNCError):
    """A training run could not be carried out as the spec asks."""


class ChainError(NNCError):
    """The chain could not be reached, or a call or transaction failed."""


class ArtifactError(ChainError):
    """Contract artifacts are missing or stale."""


class ContractRevertError(ChainError):
    """A contract call reverted; `name` and `args` hold the decoded custom error when known."""

    def __init__(self, message: str, name: str | None = None, args: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.args_by_name = args or {}
