"""`nnc model run` generating text from a registered causal LM on a real devnet: a tiny byte-level
GPT-2 trained by a real worker, settled (the oracle scoring its held-out eval loss), registered
by its requester, then run by id: the model is fetched and checked against its registered digest
and the text sampled with --temperature, --top-k and --seed is printed; the same call prints the
same text, temperature 0 prints the arg-max continuation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner, Result

from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.task import parse_spec
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e
pytest.importorskip("transformers")

LM = {"version": 1, "name": "tiny generator (e2e)", "framework": "transformers",
      "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16},
      "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
      "training": {"seed": 5, "steps": 8, "batch_size": 4, "learning_rate": 0.01, "optimizer": "adam",
                   "checkpoint_interval": 4},
      "acceptance": {"metric": "eval_loss", "threshold": 10.0},
      "determinism": {"threads": 1, "digest_decimals": 6}}


def test_model_run_prints_text_sampled_from_a_registered_causal_lm(chain: Devnet, tmp_path: Path) -> None:
    from nnc.cli import cli
    from nnc.library.run import generate, load_model

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
