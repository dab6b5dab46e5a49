"""The `model` section of a task spec, one pydantic model per model kind.

`mlp` and `cnn` are classifiers (frameworks `torch` and `jax`); `causal-lm` is a GPT-2-style
byte-level language model built from its config in code (`transformers`, and `peft` with a `lora`
section); `rwkv` an RWKV byte-level language model (`transformers`, same data and acceptance as
`causal-lm`); `unet` is a tiny class-conditional denoising UNet for image generation (`diffusers`,
optionally with `lora`); `face-embedding` an embedding network for face verification (`torch`);
`whisper` a speech recogniser (`transformers`, on a `speech` dataset); `program` is the model of a
requester's own program (`nnc.task.program_spec`).
No weights are ever downloaded: models start from the spec's seed, or from its `init` weights.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

MAX_LAYERS: Final = 8
MAX_HIDDEN: Final = 4096
MAX_CHANNELS: Final = 1024
MAX_LM_WIDTH: Final = 2048
MAX_CONTEXT: Final = 1024

LM_LORA_TARGETS: Final = ("c_attn", "c_proj", "c_fc")
"""Linear layers of the causal LM a LoRA may adapt: attention qkv, the two output projections, MLP in."""
UNET_LORA_TARGETS: Final = ("to_q", "to_k", "to_v", "to_out.0")
"""Attention projections of the UNet a LoRA may adapt."""


class SpecSection(BaseModel):
    """Common configuration: strict types (no "3" for 3), no unknown keys, no NaN, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class ModelSpec(SpecSection):
    """A classifier.

    `mlp`: fully connected layers of the `hidden` widths with ReLU between them (`channels` empty).
    `cnn`: 3x3 convolutions (padding 1, ReLU) with the given output `channels`, then a linear head
    (`hidden` empty).
    """

    kind: Literal["mlp", "cnn"]
    hidden: list[Annotated[int, Field(ge=1, le=MAX_HIDDEN)]] = Field(
        default_factory=list, validate_default=True, max_length=MAX_LAYERS
    )
    channels: list[Annotated[int, Field(ge=1, le=MAX_CHANNELS)]] = Field(
        default_factory=list, validate_default=True, max_length=MAX_LAYERS
    )

    @field_validator("hidden")
    @classmethod
    def _check_hidden(cls, value: list[int], info: ValidationInfo) -> list[int]:
        kind = info.data.get("kind")
        if kind == "cnn" and value:
            raise PydanticCustomError("kind_mismatch", "must be empty for kind 'cnn' (use channels)")
        return value

    @field_validator("channels")
    @classmethod
    def _check_channels(cls, value: list[int], info: ValidationInfo) -> list[int]:
        kind = info.data.get("kind")
        if kind == "mlp" and value:
            raise PydanticCustomError("kind_mismatch", "must be empty for kind 'mlp' (use hidden)")
        if kind == "cnn" and not value:
            raise PydanticCustomError("kind_mismatch", "kind 'cnn' needs at least one conv layer")
        return value


class LoraSpec(SpecSection):
    """Low-rank adapters: `rank` r, scale `alpha / r`, on the named `targets`. Only the adapters
    train; the base model's weights stay as the seed made them, and the result is the adapters."""

    rank: int = Field(ge=1, le=256)
    alpha: float = Field(gt=0.0, le=4096.0)
    targets: list[str] = Field(min_length=1, max_length=8)

    @field_validator("targets")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("duplicate_target", "targets must not repeat")
        return value


class CausalLMSpec(SpecSection):
    """A GPT-2-style decoder (transformers `GPT2LMHeadModel`) over bytes (vocabulary 256): `layers`
    blocks of `heads`-head attention of `width` and a 4 x `width` MLP, `context` bytes of context.
    With `lora` (framework `peft`), only adapters on `lora.targets` (of `LM_LORA_TARGETS`) train."""

    kind: Literal["causal-lm"]
    layers: int = Field(ge=1, le=MAX_LAYERS)
    width: int = Field(ge=8, le=MAX_LM_WIDTH)
    heads: int = Field(ge=1, le=32)
    context: int = Field(ge=4, le=MAX_CONTEXT)
    lora: LoraSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> CausalLMSpec:
        if self.width % self.heads:
            raise PydanticCustomError("bad_heads", "width ({width}) must be a multiple of heads ({heads})",
                                      {"width": self.width, "heads": self.heads})
        if self.lora is not None:
            unknown = sorted(set(self.lora.targets) - set(LM_LORA_TARGETS))
            if unknown:
                raise PydanticCustomError("bad_target", "lora.targets {unknown} are not among {allowed}",
                                          {"unknown": unknown, "allowed": list(LM_LORA_TARGETS)})
        return self


class RwkvLMSpec(SpecSection):
    """An RWKV (v4) language model (transformers `RwkvForCausalLM`) over bytes (vocabulary 256):
    `layers` blocks of time mixing (a linear-attention recurrence) of `width` and channel mixing
    of 4 x `width`, trained on windows of `context` bytes. Same data and acceptance (eval_loss)
    as `causal-lm`; no heads (RWKV has none) and no LoRA. At least 2 layers: transformers' RWKV
    initialisation spreads its time decays over `layers - 1` and divides by zero for one."""

    kind: Literal["rwkv"]
    layers: int = Field(ge=2, le=MAX_LAYERS)
    width: int = Field(ge=8, le=MAX_LM_WIDTH)
    context: int = Field(ge=4, le=MAX_CONTEXT)


