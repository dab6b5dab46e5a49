"""Shared fixtures: one real anvil devnet per test session, reverted to a snapshot after each test."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from nnc.devnet import DEVNET_PARAMS, Devnet


@pytest.fixture(scope="session")
def devnet() -> Iterator[Devnet]:
    """Anvil with the protocol deployed and three funded node accounts (automine, no block time).

    The challenge window is a minute: tests move chain time past it (`evm_increaseTime`).
    """
    params = replace(DEVNET_PARAMS, challenge_window=60, snapshot_interval=0)
    with tempfile.TemporaryDirectory(prefix="nnc-test-devnet-") as tmp:
        with Devnet(data_dir=Path(tmp), nodes=3, params=params) as net:
            yield net


@pytest.fixture
def chain(devnet: Devnet) -> Iterator[Devnet]:
    """The devnet, with every change a test makes undone afterwards (evm_snapshot / evm_revert)."""
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield devnet
    finally:
        reverted = w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        assert reverted["result"] is True
