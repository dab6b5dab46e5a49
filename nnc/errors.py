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


class ServiceUnavailableError(StorageError):
    """A storage service (IPFS API, Arweave gateway) could not be reached, or kept failing, after every retry."""

    def __init__(self, service: str, url: str, attempts: int, cause: str) -> None:
        super().__init__(f"{service} at {url} unavailable after {attempts} attempt(s): {cause}")
        self.service = service
        self.url = url
        self.attempts = attempts


class DecryptionError(StorageError):
    """An encrypted payload is malformed, truncated or was tampered with."""


class NotARecipientError(DecryptionError):
    """A payload was not encrypted to the key trying to open it."""

    def __init__(self, public_key_hex: str, recipients: list[str]) -> None:
        shown = ", ".join(r[:16] + "…" for r in recipients) or "none"
        super().__init__(f"payload is not encrypted to key {public_key_hex}: its recipients are {shown}")
        self.public_key_hex = public_key_hex
        self.recipients = recipients


class TrainingError(NNCError):
    """A training run could not be carried out as the spec asks."""


class DatasetError(TrainingError):
    """A dataset cannot be read as its format says, or does not fit the spec (shape, classes, digest)."""


class ResourceLimitError(NNCError):
    """A task needed more memory or time than the node running it allows."""


class PhaseTransitionError(NNCError):
    """A worker's record of a task was asked to move between phases no step of the protocol links."""

    def __init__(self, task_id: int, from_phase: object, to_phase: object, allowed: object) -> None:
        super().__init__(f"task {task_id}: no transition from phase {from_phase} to {to_phase} "
                         f"(allowed from {from_phase}: {allowed})")
        self.task_id = task_id
        self.from_phase = from_phase
        self.to_phase = to_phase


class VerificationError(NNCError):
    """A spot-check cannot be carried out (bad parameters, missing checkpoints)."""


class ChainError(NNCError):
    """The chain could not be reached, or a call or transaction failed."""


class ChainUnavailableError(ChainError):
    """The chain's RPC endpoint cannot be reached or did not answer in time: worth retrying."""


class ArtifactError(ChainError):
    """Contract artifacts are missing or stale."""


class ContractRevertError(ChainError):
    """A contract call reverted; `name` and `args` hold the decoded custom error when known."""

    def __init__(self, message: str, name: str | None = None, args: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.args_by_name = args or {}


class ZkError(NNCError):
    """A zero-knowledge proof could not be made or checked."""


class ZkInputError(ZkError):
    """A value given to a circuit is out of its range (the field, a limb, a class id, ...)."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        super().__init__(f"circuit input {name} = {value!r} is out of range: must be {allowed}")
        self.name = name
        self.value = value
        self.allowed = allowed


class CeremonyError(ZkError):
    """A trusted-setup ceremony step failed, or its transcript does not check out."""


class UntrustedSetupError(ZkError):
    """The zk keys come from a setup a real network must not trust (e.g. the single-party devnet one)."""


class ProverError(ZkError):
    """The prover process failed or refused the inputs (a constraint does not hold)."""
