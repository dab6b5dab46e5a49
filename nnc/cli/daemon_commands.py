"""`nnc worker run` and `nnc oracle run`: the two daemons."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import click

from nnc.chain.profiles import NNT
from nnc.cli.context import settings_of, store_of
from nnc.daemon import StopFlag

if TYPE_CHECKING:
    from nnc.metrics import DaemonMetrics


def serve_metrics(metrics: DaemonMetrics, port: int | None) -> None:
    if port is not None:
        actual = metrics.serve(port)
        logging.getLogger(__name__).info("%s metrics on http://127.0.0.1:%d/metrics", metrics.daemon, actual)


@click.group("worker")
def worker_group() -> None:
    """The compute node daemon."""


@worker_group.command("run")
@click.option("--stake", default=200, show_default=True, help="NNT to keep staked")
@click.option("--benchmark-seconds", default=1.0, show_default=True)
@click.option("--price", type=int, help="price per compute unit for ETH tasks, in wei (0 = any price)")
@click.pass_context
def worker_run(ctx: click.Context, stake: int, benchmark_seconds: float, price: int | None) -> None:
    """Register, stake, then apply for, train and submit tasks until stopped (Ctrl-C)."""
    from nnc.chain.client import ChainClient
    from nnc.worker.daemon import Worker  # imports torch: only the commands that train pay for it

    settings = settings_of(ctx)
    stop = StopFlag()
    stop.install_signal_handlers()
    store = store_of(ctx)
    worker = Worker(settings, ChainClient.from_settings(settings), store, archive=store.archival())
    with worker.context():
        serve_metrics(worker.metrics, settings.metrics_port)
        worker.join(stake * NNT, benchmark_seconds, price)
        worker.run(stop)


@click.group("oracle")
def oracle_group() -> None:
    """The oracle daemon."""


@oracle_group.command("run")
@click.option("--rebuild", is_flag=True, help="drop the index and rebuild it from the chain")
@click.pass_context
def oracle_run(ctx: click.Context, rebuild: bool) -> None:
    """Index events and poke due tasks (assign, settle, expire) until stopped (Ctrl-C)."""
    from nnc.chain.client import ChainClient
    from nnc.oracle.daemon import Oracle, open_index  # imports torch (quality reports)

    settings = settings_of(ctx)
    stop = StopFlag()
    stop.install_signal_handlers()
    client = ChainClient.from_settings(settings)
    index = open_index(settings, client)
    if rebuild:
        index.reset()
    store = store_of(ctx)
    oracle = Oracle(settings, client, index, store, archive=store.archival())
    with oracle.context():
        serve_metrics(oracle.metrics, settings.metrics_port)
        oracle.run(stop)
