"""Which reason a worker gives the chain when it gives a task up."""

from __future__ import annotations

import pytest

from nnc.chain.types import AbandonReason
from nnc.errors import (
    ContentNotFoundError,
    ContractRevertError,
    IntegrityError,
    ResourceLimitError,
    TaskSpecError,
    TrainingError,
)
from nnc.sandbox import SandboxError, SandboxLimitError
from nnc.worker.reporting import abandon_reason


@pytest.mark.parametrize(("error", "reason"), [
    (SandboxLimitError("task code exceeded its memory limit of 1200 MB"), AbandonReason.RESOURCE_LIMIT),
    (ResourceLimitError("ran out of memory (in process)"), AbandonReason.RESOURCE_LIMIT),
    (TrainingError("dataset file is not an .npz"), AbandonReason.INVALID_TASK),
    (TaskSpecError("spec digest mismatch"), AbandonReason.INVALID_TASK),
    (IntegrityError("ipfs://x", "aa", "bb"), AbandonReason.INVALID_TASK),
    (ContentNotFoundError("no dataset at ipfs://x"), AbandonReason.INVALID_TASK),
    (SandboxError("task code failed with exit status 1"), AbandonReason.NODE_FAULT),
    (ContractRevertError("submit reverted"), AbandonReason.NODE_FAULT),
    (OSError("disk full"), AbandonReason.NODE_FAULT),
])
def test_failures_map_to_the_reason_given_on_chain(error: Exception, reason: AbandonReason) -> None:
    assert abandon_reason(error) == reason
