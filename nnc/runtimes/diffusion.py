"""The `diffusers` runtime: image generation with a class-conditional DDPM.

The model is a diffusers `UNet2DModel` built from the spec's `unet` section in code (nothing is
downloaded): one resnet block per level of `channels`, self-attention at the deepest level, the
sample's class label as its condition. Training minimises the DDPM noise-prediction error: an
image of the train split (scaled to [-1, 1]) is noised at a random timestep of a `timesteps`-step
cosine schedule and the UNet predicts the noise. The acceptance metric `eval_loss` is that error
on the eval split at noise and timesteps fixed by the spec's seed (lower is better), and
`generate` samples new images of given classes with the DDPM sampling loop.

Determinism: the noise and timesteps of step `s` come from a `torch.Generator` seeded by
SHA-256(b"nnc-diffusion-noise" ‖ seed ‖ s), never from the global RNG, so a replay from any
checkpoint draws exactly what the original run drew (as `BatchSampler` does for batches).

With `model.lora`, peft injects low-rank adapters into the attention projections named in
`lora.targets` and only they train; checkpoints and the result hold only the adapters. With no
downloads there is no pretrained base: the frozen base UNet is the one the spec's seed
initialises, so anyone holding the spec rebuilds the same base, and the adapters are meaningful
together with it only. That is what a LoRA task can be here; a real deployment would pin a
pretrained base by its digest.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import torch
from diffusers.models.unets.unet_2d import UNet2DModel
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from peft import LoraConfig, inject_adapter_in_model
from torch import nn

from nnc.runtimes.base import ProgramRuntime, Runtime
from nnc.task import DATASET_SHAPES, TaskSpec, UNetSpec
from nnc.training.data import SplitData, load_data
from nnc.training.program import TrainData, full_weights, spec_model
from nnc.training.trainer import deterministic_torch

BETA_SCHEDULE: Final = "squaredcos_cap_v2"
"""The cosine schedule: it ends at pure noise for any `timesteps` (the default linear one does
not for short schedules)."""
EVAL_CHUNK: Final = 256
"""Eval images per forward pass (fixed, so the metric does not depend on memory)."""


def _generator(label: bytes, *numbers: int) -> torch.Generator:
    """A CPU generator seeded by SHA-256 of `label` and the unsigned 64-bit `numbers`."""
    material = hashlib.sha256(label + struct.pack(f">{len(numbers)}Q", *numbers)).digest()
    return torch.Generator().manual_seed(int.from_bytes(material[:8], "big") >> 1)


def _scheduler(spec: UNetSpec) -> DDPMScheduler:
    scheduler: DDPMScheduler = DDPMScheduler(num_train_timesteps=spec.timesteps, beta_schedule=BETA_SCHEDULE)
    return scheduler


class DiffusionProgram:
    """A class-conditional DDPM (`unet`): all weights train, or only the LoRA adapters."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.model_spec = spec_model(spec, UNetSpec, "the diffusion program trains unet models")
        self.shape = DATASET_SHAPES[spec.dataset.name]
        self.scheduler = _scheduler(self.model_spec)

    def load_data(self, dataset_file: Path | None) -> SplitData:
        return load_data(self.spec, dataset_file)

    def build(self) -> nn.Module:
        channels = tuple(self.model_spec.channels)
        levels = len(channels)
        c_img, height, width = self.shape.input_shape
        unet: nn.Module = UNet2DModel(
            sample_size=(height, width), in_channels=c_img, out_channels=c_img, layers_per_block=1,
            block_out_channels=channels,
            down_block_types=("DownBlock2D",) * (levels - 1) + ("AttnDownBlock2D",),
            up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (levels - 1),
            norm_num_groups=8, attention_head_dim=8, num_class_embeds=self.shape.n_classes,
        )
        lora = self.model_spec.lora
        if lora is not None:
            config = LoraConfig(r=lora.rank, lora_alpha=lora.alpha,  # type: ignore[arg-type]  # typed int, a float works
                                target_modules=list(lora.targets), lora_dropout=0.0, init_lora_weights=True)
            inject_adapter_in_model(config, unet)
            for name, parameter in unet.named_parameters():
                parameter.requires_grad_("lora_" in name)
        return unet

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        return [p for p in module.parameters() if p.requires_grad]

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        state = full_weights(module)
        if self.model_spec.lora is None:
            return state
        return {name: tensor for name, tensor in state.items() if "lora_" in name}

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        if self.model_spec.lora is None:
            module.load_state_dict(dict(weights))
            return
        expected = self.weights(module)
        if set(weights) != set(expected):
            missing, unexpected = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
            raise KeyError(f"adapter weights do not match: missing {missing[:3]}, unexpected {unexpected[:3]}")
        module.load_state_dict(dict(weights), strict=False)  # shapes are checked: RuntimeError

    def _images(self, flat: torch.Tensor) -> torch.Tensor:
        """Flat inputs in [0, 1] as (n, C, H, W) images in [-1, 1]."""
        return flat.reshape(-1, *self.shape.input_shape) * 2.0 - 1.0

    def _noise(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn((n, *self.shape.input_shape), generator=generator)
        timesteps = torch.randint(0, self.model_spec.timesteps, (n,), generator=generator)
        return noise, timesteps

    def _predict(self, module: nn.Module, images: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor,
                 labels: torch.Tensor) -> torch.Tensor:
        noisy = self.scheduler.add_noise(images, noise, timesteps)  # type: ignore[arg-type]
        prediction: torch.Tensor = module(noisy, timesteps, class_labels=labels).sample
        return prediction

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        assert isinstance(data, SplitData)
        noise, timesteps = self._noise(len(batch), _generator(b"nnc-diffusion-noise", self.spec.schedule.seed, step))
        images = self._images(data.train_x[batch])
        noise, timesteps = noise.to(images.device), timesteps.to(images.device)  # drawn on the CPU, for any device
        prediction = self._predict(module, images, noise, timesteps, data.train_y[batch])
        return nn.functional.mse_loss(prediction, noise)

    def metric(self, module: nn.Module, data: TrainData) -> float:
        assert isinstance(data, SplitData)
        images = self._images(data.eval_x)
        noise, timesteps = self._noise(len(images), _generator(b"nnc-diffusion-eval", self.spec.schedule.seed))
        noise, timesteps = noise.to(images.device), timesteps.to(images.device)
        was_training = module.training
        module.eval()
        total = 0.0
        try:
            with torch.no_grad():
                for start in range(0, len(images), EVAL_CHUNK):
                    part = slice(start, start + EVAL_CHUNK)
                    prediction = self._predict(module, images[part], noise[part], timesteps[part],
                                               data.eval_y[part])
                    total += float(((prediction - noise[part]) ** 2).sum().item())
        finally:
            module.train(was_training)
        return total / noise.numel()


def generate(spec: TaskSpec, weights: Mapping[str, torch.Tensor], labels: Sequence[int] | torch.Tensor,
             steps: int | None = None, *, seed: int = 0) -> torch.Tensor:
    """Images of the classes `labels`, sampled with `steps` DDPM steps (default: the spec's
    `timesteps`) from the model the committed `weights` make: `(len(labels), C, H, W)` in [0, 1].

    Deterministic: the initial noise and each step's noise come from a generator seeded by the
    spec's seed and `seed`; the base of a LoRA is rebuilt from the spec's seed as in training.
    """
    program = DiffusionProgram(spec)
    classes = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
    if len(classes) and not 0 <= int(classes.min()) <= int(classes.max()) < program.shape.n_classes:
        raise ValueError(f"labels must be classes 0..{program.shape.n_classes - 1}")
    scheduler = _scheduler(program.model_spec)
    scheduler.set_timesteps(steps or program.model_spec.timesteps)
    generator = _generator(b"nnc-diffusion-sample", spec.schedule.seed, seed)
    with deterministic_torch(spec.determinism.threads):
        torch.manual_seed(spec.schedule.seed)
        module = program.build()
        program.load_weights(module, weights)
        module.eval()
        sample = torch.randn((len(classes), *program.shape.input_shape), generator=generator)
        with torch.no_grad():
            for t in scheduler.timesteps:
                predicted = module(sample, t, class_labels=classes).sample
                sample = scheduler.step(predicted, t, sample, generator=generator).prev_sample  # type: ignore[union-attr]
    return ((sample.clamp(-1.0, 1.0) + 1.0) / 2.0).contiguous()


RUNTIME: Runtime = ProgramRuntime(DiffusionProgram)
