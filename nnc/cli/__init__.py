"""The `nnc` command: one entry point for requesters, node operators and the devnet.

Every command reads the one settings object (nnc.toml + NNC_* variables, see nnc.settings);
errors are printed as one clear line without a traceback, with exit status 1. Logs go to stderr
as text or JSON lines (nnc.logs); training and uploads draw progress bars there (nnc.cli.progress).
"""

from __future__ import annotations

import logging
import sys

import click

from nnc.cli.api_commands import api_cmd
from nnc.cli.chain_commands import build_cmd, claim_cmd, deploy_cmd
from nnc.cli.cofund_commands import cofund_group
from nnc.cli.daemon_commands import oracle_group, worker_group
from nnc.cli.data_commands import data_group
from nnc.cli.devnet_commands import demo_cmd, devnet_group
from nnc.cli.dispute_commands import dispute_group, verify_group
from nnc.cli.global_options import global_option_arity, hoist
from nnc.cli.gov_commands import gov_group
from nnc.cli.key_commands import key_group
from nnc.cli.model_commands import model_group
from nnc.cli.node_commands import node_group
from nnc.cli.progress import PROGRESS_KEY
from nnc.cli.round_commands import rerun_cmd, rounds_cmd
from nnc.cli.route_commands import route_group
from nnc.cli.task_commands import task_group
from nnc.cli.zk_commands import zk_group
from nnc.errors import NNCError
from nnc.logs import LOG_FORMATS, configure_logging
from nnc.settings import load_settings


@click.group()
@click.option("--rpc-url", help="JSON-RPC endpoint (default: settings rpc_url)")
@click.option("--data-dir", type=click.Path(), help="local state directory (default: .nnc)")
@click.option("-v", "--verbose", is_flag=True, help="debug logging")
@click.option("--log-format", type=click.Choice(LOG_FORMATS),
              help="log lines as text or one JSON object per line (default: settings log_format, text)")
@click.option("--progress/--no-progress", default=None,
              help="progress bars on stderr for training and uploads (default: when stderr is a terminal)")
@click.pass_context
def cli(ctx: click.Context, rpc_url: str | None, data_dir: str | None, verbose: bool, log_format: str | None,
        progress: bool | None) -> None:
    """NNC: publish AI training tasks, run compute nodes, and operate the protocol."""
    settings = load_settings(rpc_url=rpc_url, data_dir=data_dir, log_format=log_format)
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), logging.INFO)
    configure_logging(level, settings.log_format)
    ctx.obj = settings
    ctx.meta[PROGRESS_KEY] = progress


for command in (build_cmd, deploy_cmd, claim_cmd, devnet_group, demo_cmd, task_group, node_group,
                worker_group, oracle_group, data_group, key_group, api_cmd,
                dispute_group, verify_group, model_group, zk_group, gov_group, route_group):
    cli.add_command(command)
task_group.add_command(cofund_group)  # nnc task cofund ...
task_group.add_command(rounds_cmd)  # nnc task rounds ID
task_group.add_command(rerun_cmd)  # nnc task rerun ID


def main() -> None:
    """Console entry point: NNC errors become one line on stderr and exit status 1. A global option
    given after the subcommand is taken as if given before it (`nnc.cli.global_options`)."""
    args = sys.argv[1:]
    try:
        try:
            cli.main(args, standalone_mode=False)
        except click.NoSuchOption as exc:
            arity = global_option_arity(cli)
            if exc.option_name not in arity:
                raise
            cli.main(hoist(args, arity), standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NNCError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
