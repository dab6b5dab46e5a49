"""`nnc model run` generating text from a registered causal LM on a real devnet: a tiny byte-level
GPT-2 trained by a real worker, settled (the oracle scoring its held-out eval loss), registered
by its requester, then run by id: the model is fetched and checked against its registered digest
and the text sampled with --temperature, --top-k and --seed is printed; the same call prints the
same text, temperature 0 prints the arg-max continuation. And an inference task that samples
(`inference.sampling`) run by two sandboxed workers: they agree bitwise and the task settles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result

from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.inference import read_outputs, run_inference
from nnc.storage import sha256_file
from nnc.task import parse_spec
from nnc.training.program_package import ProgramFiles
from nnc.zk import agreement_tag
from tests.e2e.harness import make_network
from tests.nodes import NODE

pytestmark = pytest.mark.e2e
pytest.importorskip("transformers")

from safetensors.torch import save_file  # noqa: E402

from nnc.inference.sampling import Sampling, sample  # noqa: E402
from nnc.library.run import generate, load_model  # noqa: E402
from nnc.runtimes.dispatch import train  # noqa: E402

LM = {"version": 1, "name": "tiny generator (e2e)", "framework": "transformers",
      "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16},
      "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
      "training": {"seed": 5, "steps": 8, "batch_size": 4, "learning_rate": 0.01, "optimizer": "adam",
                   "checkpoint_interval": 4},
      "acceptance": {"metric": "eval_loss", "threshold": 10.0},
      "determinism": {"threads": 1, "digest_decimals": 6}}


def test_model_run_prints_text_sampled_from_a_registered_causal_lm(chain: Devnet, tmp_path: Path) -> None:
    from nnc.cli import cli
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    spec = parse_spec(LM)
    task_id = net.publish(spec, replication=1)
    net.settle(task_id)
    assert net.status(task_id) == TaskStatus.SETTLED
    model_uri = str(net.market().revealed_results(task_id)[0][1])
    env: dict[str, str | None] = {
        "NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
        "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(REQUESTER)),
        "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli"),
        "NNC_PRIVATE_KEY": None}

    def nnc(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env)

    registered = nnc("model", "register", str(task_id), "--model-uri", model_uri, "--licence", "MIT")
    assert registered.exit_code == 0, registered.output
    model_id = registered.stdout.split("model ")[1].split()[0]
    fetched = nnc("model", "get", model_id, str(tmp_path))
    assert fetched.exit_code == 0, fetched.output
    module = load_model(spec, torch.load(tmp_path / f"model-{model_id}.pt", weights_only=True))

    sampled = ["model", "run", model_id, "--prompt", "the ", "--max-tokens", "12", "--temperature", "0.8",
               "--top-k", "5", "--seed", "3"]
    ran = nnc(*sampled)
    assert ran.exit_code == 0, ran.output
    expected = generate(module, spec, b"the ", 12, temperature=0.8, seed=3, top_k=5).decode(errors="replace")
    assert ran.stdout == "the " + expected + "\n"
    assert nnc(*sampled).stdout == ran.stdout  # the same seed, the same text
    greedy = nnc("model", "run", model_id, "--prompt", "the ", "--max-tokens", "6", "--temperature", "0", "--json")
    assert greedy.exit_code == 0, greedy.output
    assert json.loads(greedy.stdout) == {"prompt": "the ",
                                         "text": generate(module, spec, b"the ", 6, temperature=0).decode(
                                             errors="replace")}
    bad = nnc("model", "run", model_id, "--prompt", "the ", "--top-k", "0")
    assert bad.exit_code == 2 and "--top-k" in bad.output


def test_a_sampled_generation_task_settles_with_replicas_agreeing_on_the_drawn_tokens(
        chain: Devnet, tmp_path: Path) -> None:
    """Two sandboxed workers sample the continuations of a text dataset's lines (temperature,
    top-k, seed): they agree bitwise, the task settles, and the delivered tokens are those the
    sampler draws for each line alone, here."""
    trained = train(parse_spec(LM), tmp_path / "lm", node=NODE)
    weights = tmp_path / "lm.safetensors"
    state = torch.load(trained.model_path, weights_only=True)
    save_file({k: v.contiguous() for k, v in state.items() if k != "lm_head.weight"}, str(weights))
    corpus = tmp_path / "prompts.txt"
    corpus.write_bytes(b"the quick brown fox\njumps over\na lazy dog\n")
    net = make_network(chain, tmp_path, chain.node_indices()[:2], sandbox=True)
    sampling = {"temperature": 0.9, "top_k": 6, "seed": 2}
    spec = parse_spec({
        **{k: v for k, v in LM.items() if k not in ("training", "acceptance")},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1, "uri": net.store.put_file(corpus)},
        "init": {"uri": net.store.put_file(weights), "format": "safetensors", "digest": sha256_file(weights)},
        "inference": {"inputs": 3, "batch_size": 2, "shard_size": 2, "outputs": "tokens", "max_new_tokens": 6,
                      "sampling": sampling}})
    task_id = net.publish(spec, replication=2)
    net.settle(task_id)
    market = net.market()
    task = market.task(task_id)
    assert task.status == TaskStatus.SETTLED and not task.tied
    assert {market.result_of(task_id, node) for node in market.assignees(task_id)} == {task.result_digest}
    local = run_inference(spec, tmp_path / "local", dataset_file=corpus, files=ProgramFiles(init=weights))
    assert spec.inference is not None
    digest = local.result_digest  # the sandboxed workers drew what this process draws
    if market.proofs_enabled(task_id):
        digest = agreement_tag(market.statement_key(task_id), digest).to_bytes(32, "big")
    assert digest == task.result_digest
    tokens = np.concatenate(read_outputs(local.outputs_path, spec.inference))
    module = load_model(parse_spec(LM), state)
    for row, line in enumerate((b"the quick brown fox", b"jumps over", b"a lazy dog")):
        prompt = list(line[-(16 - 6):])
        assert sample(module, prompt, 16, 6, Sampling(0.9, 6, 2)) == tokens[row].tolist()
