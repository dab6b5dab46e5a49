"""`nnc model ...`: the model library (ModelRegistry): list, show, register a settled task's model, get one.

Web3, torch and the chain wrappers are imported inside the commands: `nnc --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnc.cli.context import client_of, store_of
from nnc.errors import IntegrityError, TaskSpecError

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.chain.models import ModelView
    from nnc.storage import Store
    from nnc.task import TaskSpec


@click.group("model")
def model_group() -> None:
    """The model library: trained models with their provenance, owners and lineage."""


@model_group.command("list")
@click.option("--task", "task_id", type=int, help="only the model TASK_ID trained or verified")
@click.option("--owner", metavar="ADDRESS", help="only the models ADDRESS owns a share of")
@click.pass_context
def list_cmd(ctx: click.Context, task_id: int | None, owner: str | None) -> None:
    """List models: id, verified, framework, metric value, licence, parent."""
    from web3 import Web3

    from nnc.chain.models import Models

    if task_id is not None and owner is not None:
        raise click.UsageError("give --task or --owner, not both")
    models = Models(client_of(ctx, need_account=False))
    if task_id is not None:
        found = models.model_of_task(task_id)
        ids = [] if found is None else [found]
    elif owner is not None:
        if not Web3.is_address(owner):
            raise click.BadParameter(f"{owner!r} is not an address (0x and 40 hex digits)", param_hint="--owner")
        ids = models.models_of(owner)
    else:
        ids = list(range(1, models.count() + 1))
    if not ids:
        click.echo("no models")
        return
    click.echo(f"{'id':>4}  {'verified':<8}  {'framework':<12}  {'metric':<20}  {'licence':<14}  parent")
    for model_id in ids:
        m = models.model(model_id)
        click.echo(f"{model_id:>4}  {'yes' if m.verified else 'no':<8}  {m.metadata.framework or '-':<12}  "
                   f"{_metric(m):<20}  {m.metadata.licence:<14}  {m.parent_id or '-'}")


@model_group.command("show")
@click.argument("model_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, model_id: int) -> None:
    """Show a model's provenance, owners and shares, lineage up to the root, and children."""
    from nnc.chain.models import Models

    models = Models(client_of(ctx, need_account=False))
    m = models.model(model_id)
    meta = m.metadata
    click.echo(f"model {model_id}: {'verified by task ' + str(m.verified_by) if m.verified else 'unverified'}, "
               f"{m.visibility.name.lower()}")
    click.echo(f"  trained by    {'task ' + str(m.task_id) if m.task_id else 'outside the market (shared)'}")
    click.echo(f"  model digest  0x{m.model_digest.hex()}")
    click.echo(f"  spec digest   0x{m.spec_digest.hex()}")
    click.echo(f"  metric        {_metric(m)}"
               f"{'' if not m.verified else ' (scored by ' + _scorer(m.scored_by) + ')'}")
    click.echo(f"  framework     {meta.framework or '-'}")
    click.echo(f"  licence       {meta.licence}")
    click.echo(f"  model URI     {meta.model_uri}")
    click.echo(f"  spec URI      {meta.spec_uri or '-'}")
    program = "-" if not any(meta.program_digest) else f"0x{meta.program_digest.hex()} ({meta.program_uri or '-'})"
    click.echo(f"  program       {program}")
    click.echo(f"  dataset URI   {meta.dataset_uri or '-'}")
    click.echo(f"  registrant    {m.registrant} at {m.registered_at}")
    for owner in models.owners_of(model_id):
        click.echo(f"  owner         {owner.account}  {owner.share_bps / 100:g}%")
    lineage = models.lineage(model_id)
    click.echo(f"  lineage       {' <- '.join(str(i) for i in [model_id, *lineage])}"
               f"{'' if lineage else ' (a root)'}")
    children = models.children_of(model_id)
    click.echo(f"  children      {', '.join(str(i) for i in children) or 'none'}")


