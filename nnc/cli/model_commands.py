"""`nnc model ...`: the model library (ModelRegistry): list, show, register a settled task's model,
get one, run one here; rate one (ModelRatings: `nnc.cli.rating_commands`).

Web3, torch and the chain wrappers are imported inside the commands: `nnc --help` stays fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnc.chain.model_domains import DOMAINS
from nnc.cli.context import client_of, settings_of, store_of
from nnc.cli.rating_commands import claim_stake_cmd, rate_cmd, rating_lines, unrate_cmd
from nnc.cli.times import chain_time
from nnc.task.inference_spec import MAX_NEW_TOKENS, MAX_SEED

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from nnc.chain.models import ModelView


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

    client = client_of(ctx, need_account=False)
    models = Models(client)
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
    click.echo(f"  registrant    {m.registrant}, {chain_time(m.registered_at, client.block_timestamp())}")
    for owner in models.owners_of(model_id):
        click.echo(f"  owner         {owner.account}  {owner.share_bps / 100:g}%")
    lineage = models.lineage(model_id)
    click.echo(f"  lineage       {' <- '.join(str(i) for i in [model_id, *lineage])}"
               f"{'' if lineage else ' (a root)'}")
    children = models.children_of(model_id)
    click.echo(f"  children      {', '.join(str(i) for i in children) or 'none'}")
    if models.client.deployment is not None and "ModelRatings" in models.client.deployment.addresses:
        from nnc.chain.ratings import Ratings

        for line in rating_lines(Ratings(models.client).summary(model_id)):
            click.echo(f"  {line}")


@model_group.command("register")
@click.argument("task_id", type=int)
@click.option("--model-uri", required=True, help="where the model file lives (e.g. the task's revealed result URI)")
@click.option("--licence", required=True, metavar="SPDX", help="SPDX licence identifier, e.g. Apache-2.0")
@click.option("--framework", help="framework name (default: the task spec's framework)")
@click.option("--parent", "parent_id", type=int, default=None,
              help="the model this one was derived from (a spec's base_model is its parent, the default)")
@click.option("--sealed", is_flag=True, help="the model file is encrypted to its owners' keys")
@click.option("--domain", type=click.Choice(DOMAINS),
              help="what the model works on (default: the spec's library.domain)")
@click.pass_context
def register_cmd(ctx: click.Context, task_id: int, model_uri: str, licence: str, framework: str | None,
                 parent_id: int | None, sealed: bool, domain: str | None) -> None:
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
    if spec.base_model is not None and parent_id not in (None, spec.base_model.id):
        raise click.BadParameter(f"task {task_id}'s spec starts from model {spec.base_model.id}: its parent is that "
                                 f"model, not {parent_id}", param_hint="--parent")
    if parent_id is None:
        parent_id = spec.base_model.id if spec.base_model is not None else 0
    metadata = ModelMetadata(
        model_uri=model_uri, licence=licence, framework=framework or spec.framework,
        metric=spec.goal.metric, spec_uri=spec_uri,
        program_digest=bytes.fromhex(program.digest) if program is not None else b"\x00" * 32,
        program_uri=program.uri if program is not None else "", dataset_uri=spec.dataset.uri or "",
        domain=domain or (spec.library.domain or "" if spec.library is not None else ""))
    model_id = Models(client).register_from_task(task_id, metadata, parent_id,
                                                 Visibility.SEALED if sealed else Visibility.PUBLIC)
    click.echo(f"task {task_id}: model {model_id} registered ({licence}, {metadata.framework}"
               f"{f', fine-tuned from model {parent_id}' if parent_id else ''})")


@model_group.command("get")
@click.argument("model_id", type=int)
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="an owner's X25519 private key file, to open a sealed model")
@click.pass_context
def get_cmd(ctx: click.Context, model_id: int, dest: Path, key_file: Path | None) -> None:
    """Download model MODEL_ID's file to DEST (a file, or a directory to put model-ID.pt in), after
    checking its weights' digest against the registered model digest."""
    from nnc.library import fetch_library_model

    model = fetch_library_model(client_of(ctx, need_account=False), store_of(ctx), model_id,
                                settings_of(ctx).data_dir / "cache", _key(key_file))
    target = dest / f"model-{model_id}.pt" if dest.is_dir() else dest
    shutil.copyfile(model.path, target)
    click.echo(f"model {model_id}: digest 0x{model.digest.hex()} checked, saved to {target}")


