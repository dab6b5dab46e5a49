"""API fixtures: one module-wide chain state with settled tasks (ETH and NNT), undone at the end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nnc.api import ApiContext, create_app
from nnc.chain.deploy import NNT
from nnc.devnet import Devnet
from nnc.storage import LocalStore
from tests.e2e.harness import Network, make_network, settings_for


@dataclass
class Settled:
    net: Network
    eth_task: int
    nnt_task: int
    open_task: int
    context: ApiContext
    app: Flask


@pytest.fixture(scope="module")
def settled(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settled]:
    """Two nodes; task 1 paid in ETH (r=2) and task 2 in NNT (r=1) settled, task 3 still published."""
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    data_dir = tmp_path_factory.mktemp("api")
    try:
        net = make_network(devnet, data_dir, devnet.node_indices()[:2])
        eth_task = net.publish(budget=10**18, replication=2)
        net.settle(eth_task)
        nnt = devnet.deployment.address_of("NNToken")  # type: ignore[union-attr]
        nnt_task = net.publish(budget=50 * NNT, replication=1, token=nnt)
        net.settle(nnt_task)
        open_task = net.publish(budget=10**17, replication=2)
        context = ApiContext.from_settings(settings_for(devnet, data_dir / "api", 0),
                                           store=LocalStore(data_dir / "store"))
        yield Settled(net, eth_task, nnt_task, open_task, context, create_app(context))
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture
def api(settled: Settled) -> FlaskClient:
    return settled.app.test_client()


def data_path(name: str) -> Path:
    return Path(__file__).resolve().parents[1] / "data" / name
