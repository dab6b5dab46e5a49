"""`nnc gov`: the DAO from the command line. List the governed parameters with their values,
propose a change (simulated as the timelock first), vote, queue and execute, show a proposal."""

from __future__ import annotations

import click

from nnc.cli.context import client_of
from nnc.cli.times import duration

SUPPORT = {"against": 0, "for": 1, "abstain": 2}


@click.group("gov")
def gov_group() -> None:
    """Governance: parameters, proposals and votes (OpenZeppelin Governor and its timelock)."""


@gov_group.command("params")
@click.option("--key", help="for keyed parameters (a token or strategy address): the key to read")
@click.pass_context
def params_cmd(ctx: click.Context, key: str | None) -> None:
    """Every governed parameter (Contract.setter) and what it is set to now."""
    from nnc.chain.governed import current_value, governed_parameters

    client = client_of(ctx, need_account=False)
    for parameter in governed_parameters(client):
        value = current_value(client, parameter, key)
        shown = "(give --key)" if parameter.keyed and key is None else ("-" if value is None else value)
        click.echo(f"{parameter.contract}.{parameter.signature}  now: {shown}")


@gov_group.command("propose")
@click.argument("parameter")
@click.argument("values", nargs=-1, required=True)
@click.option("--description", required=True, help="what the change is and why (voters read it)")
@click.pass_context
def propose_cmd(ctx: click.Context, parameter: str, values: tuple[str, ...], description: str) -> None:
    """Propose setting PARAMETER (Contract.setter, see `nnc gov params`) to VALUES. The call is
    first simulated as the timelock makes it: a value the contract refuses is named before anything
    is sent."""
    from nnc.chain.governance import Governance
    from nnc.chain.governed import build_call, current_value, find_parameter, simulate

    client = client_of(ctx)
    found = find_parameter(client, parameter)
    call = build_call(client, found, values)
    simulate(client, call, client.contract("NNCTimelock").address)
    before = current_value(client, found, values[0] if found.keyed else None)
    proposal_id = Governance(client).propose([call], description)
    click.echo(f"proposed {found.name}({', '.join(values)}) (now {before}): proposal {proposal_id}")


@gov_group.command("vote")
@click.argument("proposal_id", type=int)
@click.argument("support", type=click.Choice(sorted(SUPPORT)))
@click.pass_context
def vote_cmd(ctx: click.Context, proposal_id: int, support: str) -> None:
    """Vote on PROPOSAL_ID with your delegated NNT."""
    from nnc.chain.governance import Governance

    Governance(client_of(ctx)).vote(proposal_id, SUPPORT[support])
    click.echo(f"voted {support} proposal {proposal_id}")


@gov_group.command("queue")
@click.argument("proposal_id", type=int)
@click.pass_context
def queue_cmd(ctx: click.Context, proposal_id: int) -> None:
    """Queue succeeded PROPOSAL_ID in the timelock (anyone)."""
    from nnc.chain.governance import Governance

    governance = Governance(client_of(ctx))
    governance.queue_by_id(proposal_id)
    delay = int(governance.client.contract("NNCTimelock").functions.getMinDelay().call())
    click.echo(f"queued proposal {proposal_id}: executable in {duration(delay)}")


@gov_group.command("execute")
@click.argument("proposal_id", type=int)
@click.pass_context
def execute_cmd(ctx: click.Context, proposal_id: int) -> None:
    """Execute queued PROPOSAL_ID once the timelock's delay passed (anyone)."""
    from nnc.chain.governance import Governance

    Governance(client_of(ctx)).execute_by_id(proposal_id)
    click.echo(f"executed proposal {proposal_id}")


@gov_group.command("show")
@click.argument("proposal_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, proposal_id: int) -> None:
    """Show PROPOSAL_ID: state, votes, its window and its calls, decoded."""
    from nnc.chain.governance import Governance

    client = client_of(ctx, need_account=False)
    governance = Governance(client)
    p = governance.created(proposal_id)
    against, for_, abstain = governance.votes(proposal_id)
    head = client.block_number()
    click.echo(f"proposal {proposal_id}: {governance.state(proposal_id).lower()}")
    click.echo(f"  description  {p.description}")
    click.echo(f"  proposer     {p.proposer}")
    click.echo(f"  voting       blocks {p.vote_start}..{p.vote_end} (now {head})")
    click.echo(f"  votes        for {for_ / 10**18:g}, against {against / 10**18:g}, abstain {abstain / 10**18:g} NNT")
    names = {address.lower(): name for name, address in (client.deployment.addresses.items()
                                                           if client.deployment else [])}
    for target, data in zip(p.targets, p.calldatas, strict=True):
        name = names.get(target.lower(), target)
        try:
            function, args = client.at(name, target).decode_function_input(data)
            call = f"{function.fn_name}({', '.join(f'{k}={v}' for k, v in args.items())})"
        except (ValueError, KeyError, Exception):  # noqa: BLE001  (a target outside the deployment)
            call = "0x" + data.hex()
        click.echo(f"  call         {name}.{call}")
