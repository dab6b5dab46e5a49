"""`nnc devnet up` (an interactive devnet) and `nnc demo` (the main job)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import click

from nnc.chain.profiles import DEVNET_WARNING, ProtocolParams
from nnc.cli.context import settings_of
from nnc.cli.times import duration
from nnc.daemon import StopFlag


@click.group("devnet")
def devnet_group() -> None:
    """A local chain with the protocol deployed."""


@devnet_group.command("up")
@click.option("--nodes", default=2, show_default=True, help="node accounts to fund with NNT")
@click.option("--port", default=8545, show_default=True)
@click.option("--storage/--no-storage", default=True, show_default=True,
              help="also run a local IPFS node and arlocal (Arweave)")
@click.option("--chains", type=click.IntRange(1, 2), default=1, show_default=True,
              help="2: also a spoke chain (on --port + 1), Hyperlane core on both, the cross-chain gateways and "
                   "Hyperlane's relayer")
@click.option("--token-route", is_flag=True,
              help="with --chains 2: also an ERC-20 on the spoke with a Hyperlane warp route home, allow-listed and "
                   "pooled, so tasks can be paid in it from the spoke (about 40 s more)")
@click.pass_context
def up_cmd(ctx: click.Context, nodes: int, port: int, storage: bool, chains: int, token_route: bool) -> None:
    """Start anvil (and the storage services), deploy, fund accounts, print the addresses; Ctrl-C stops it."""
    from nnc.devnet import FIRST_NODE, ORACLE, REQUESTER, Devnet  # web3 and the storage stack

    settings = settings_of(ctx)
    if token_route and chains != 2:
        raise click.UsageError("--token-route needs --chains 2 (the token is paid from the spoke chain)")
    if chains == 2:
        from nnc.cli.crosschain_devnet import run_two_chains  # Hyperlane's CLI and relayer

        run_two_chains(settings.data_dir, nodes, port, storage, token_route)
        return
    devnet = Devnet(data_dir=settings.data_dir, nodes=nodes, block_time=1, storage=storage)
    devnet.anvil.port = port
    stop = StopFlag()
    stop.install_signal_handlers()
    with devnet:
        assert devnet.deployment is not None
        click.secho(DEVNET_WARNING, fg="yellow", bold=True)
        click.echo(f"devnet running at {devnet.rpc_url} (chain id {devnet.deployment.chain_id})")
        for name, address in devnet.deployment.addresses.items():
            click.echo(f"  {name:18} {address}")
        roles = {0: "deployer/treasury", ORACLE: "oracle", REQUESTER: "requester"}
        roles.update({i: f"node {i - FIRST_NODE + 1}" for i in devnet.node_indices()})
        roles[devnet.voter] = "DAO voter (10%)"
        for index, role in roles.items():
            click.echo(f"  {role:18} {devnet.address(index)}  NNC_KEY_FILE={devnet.key_file(index)}")
        click.echo(f"deployment file: {devnet.deployment_file}")
        click.echo("windows (devnet profile: short, for trying things out; blocks are 1 s):")
        for line in window_lines(devnet.params):
            click.echo(f"  {line}")
        if storage:
            click.echo("storage settings (export them for `nnc` commands):")
            for key, value in devnet.storage_env().items():
                click.echo(f"  export {key}={value}")
        click.echo("press Ctrl-C to stop")
        while not stop.sleep(3600):
            pass
    click.echo("devnet stopped")


def window_lines(p: ProtocolParams) -> list[str]:
    """The deployment's waiting times, as a person planning a task reads them."""
    return [
        f"execution      a task's deadline at least {duration(p.min_execution_window)} after its assignment",
        f"challenge      {duration(p.challenge_window)} after the results before a task settles",
        f"snapshots      at most one every {duration(p.snapshot_interval)} per node",
        f"unbonding      {duration(p.unbonding_delay)} from unstake to withdraw",
        f"spot-check     a verifier reports within {duration(p.spot_check_report_window)}",
        f"disputes       votes open after {p.dispute_voting_delay} block(s) and last {p.dispute_voting_period} blocks",
        f"governance     votes open after {p.governor_voting_delay} block(s) and last {p.governor_voting_period} "
        f"blocks, then a {duration(p.timelock_delay)} timelock",
        f"rounds         at least {duration(p.round_min_duration)} each; a member replaceable after "
        f"{p.round_max_missed} missed",
    ]


@click.command("demo")
@click.option("--nodes", default=2, show_default=True, help="worker daemons to run")
@click.option("--timeout", default=150.0, show_default=True, help="seconds before giving up")
@click.option("--keep", type=click.Path(path_type=Path), help="keep state and logs in this directory")
@click.option("--serve", is_flag=True, help="after settlement, keep the devnet, daemons and web app up until Ctrl-C")
@click.option("--api-port", default=0, show_default=True, help="port of the API and web app (0: any free port)")
@click.option("--worker-image", metavar="IMAGE", help="run the workers from this node image (`make image`) with podman")
def demo_cmd(nodes: int, timeout: float, keep: Path | None, serve: bool, api_port: int,
             worker_image: str | None) -> None:
    """The main job: devnet, oracle, workers, one real training task from publish to settlement.
    Its last line is one JSON object: `demo_s` (this command, from its start to everything
    stopped), `settled_s` (to the audit record of the settled task), the task id."""
    started = time.monotonic()
    from nnc.demo import run_demo  # imports torch (the dataset export)

    def wait() -> None:
        stop = StopFlag()
        stop.install_signal_handlers()
        click.echo("serving: open the web app above (add the devnet to your wallet); Ctrl-C stops everything")
        while not stop.sleep(3600):
            pass

    hold = wait if serve else None
    click.secho(DEVNET_WARNING, fg="yellow", bold=True)
    if keep is not None:
        result = run_demo(keep.resolve(), nodes, timeout, click.echo, serve=hold, api_port=api_port,
                          worker_image=worker_image)
    else:
        with tempfile.TemporaryDirectory(prefix="nnc-demo-") as tmp:
            result = run_demo(Path(tmp), nodes, timeout, click.echo, serve=hold, api_port=api_port,
                              worker_image=worker_image)
    click.echo(json.dumps({"demo_s": round(time.monotonic() - started, 2), "settled_s": round(result.seconds, 2),
                           "task_id": result.task_id, "status": result.status.name.lower()}))
