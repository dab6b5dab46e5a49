"""Sampling the next token of a causal LM: temperature, top-k and a seed, or greedy.

Written against the one thing every causal LM of the house gives, `module(input_ids=...).logits`
(batch × positions × vocabulary), so it serves any causal-LM kind (GPT-2, RWKV, a LoRA over
either, a requester's own transformers model).

`Sampling(temperature, top_k, seed)`: at temperature 0, or with `top_k` 1, the next token is the
arg-max of the logits (greedy, no randomness at all). Otherwise the logits (in float64) are cut
to the `top_k` largest when `top_k` is given, divided by `temperature`, turned into
probabilities by a softmax and one token is drawn with `torch.multinomial` from a CPU generator.

Each prompt has its own generator, seeded by SHA-256 of (`seed`, the prompt's tokens): a prompt
gives the same text for the same seed alone or in any batch, on any node, and `nnc model run`
with a task's seed reproduces that task's output for the same prompt (up to float rounding of
the logits, as greedy decoding). Draws are made on the CPU whatever device computed the logits,
so the randomness is the same on every machine.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import torch
from torch import nn

from nnc.errors import TaskSpecError
from nnc.task.inference_spec import MAX_NEW_TOKENS, MAX_SEED

__all__ = ["GREEDY", "MAX_NEW_TOKENS", "MAX_SEED", "Sampling", "SamplingError", "check_max_new_tokens",
           "next_tokens", "prompt_generator", "sample"]


class SamplingError(TaskSpecError):
    """A sampling argument out of its range (the message names the argument and its range)."""


@dataclass(frozen=True)
class Sampling:
    """How the next token is picked (see the module's notes); validated on construction."""

    temperature: float = 0.0
    top_k: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise SamplingError(f"temperature must be a finite number, 0 or more (0: greedy); got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise SamplingError(f"top_k must be 1 or more (1: greedy; leave it out to sample from every token); "
                                f"got {self.top_k}")
        if not 0 <= self.seed <= MAX_SEED:
            raise SamplingError(f"seed must be between 0 and {MAX_SEED}; got {self.seed}")

    @property
    def greedy(self) -> bool:
        """Whether the arg-max is always taken (no draw)."""
        return self.temperature == 0 or self.top_k == 1


GREEDY: Final = Sampling()


def check_max_new_tokens(max_new_tokens: int) -> int:
    """`max_new_tokens` if it is within 0..`MAX_NEW_TOKENS`; raises `SamplingError` naming it otherwise."""
    if not 0 <= max_new_tokens <= MAX_NEW_TOKENS:
        raise SamplingError(f"max_new_tokens must be between 0 and {MAX_NEW_TOKENS}; got {max_new_tokens}")
    return max_new_tokens


def prompt_generator(sampling: Sampling, prompt: Sequence[int]) -> torch.Generator:
    """The CPU generator that draws `prompt`'s continuation: seeded by SHA-256 of the seed and tokens."""
    digest = hashlib.sha256(sampling.seed.to_bytes(8, "big") + b"".join(
        int(token).to_bytes(4, "big") for token in prompt)).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") & MAX_SEED)


def next_tokens(logits: torch.Tensor, sampling: Sampling, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """One token per row of `logits` (rows × vocabulary), as int64 (rows × 1) on the logits' device;
    row i draws from `generators[i]` (unused when greedy)."""
    if sampling.greedy:
        return logits.argmax(dim=-1, keepdim=True)
    scores = logits.detach().to("cpu", torch.float64)
    if sampling.top_k is not None and sampling.top_k < scores.shape[-1]:
        scores, candidates = scores.topk(sampling.top_k, dim=-1)
    else:
        candidates = torch.arange(scores.shape[-1]).expand_as(scores)
    probabilities = torch.softmax(scores / sampling.temperature, dim=-1)
    if len(generators) != len(probabilities):
        raise ValueError(f"{len(probabilities)} rows of logits but {len(generators)} generators")
    picks = [int(candidates[row, int(torch.multinomial(probabilities[row], 1, generator=generators[row]))])
             for row in range(len(probabilities))]
    return torch.tensor(picks, dtype=torch.int64, device=logits.device).unsqueeze(1)


def sample(module: nn.Module, prompt: Sequence[int], context: int, max_new_tokens: int,
           sampling: Sampling = GREEDY) -> list[int]:
    """`max_new_tokens` tokens continuing `prompt` (not empty) from a causal LM that sees its last
    `context` tokens, each picked by `sampling`."""
    check_max_new_tokens(max_new_tokens)
    if not prompt:
        raise SamplingError("the prompt must hold at least one token")
    tokens = list(prompt)
    generators = [prompt_generator(sampling, prompt)]
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = module(input_ids=torch.tensor([tokens[-context:]])).logits[:, -1]
            tokens.append(int(next_tokens(logits, sampling, generators)[0, 0]))
    return tokens[len(prompt):]
