"""`nnc devnet up --chains 2`: the home devnet, a spoke chain, Hyperlane and the gateways."""

from __future__ import annotations

from pathlib import Path

import click

from nnc.chain.profiles import DEVNET_WARNING
from nnc.crosschain.devnet import HOME, SPOKE, TwoChainDevnet
from nnc.crosschain.hyperlane import TEST_ISM_WARNING
from nnc.daemon import StopFlag
from nnc.devnet import DEPLOYER, FIRST_NODE, ORACLE, REQUESTER


def run_two_chains(data_dir: Path, nodes: int, port: int, storage: bool, token_route: bool = False) -> None:
    """Starts the two-chain devnet with 1 s blocks, prints where everything is, waits for Ctrl-C."""
    stop = StopFlag()
    stop.install_signal_handlers()
    devnet = TwoChainDevnet(data_dir=data_dir, nodes=nodes, block_time=1, home_port=port, spoke_port=port + 1,
                            storage=storage, with_token_route=token_route)
    click.echo("starting two chains, Hyperlane core on both (its CLI), the gateways and the relayer ...")
    with devnet:
        home = devnet.home
        assert home.deployment is not None and devnet.relayer is not None
        click.secho(DEVNET_WARNING, fg="yellow", bold=True)
        click.secho(f"WARNING: {TEST_ISM_WARNING}", fg="red", bold=True)
        for name, chain, gateway, contract in (
                (HOME, devnet.home_chain, devnet.home_gateway_address, "HomeGateway"),
                (SPOKE, devnet.spoke_chain, devnet.spoke_gateway_address, "SpokeGateway")):
            core = devnet.cores[name]
            click.echo(f"{name} chain: {chain.rpc_url} (chain id {chain.chain_id}, Hyperlane domain {chain.domain})")
            click.echo(f"  {'Mailbox':18} {core.mailbox}")
            click.echo(f"  {'GasPaymaster':18} {core.gas_paymaster}")
            click.echo(f"  {contract:18} {gateway}")
            if name == HOME:
                for contract_name, address in home.deployment.addresses.items():
                    click.echo(f"  {contract_name:18} {address}")
        roles = {DEPLOYER: "deployer/backer", ORACLE: "oracle", REQUESTER: "requester (both chains)"}
        roles.update({i: f"node {i - FIRST_NODE + 1}" for i in home.node_indices()})
        for index, role in roles.items():
            click.echo(f"  {role:24} {home.address(index)}  NNC_KEY_FILE={home.key_file(index)}")
        click.echo(f"relayer: Hyperlane's, supervised, signing as {devnet.relayer.address}; log "
                   f"{devnet.relayer.log_file}")
        if devnet.token_route is not None:
            route = devnet.token_route.route
            click.echo(f"token route {route.route_id}: {route.symbol} {route.token} on {SPOKE} (allow-listed; the "
                       f"requester holds some) <-> {route.synthetic} at {HOME} (pooled); pay with "
                       f"`nnc task publish ... --chain {SPOKE} --token {route.token}`")
        click.echo(f"deployment files: {data_dir / 'deployments'} (crosschain.json per chain)")
        click.echo(f"the oracle relays settlements with: export NNC_HOME_GATEWAY={devnet.home_gateway_address}")
        timings = ", ".join(f"{k} {v:.1f} s" for k, v in devnet.timings.items())
        click.echo(f"started in: {timings}")
        if storage:
            click.echo("storage settings (export them for `nnc` commands):")
            for key, value in home.storage_env().items():
                click.echo(f"  export {key}={value}")
        click.echo("press Ctrl-C to stop")
        while not stop.sleep(3600):
            pass
    click.echo("devnet stopped")
