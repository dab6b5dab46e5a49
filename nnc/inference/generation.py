"""Text generation for inference tasks with `outputs: "tokens"`: the prompts, and decoding.

The prompts are the non-empty lines of the spec's text dataset, in order, each cut to its last
`context - max_new_tokens` bytes (tokens are bytes, as the causal LM trains on them) so that the
prompt and what is generated fit the model's context. A batch of prompts of different lengths is
left-padded: the padding is masked out of attention and positions count from each prompt's
first byte, so a prompt generates the same tokens alone or in any batch (up to float rounding).
A recurrent model (RWKV) has no attention mask to hide padding behind: its prompts are run in
groups of equal length, unpadded, with the same result as alone.
Decoding is greedy (the arg-max token at each step) unless the spec's `inference.sampling` asks
for temperature / top-k sampling (`nnc.inference.sampling`): each prompt draws from its own
generator seeded by the seed and the prompt, so the draws are deterministic too, replicas agree
and a verifier can re-run a shard.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from nnc.errors import DatasetError
from nnc.inference.sampling import GREEDY, Sampling, next_tokens, prompt_generator
from nnc.task import TaskSpec, TextLMSpec
from nnc.training.text import corpus_bytes, text_digest

PAD = -1
"""The padding value in a prompt tensor (never a byte)."""


def prompt_tensor(spec: TaskSpec, dataset_file: Path | None = None) -> torch.Tensor:
    """The prompts as an int64 tensor (prompts × `context - max_new_tokens`), left-padded with
    `PAD`; checks the dataset's pinned digest as training does."""
    assert isinstance(spec.model, TextLMSpec) and spec.inference is not None
    assert spec.inference.max_new_tokens is not None
    raw = corpus_bytes(spec, dataset_file)
    if spec.dataset.digest is not None and text_digest(raw) != spec.dataset.digest:
        raise DatasetError(f"dataset {spec.dataset.name!r} has digest {text_digest(raw)}, "
                           f"the spec pins {spec.dataset.digest}")
    width = spec.model.context - spec.inference.max_new_tokens
    lines = [line[-width:] for line in raw.split(b"\n") if line.strip()]
    prompts = torch.full((len(lines), width), PAD, dtype=torch.int64)
    for row, line in enumerate(lines):
        prompts[row, width - len(line):] = torch.tensor(list(line), dtype=torch.int64)
    return prompts


def generate(module: nn.Module, prompts: torch.Tensor, new_tokens: int, sampling: Sampling = GREEDY,
             *, recurrent: bool = False) -> torch.Tensor:
    """`new_tokens` tokens picked by `sampling` (greedy by default) after each of `prompts`
    (left-padded with `PAD`): (rows, new_tokens). A `recurrent` model runs each length's prompts
    apart, unpadded."""
    if not recurrent:
        return _generate_masked(module, prompts, new_tokens, sampling)
    lengths = (prompts != PAD).sum(dim=1)
    out = torch.empty((len(prompts), new_tokens), dtype=torch.int64)
    for length in sorted(set(lengths.tolist())):
        rows = (lengths == length).nonzero().flatten()
        group = prompts[rows][:, prompts.shape[1] - length:]
        generators = [] if sampling.greedy else [prompt_generator(sampling, row.tolist()) for row in group]
        ids = group
        for step in range(new_tokens):
            token = next_tokens(module(input_ids=ids).logits[:, -1], sampling, generators)
            out[rows, step] = token[:, 0]
            ids = torch.cat([ids, token], dim=1)
    return out


def _generate_masked(module: nn.Module, prompts: torch.Tensor, new_tokens: int, sampling: Sampling) -> torch.Tensor:
    mask = (prompts != PAD).to(torch.int64)
    ids = prompts.clamp(min=0)
    generators = [] if sampling.greedy else [prompt_generator(sampling, row[row != PAD].tolist()) for row in prompts]
    generated = []
    for _ in range(new_tokens):
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        logits = module(input_ids=ids, attention_mask=mask, position_ids=positions).logits[:, -1]
        token = next_tokens(logits, sampling, generators)
        generated.append(token)
        ids = torch.cat([ids, token], dim=1)
        mask = torch.cat([mask, torch.ones_like(token)], dim=1)
    return torch.cat(generated, dim=1)


def spec_sampling(spec: TaskSpec) -> Sampling:
    """How `spec`'s inference task picks tokens: its `inference.sampling`, or greedy."""
    section = spec.inference.sampling if spec.inference is not None else None
    return GREEDY if section is None else Sampling(section.temperature, section.top_k, section.seed)