@model_group.command("run")
@click.argument("model")
@click.option("--spec", "spec_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="the spec that trained MODEL, when MODEL is a file")
@click.option("--input", "inputs", multiple=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="a classifier's inputs: an .npz file ('inputs' array) or an image; repeatable")
@click.option("--prompt", help="the text a causal LM continues")
@click.option("--max-new-tokens", "--max-tokens", "max_new_tokens", default=64, show_default=True,
              type=click.IntRange(0, MAX_NEW_TOKENS), help="how many bytes a causal LM generates")
@click.option("--temperature", default=1.0, show_default=True, type=click.FloatRange(0.0),
              help="sampling temperature (0: always the most likely byte)")
@click.option("--top-k", "top_k", type=click.IntRange(1), help="sample among the K likeliest bytes (1: greedy)")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED),
              help="the sampler's seed (with the prompt, it fixes the text)")
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="an owner's X25519 private key file, to open a sealed model")
@click.option("--json", "as_json", is_flag=True, help="print the predictions (or text) as JSON")
@click.pass_context
def run_cmd(ctx: click.Context, model: str, spec_file: Path | None, inputs: tuple[Path, ...], prompt: str | None,
            max_new_tokens: int, temperature: float, top_k: int | None, seed: int, key_file: Path | None,
            as_json: bool) -> None:
    """Run MODEL here: a library model's id (fetched and checked against its digest), or a model
    file with --spec. A classifier prints each --input's class and class scores; a causal LM
    prints the text it generates from --prompt, sampling bytes (--temperature, --top-k, --seed; the
    same seed and prompt give the same text)."""
    import torch

    from nnc.library import fetch_library_model, fetch_task_files
    from nnc.library.run import classify, generate, load_model, needs_base, read_inputs
    from nnc.task import load_spec
    from nnc.training.program_package import fetch_program_files

    cache, key = settings_of(ctx).data_dir / "cache", _key(key_file)
    if model.isdigit():
        if spec_file is not None:
            raise click.UsageError("--spec is for a model file: a library model comes with its spec")
        client = client_of(ctx, need_account=False)
        fetched = fetch_library_model(client, store_of(ctx), int(model), cache, key)
        spec, weights = fetched.spec, fetched.weights
    else:
        if spec_file is None:
            raise click.UsageError(f"{model} is not a model id: a model file needs the --spec that trained it")
        spec = load_spec(spec_file)
        try:
            weights = torch.load(model, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many kinds for a file that is no model
            raise click.BadParameter(f"{model} is not a model file torch can load: {exc}", param_hint="MODEL") from None
    files = None
    if needs_base(spec):
        files = (fetch_task_files(spec, client_of(ctx, need_account=False), store_of(ctx), cache, key)
                 if spec.base_model is not None else fetch_program_files(spec, store_of(ctx), cache))
    module = load_model(spec, weights, files)
    if spec.model.kind == "causal-lm":
        if prompt is None or inputs:
            raise click.UsageError("a causal LM generates from --prompt (and takes no --input)")
        generated = generate(module, spec, prompt.encode(), max_new_tokens, temperature, seed, top_k)
        text = generated.decode(errors="replace")
        click.echo(json.dumps({"prompt": prompt, "text": text}) if as_json else prompt + text)
        return
    if not inputs or prompt is not None:
        raise click.UsageError("a classifier classifies --input files (and takes no --prompt)")
    predictions = classify(module, read_inputs(spec, inputs))
    if as_json:
        click.echo(json.dumps({"predictions": [{"label": p.label, "scores": list(p.scores)} for p in predictions]}))
        return
    for index, prediction in enumerate(predictions):
        scores = " ".join(f"{score:.3f}" for score in prediction.scores)
        top = prediction.scores[prediction.label]
        click.echo(f"{index:>4}  class {prediction.label}  ({top:.3f})  scores {scores}")


def _key(key_file: Path | None) -> X25519PrivateKey | None:
    from nnc.storage.crypto import load_key

    return None if key_file is None else load_key(key_file)


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


for _command in (rate_cmd, unrate_cmd, claim_stake_cmd):
    model_group.add_command(_command)
