"""The `inference` section of a task spec: run a model over the spec's dataset and return outputs.

A spec with an `inference` section is an inference task: it trains nothing (no `training`, no
`acceptance`), its model's weights come from `init` (a later `base_model` may name a registered
model instead; `nnc.inference.weights.inference_weights` obtains them either way) and its inputs
are every sample of the spec's dataset, in order: exactly `inputs` of them (the count prices the
task, `nnc.task.cost`, so it is part of the spec), cut into shards of `shard_size` inputs. A node
runs the model over each shard in batches of `batch_size` (`nnc.inference`) and commits a digest
of the outputs rounded to `decimals` decimals: replicas agree on it bitwise, and a spot-check
re-runs random shards.

`outputs`: `logits` (the classifier's raw scores, one row per input), `classes` (the arg-max
class per input) or `tokens` (text generation: `max_new_tokens` bytes decoded greedily after
each prompt, the lines of a text dataset; a causal LM only, `nnc.inference.generation`). Decoding
is greedy unless a `sampling` section asks for temperature / top-k sampling with a seed
(`nnc.inference.sampling`: each prompt draws from a generator seeded by the seed and the prompt,
so replicas still agree and a spot-check re-runs a shard to the same tokens).
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from nnc.task.model_specs import SpecSection

OutputKind = Literal["logits", "classes", "tokens"]
MAX_SHARD: Final = 1_000_000
MAX_NEW_TOKENS: Final = 4096
"""The most tokens one prompt generates (a task's `max_new_tokens`, one `nnc model run`)."""
MAX_SEED: Final = 2**63 - 1


class SamplingSpec(SpecSection):
    """Sampled text generation (`outputs: "tokens"`): temperature 0 or `top_k` 1 is greedy."""

    temperature: float = Field(ge=0, le=100, description="softmax temperature (0: the arg-max token)")
    top_k: int | None = Field(default=None, ge=1, le=1_000_000, description="draw from the k likeliest tokens")
    seed: int = Field(default=0, ge=0, le=MAX_SEED, description="seeds each prompt's generator (with the prompt)")


class InferenceSpec(SpecSection):
    """How a model runs over the inputs (see the module's notes)."""

    inputs: int = Field(ge=1, le=10**9, description="how many inputs the dataset holds (all are run)")
    batch_size: int = Field(ge=1, le=4096, description="inputs per forward pass")
    shard_size: int = Field(ge=1, le=MAX_SHARD, description="inputs per shard: the unit a spot-check re-runs")
    decimals: int = Field(default=4, ge=0, le=12, description="rounding of the outputs before they are hashed")
    outputs: OutputKind = "logits"
    max_new_tokens: int | None = Field(default=None, ge=1, le=MAX_NEW_TOKENS)
    sampling: SamplingSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> InferenceSpec:
        if self.batch_size > self.shard_size:
            raise PydanticCustomError("batch_over_shard", "batch_size ({batch}) should be at most shard_size "
                                      "({shard}): a batch never spans two shards",
                                      {"batch": self.batch_size, "shard": self.shard_size})
        if (self.outputs == "tokens") != (self.max_new_tokens is not None):
            raise PydanticCustomError("tokens_need_length", "max_new_tokens goes with outputs 'tokens' and "
                                      "only with it (got outputs {outputs!r}, max_new_tokens {n})",
                                      {"outputs": self.outputs, "n": self.max_new_tokens})
        if self.sampling is not None and self.outputs != "tokens":
            raise PydanticCustomError("sampling_needs_tokens", "sampling goes with outputs 'tokens' only "
                                      "(got outputs {outputs!r})", {"outputs": self.outputs})
        return self

    @property
    def shards(self) -> int:
        """How many shards the inputs make (the last may be shorter)."""
        return -(-self.inputs // self.shard_size)

    @property
    def batches(self) -> int:
        """How many forward passes the task takes (a batch never spans two shards)."""
        full, rest = divmod(self.inputs, self.shard_size)
        return full * -(-self.shard_size // self.batch_size) + -(-rest // self.batch_size)

    def shard_bounds(self, shard: int) -> tuple[int, int]:
        """[start, end) input indices of `shard` (0-based)."""
        if not 0 <= shard < self.shards:
            raise IndexError(f"shard {shard} is not among the task's {self.shards} shards")
        start = shard * self.shard_size
        return start, min(start + self.shard_size, self.inputs)