WHISPER_MEL_BINS: Final = 80
WHISPER_FRAMES: Final = 100
"""Log-mel frames of a one-second clip (hop 10 ms); the encoder's strided convolution halves them."""
WHISPER_TRANSCRIPT_BYTES: Final = 30
"""Longest transcript (UTF-8 bytes) a speech dataset may hold: the decoder's positions fit it."""
WHISPER_VOCAB: Final = 259
"""Transcript tokens: the 256 bytes, then pad, start-of-transcript and end-of-transcript."""


class WhisperSpec(SpecSection):
    """A Whisper speech recogniser (transformers `WhisperForConditionalGeneration`) built from its
    config in code: 80 log-mel bins of one-second clips in, transcripts out as bytes (vocabulary
    256 + pad, start, end); `layers` encoder and `layers` decoder blocks of `heads`-head attention
    of `width` and a 2 x `width` feed-forward. Trained on a `speech` dataset, scored by word error
    rate (`eval_wer`) of greedy decoding."""

    kind: Literal["whisper"]
    layers: int = Field(ge=1, le=MAX_LAYERS)
    width: int = Field(ge=8, le=MAX_LM_WIDTH)
    heads: int = Field(ge=1, le=32)

    @model_validator(mode="after")
    def _check(self) -> WhisperSpec:
        if self.width % self.heads:
            raise PydanticCustomError("bad_heads", "width ({width}) must be a multiple of heads ({heads})",
                                      {"width": self.width, "heads": self.heads})
        return self


TextLMSpec = CausalLMSpec | RwkvLMSpec
"""The byte-level language models trained on a text dataset (`nnc.training.text`)."""


class UNetSpec(SpecSection):
    """A class-conditional denoising UNet (diffusers `UNet2DModel`) for the dataset's images:
    one resnet block per level with the given `channels` (each a multiple of 8, the group-norm
    group count), self-attention at the deepest level, a DDPM noise schedule of `timesteps`.
    With `lora`, only adapters on the attention projections (`UNET_LORA_TARGETS`) train."""

    kind: Literal["unet"]
    channels: list[Annotated[int, Field(ge=8, le=MAX_CHANNELS, multiple_of=8)]] = Field(min_length=1, max_length=4)
    timesteps: int = Field(default=100, ge=10, le=1000)
    lora: LoraSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> UNetSpec:
        if self.lora is not None:
            unknown = sorted(set(self.lora.targets) - set(UNET_LORA_TARGETS))
            if unknown:
                raise PydanticCustomError("bad_target", "lora.targets {unknown} are not among {allowed}",
                                          {"unknown": unknown, "allowed": list(UNET_LORA_TARGETS)})
        return self


class FaceEmbeddingSpec(SpecSection):
    """A face-embedding network for verification (`nnc.runtimes.face_embedding`): 3x3 convolutions
    (padding 1, ReLU, then 2x2 max pooling) with the given output `channels`, a linear layer to an
    L2-normalised `embedding`, trained with an ArcFace head (additive angular `margin` in radians,
    logit `scale`) of one learned row per identity; `identities` is how many the dataset holds
    (every label below it). Scored by `tar_at_far` on identities unseen in training."""

    kind: Literal["face-embedding"]
    channels: list[Annotated[int, Field(ge=1, le=MAX_CHANNELS)]] = Field(min_length=1, max_length=4)
    embedding: int = Field(ge=2, le=MAX_HIDDEN)
    identities: int = Field(ge=2, le=1_000_000)
    margin: float = Field(default=0.5, ge=0.0, le=1.5)
    scale: float = Field(default=30.0, gt=0.0, le=128.0)


class Conv3DSpec(SpecSection):
    """A video classifier over time (`nnc.runtimes.video_classifier`): clips of (frames, height,
    width) grey values, averaged over `pool` x `pool` pixels first, then 3x3x3 convolutions
    (padding 1, ReLU, then 2x2x2 max pooling) with the given output `channels`, global average
    pooling and a linear head to the classes."""

    kind: Literal["conv3d"]
    channels: list[Annotated[int, Field(ge=1, le=MAX_CHANNELS)]] = Field(min_length=1, max_length=4)
    pool: Literal[1, 2, 4] = 2


class ProgramModelSpec(SpecSection):
    """The model of a requester's own program (the spec's `program` section builds it): opaque here,
    priced by `macs`, the multiply-accumulates of one forward pass on one sample as the requester
    counts them; `parameters`, when given, is how many values train (shown in estimates)."""

    kind: Literal["program"]
    macs: int = Field(ge=1, le=10**15)
    parameters: int | None = Field(default=None, ge=1, le=10**13)


AnyModelSpec = Annotated[ModelSpec | CausalLMSpec | RwkvLMSpec | UNetSpec | FaceEmbeddingSpec | ProgramModelSpec
                         | WhisperSpec | Conv3DSpec,
                         Field(discriminator="kind")]
"""The `model` section: which class by its `kind`."""