@model_group.command("register")
@click.argument("task_id", type=int)
@click.option("--model-uri", required=True, help="where the model file lives (e.g. the task's revealed result URI)")
@click.option("--licence", required=True, metavar="SPDX", help="SPDX licence identifier, e.g. Apache-2.0")
@click.option("--framework", help="framework name (default: the task spec's framework)")
@click.option("--parent", "parent_id", type=int, default=0, help="the model this one was derived from")
@click.option("--sealed", is_flag=True, help="the model file is encrypted to its owners' keys")
@click.pass_context
def register_cmd(ctx: click.Context, task_id: int, model_uri: str, licence: str, framework: str | None,
                 parent_id: int, sealed: bool) -> None:
    """List the model of your settled, accepted task TASK_ID; the spec, program and dataset come from
    the task's published spec (checked against its on-chain digest)."""
    from nnc.chain.market import Market
    from nnc.chain.models import ModelMetadata, Models, Visibility
    from nnc.task.publish import published_spec

    if not licence.strip():
        raise click.BadParameter("must name an SPDX licence identifier, e.g. Apache-2.0", param_hint="--licence")
    client = client_of(ctx)
    spec_uri, spec = published_spec(Market(client), store_of(ctx), task_id)
    program = spec.program
    metadata = ModelMetadata(
        model_uri=model_uri, licence=licence, framework=framework or spec.framework,
        metric=spec.goal.metric, spec_uri=spec_uri,
        program_digest=bytes.fromhex(program.digest) if program is not None else b"\x00" * 32,
        program_uri=program.uri if program is not None else "", dataset_uri=spec.dataset.uri or "")
    model_id = Models(client).register_from_task(task_id, metadata, parent_id,
                                                 Visibility.SEALED if sealed else Visibility.PUBLIC)
    click.echo(f"task {task_id}: model {model_id} registered ({licence}, {metadata.framework})")


@model_group.command("get")
@click.argument("model_id", type=int)
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_context
def get_cmd(ctx: click.Context, model_id: int, dest: Path) -> None:
    """Download model MODEL_ID's file to DEST (a file, or a directory to put model-ID.pt in), after
    checking its weights' digest against the registered model digest."""
    from nnc.chain.market import Market
    from nnc.chain.models import Models, Visibility
    from nnc.verification.result import committed_digest, fetch_result_model

    client, store = client_of(ctx, need_account=False), store_of(ctx)
    m = Models(client).model(model_id)
    if m.visibility == Visibility.SEALED:
        raise click.ClickException(f"model {model_id} is sealed: its file is encrypted to its owners' keys "
                                   "(decrypting it is not supported by `nnc model get` yet)")
    spec = _model_spec(client, store, m)
    result = fetch_result_model(store, m.metadata.model_uri)
    tag_of_task = m.task_id if m.task_id and Market(client).task(m.task_id).proofs_enabled else None
    digest = committed_digest(result.weights, spec.determinism.digest_decimals, tag_of_task)
    if digest != m.model_digest:
        raise IntegrityError(result.uri, f"0x{m.model_digest.hex()} (model {model_id}'s registered digest)",
                             f"0x{digest.hex()}: refusing to save it")
    target = dest / f"model-{model_id}.pt" if dest.is_dir() else dest
    target.write_bytes(result.data)
    click.echo(f"model {model_id}: digest 0x{digest.hex()} checked, saved to {target}")


def _model_spec(client: ChainClient, store: Store, m: ModelView) -> TaskSpec:
    """The spec whose digest rounding the model's digest was made with: the verifying task's, else
    the lister's spec URI (checked against the registered spec digest when there is one)."""
    from nnc.chain.market import Market
    from nnc.task import parse_spec, spec_digest
    from nnc.task.publish import published_spec

    if m.verified_by:
        return published_spec(Market(client), store, m.verified_by)[1]
    if not m.metadata.spec_uri:
        raise TaskSpecError(f"model {m.model_id} has no task and no spec URI: its digest's rounding is unknown")
    spec = parse_spec(store.get_bytes(m.metadata.spec_uri), source=f"model {m.model_id}'s spec")
    if any(m.spec_digest) and spec_digest(spec) != m.spec_digest:
        raise TaskSpecError(f"model {m.model_id}'s spec at {m.metadata.spec_uri} does not match its spec digest")
    return spec


def _metric(m: ModelView) -> str:
    if not m.verified:
        return "-"
    return f"{m.metadata.metric or 'quality'} {m.metric_value / 100:g}%"


def _scorer(scored_by: int) -> str:
    """`ITaskMarket.QualitySource` by name (its `None`: the task was never scored)."""
    from nnc.chain.generated import ENUMS

    names = ENUMS["QualitySource"]
    if scored_by >= len(names):
        return str(scored_by)
    return "unscored" if names[scored_by] == "None" else names[scored_by].lower()
