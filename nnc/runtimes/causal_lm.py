"""The `transformers` and `peft` runtimes: a GPT-2 byte-level causal LM built from its config in
code (never downloaded), trained on next-byte cross-entropy and scored by the eval loss; the
`transformers` runtime also trains model kind `rwkv` this way (`nnc.runtimes.rwkv_lm`).

`transformers` trains every weight and commits the full state dict. `peft` (the spec has a
`model.lora` section) injects LoRA adapters into the seeded base model, trains only them and
commits only them: the base model is a function of the spec's seed, so anyone can rebuild it, or
with the spec's `init` the given base (e.g. a model an earlier task trained; `load_init`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

import torch
from torch import nn
from transformers import GPT2Config, GPT2LMHeadModel

from nnc.runtimes import builtin_program
from nnc.runtimes.base import ProgramRuntime, Runtime
from nnc.task import CausalLMSpec, TaskSpec
from nnc.task.model_specs import LoraSpec
from nnc.training.program import TrainData, full_weights, spec_model
from nnc.training.text import TextData, load_text

if TYPE_CHECKING:  # peft is needed only by the `peft` framework, and imported when a LoRA is built
    from peft import LoraConfig

VOCAB: Final = 256
"""Tokens are bytes."""
EVAL_CHUNK: Final = 64
"""Eval windows per forward pass of `metric` (a fixed size, so the summation order is fixed)."""


def gpt2_config(model: CausalLMSpec) -> GPT2Config:
    """The GPT-2 config of the spec's model: no dropout (training must be deterministic), tied
    input and output embeddings, the eager attention (the reference implementation that
    `nnc.task.cost.causal_lm_macs` prices) and no KV cache (never generated from here)."""
    return GPT2Config(vocab_size=VOCAB, n_positions=model.context, n_embd=model.width, n_layer=model.layers,
                      n_head=model.heads, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                      tie_word_embeddings=True, bos_token_id=0, eos_token_id=0, use_cache=False,
                      attn_implementation="eager")  # type: ignore[call-arg]  # a PreTrainedConfig kwarg


def lora_config(lora: LoraSpec) -> LoraConfig:
    """The peft config of the spec's adapters (no dropout, no bias training)."""
    from peft import LoraConfig

    # GPT-2's linear layers are transformers `Conv1D`s, whose weight is (fan_in, fan_out).
    # lora_alpha is annotated int but used as a float (scale alpha / r).
    return LoraConfig(r=lora.rank, lora_alpha=lora.alpha,  # type: ignore[arg-type]
                      target_modules=list(lora.targets), lora_dropout=0.0, fan_in_fan_out=True, bias="none")


def next_byte_loss(module: nn.Module, windows: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy (nats) of predicting `windows[:, 1:]` from `windows[:, :-1]`. The shift is
    done here on the logits of the inputs, not by passing `labels=` to the model."""
    logits: torch.Tensor = module(input_ids=windows[:, :-1]).logits
    return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), windows[:, 1:].reshape(-1),
                                       reduction=reduction)


class CausalLMProgram:
    """A GPT-2 over bytes; with `model.lora`, only LoRA adapters on its `targets` train and are the weights."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.model_spec = spec_model(spec, CausalLMSpec, "the causal-lm program trains causal-lm models")
        self.lora = self.model_spec.lora

    def load_data(self, dataset_file: Path | None) -> TextData:
        return load_text(self.spec, dataset_file)

    def build(self) -> nn.Module:
        """The base model from torch's seeded global RNG, then (peft) the adapters: LoRA A from
        the same RNG (kaiming), B zero, so the untrained adapted model equals the base."""
        module: nn.Module = GPT2LMHeadModel(gpt2_config(self.model_spec))
        if self.lora is not None:
            from peft import inject_adapter_in_model

            module = inject_adapter_in_model(lora_config(self.lora), module)  # freezes the base
        return module

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        if self.lora is None:
            return list(module.parameters())
        return [parameter for parameter in module.parameters() if parameter.requires_grad]

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """transformers: the full state dict (the tied `lm_head.weight` is listed with
        `transformer.wte.weight`, the same tensor); peft: the adapters only, keys like
        `transformer.h.0.attn.c_attn.lora_A.weight`."""
        if self.lora is None:
            return full_weights(module)
        from peft import get_peft_model_state_dict

        adapters: dict[str, torch.Tensor] = get_peft_model_state_dict(module)
        return dict(adapters)

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        if self.lora is None:
            module.load_state_dict(dict(weights))
            return
        from peft import set_peft_model_state_dict

        expected = set(self.weights(module))
        missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
        if missing or unexpected:
            raise KeyError(f"adapter weights do not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
        set_peft_model_state_dict(module, dict(weights))

    def load_init(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        """Puts a full GPT-2 state dict (a `transformers` task's result; `lm_head.weight` may be
        left out, as safetensors leaves out a tied tensor) into a freshly built model: with
        adapters, into the base they adapt (peft keeps an adapted layer's own weight as
        `<layer>.base_layer.weight`), leaving the adapters as the seed made them."""
        own = module.state_dict()
        renamed = {}
        for name, tensor in weights.items():
            layer, _, leaf = name.rpartition(".")
            adapted = f"{layer}.base_layer.{leaf}"
            renamed[name if name in own or adapted not in own else adapted] = tensor
        missing, unexpected = module.load_state_dict(renamed, strict=False)
        missing = [name for name in missing if ".lora_" not in name and name != "lm_head.weight"]
        if missing or unexpected:
            raise KeyError(f"base weights do not fit: missing {sorted(missing)[:3]}, "
                           f"unexpected {sorted(unexpected)[:3]}")

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        assert isinstance(data, TextData)
        return next_byte_loss(module, data.train[batch])

    def metric(self, module: nn.Module, data: TrainData) -> float:
        """Mean next-byte cross-entropy (nats) over every target byte of every eval window."""
        assert isinstance(data, TextData)
        was_training = module.training
        module.eval()
        total = torch.zeros((), dtype=torch.float64)
        try:
            with torch.no_grad():
                for start in range(0, len(data.eval), EVAL_CHUNK):
                    chunk = data.eval[start:start + EVAL_CHUNK]
                    total += next_byte_loss(module, chunk, reduction="sum").double().cpu()
        finally:
            module.train(was_training)
        targets = data.eval.shape[0] * (data.eval.shape[1] - 1)
        return float(total.item()) / targets


RUNTIME: Runtime = ProgramRuntime(builtin_program)
"""The `transformers` and `peft` runtimes: the built-in program of the spec's model kind
(`causal-lm` here, `rwkv` in `nnc.runtimes.rwkv_lm`)."""
