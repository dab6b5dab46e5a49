"""Shared fixtures: one real anvil devnet per test session, reverted to a snapshot after each test."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from nnc.devnet import DEVNET_PARAMS, Devnet

SHARED_PACKAGES = ("tests/crosschain/",)
"""Folders whose tests share a package-scoped fixture (one two-chain devnet): one worker runs them."""


class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """`make test` (`pytest -n 2 --dist loadscope`): each worker takes whole modules, so that a
    module's fixtures start once; a folder in `SHARED_PACKAGES` goes to one worker whole."""

    def _split_scope(self, nodeid: str) -> str:
        for package in SHARED_PACKAGES:
            if nodeid.startswith(package):
                return package
        return str(super()._split_scope(nodeid))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> ModuleScheduling | None:
    if config.getoption("dist") != "loadscope":
        return None
    return ModuleScheduling(config, log)


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
