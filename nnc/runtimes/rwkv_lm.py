"""The `rwkv` model kind of the `transformers` runtime: an RWKV (v4) byte-level language model
(transformers `RwkvForCausalLM`) built from its config in code (never downloaded), trained and
scored exactly as the GPT-2 `causal-lm` (`nnc.runtimes.causal_lm`): the same text windows, the
same next-byte cross-entropy, the same eval loss. Only the model differs.

RWKV replaces attention with a recurrence (time mixing), so its cost grows linearly with the
context; transformers runs it in plain torch on the CPU (its CUDA kernel only on a GPU and not
here: `nnc.runtimes.rwkv_lm.rwkv_config` asks for none), which keeps replicas bitwise equal.
"""

from __future__ import annotations

from torch import nn
from transformers import RwkvConfig, RwkvForCausalLM

from nnc.runtimes.base import ProgramRuntime, Runtime
from nnc.runtimes.causal_lm import VOCAB, CausalLMProgram
from nnc.task import RwkvLMSpec, TaskSpec


def rwkv_config(model: RwkvLMSpec) -> RwkvConfig:
    """The RWKV config of the spec's model: bytes as tokens, 4 x `width` channel mixing, untied
    head, no KV/state cache, and no layer rescaling (`rescale_every=0`: transformers otherwise
    divides the weights in place whenever the model goes to eval mode and multiplies them back
    on return to training, which is not bitwise exact and would change the committed weights)."""
    return RwkvConfig(vocab_size=VOCAB, context_length=model.context, hidden_size=model.width,
                      num_hidden_layers=model.layers, attention_hidden_size=model.width,
                      intermediate_size=4 * model.width, rescale_every=0, use_cache=False,
                      tie_word_embeddings=False, bos_token_id=0, eos_token_id=0)


class RwkvLMProgram(CausalLMProgram):
    """An RWKV over bytes; data, loss, metric and weights as `CausalLMProgram` (no LoRA)."""

    def __init__(self, spec: TaskSpec) -> None:  # noqa: D107  (replaces the GPT-2 check only)
        if not isinstance(spec.model, RwkvLMSpec):
            raise TypeError(f"the rwkv program trains rwkv models, not {spec.model.kind!r}")
        self.spec = spec
        self.rwkv_spec = spec.model
        self.lora = None

    def build(self) -> nn.Module:
        """The model from torch's seeded global RNG (transformers' RWKV init, then its own
        deterministic time-decay/mix init)."""
        module: nn.Module = RwkvForCausalLM(rwkv_config(self.rwkv_spec))
        return module


RUNTIME: Runtime = ProgramRuntime(RwkvLMProgram)
