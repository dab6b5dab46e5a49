"""Storage fixtures: one real Helia IPFS node and one real arlocal per test session, on free ports,
stopped by PID at the end; a funded Arweave wallet; stores on both."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nnc.storage.arweave import ArweaveStore
from nnc.storage.arweave_tx import generate_wallet, wallet_address
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import ArLocal, IpfsNode
from nnc.storage.transport import RetryPolicy

AR = 10**12
"""Winston per AR."""

FAST_RETRIES = RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.2, connect_timeout=1.0, read_timeout=30.0)
"""Retries that keep failure tests short; the defaults stay for the round trips."""


@pytest.fixture(scope="session")
def services_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nnc-test-storage-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def ipfs_node(services_dir: Path) -> Iterator[IpfsNode]:
    with IpfsNode(services_dir / "ipfs") as node:
        yield node


@pytest.fixture(scope="session")
def arlocal(services_dir: Path) -> Iterator[ArLocal]:
    with ArLocal(services_dir / "arlocal") as service:
        yield service


@pytest.fixture(scope="session")
def arweave_wallet(arlocal: ArLocal) -> dict[str, str]:
    """A 4096-bit wallet holding 1000 AR on arlocal."""
    jwk = generate_wallet()
    arlocal.mint(wallet_address(jwk), 1000 * AR)
    return jwk


@pytest.fixture(scope="session")
def ipfs(ipfs_node: IpfsNode) -> IpfsStore:
    return IpfsStore(ipfs_node.url)


@pytest.fixture(scope="session")
def arweave(arlocal: ArLocal, arweave_wallet: dict[str, str]) -> ArweaveStore:
    return ArweaveStore(arlocal.url, arweave_wallet)
