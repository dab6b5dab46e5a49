"""One prover process for the whole zk test module set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nnc.zk import Prover


@pytest.fixture(scope="session")
def prover() -> Iterator[Prover]:
    with Prover() as p:
        yield p
