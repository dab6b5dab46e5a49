"""What a task costs: multiply-accumulates of its model, the compute units it is priced in, and the
size of what it trains (parameters, and the memory of their training state).

Every figure here is a pure function of the spec (no framework is imported), so requesters, nodes,
the API and the contracts' callers all price a task the same way, whatever is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from nnc.task.datasets import DATASET_SHAPES, TEXT_VOCAB
from nnc.task.model_specs import (
    WHISPER_FRAMES,
    WHISPER_MEL_BINS,
    WHISPER_TRANSCRIPT_BYTES,
    WHISPER_VOCAB,
    CausalLMSpec,
    Conv3DSpec,
    FaceEmbeddingSpec,
    ModelSpec,
    ProgramModelSpec,
    RwkvLMSpec,
    UNetSpec,
    WhisperSpec,
)

if TYPE_CHECKING:
    from nnc.task.spec import TaskSpec

LM_TARGET_SHAPES: Final = {  # target → (fan_in, fan_out) pairs per block, in units of width
    "c_attn": [(1, 3)],
    "c_proj": [(1, 1), (4, 1)],  # attention output and MLP output projections
    "c_fc": [(1, 4)],
}


def classifier_macs(model: ModelSpec, dataset: str) -> int:
    """mlp: sum of `fan_in * fan_out` over the linear layers (inputs → hidden... → classes).
    cnn: per conv layer `c_in * c_out * 3 * 3 * H * W` (padding 1 keeps H x W), then the head
    `c_last * H * W * classes`. Biases, activations and the loss are not counted."""
    shape = DATASET_SHAPES[dataset]
    if model.kind == "mlp":
        widths = [shape.n_inputs, *model.hidden, shape.n_classes]
        return sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    c_in, height, width = shape.input_shape
    macs = 0
    for c_out in model.channels:
        macs += c_in * c_out * 9 * height * width
        c_in = c_out
    return macs + c_in * height * width * shape.n_classes


def causal_lm_macs(model: CausalLMSpec) -> int:
    """One sequence of `context` tokens: per token and block, 12·width² for the linear layers
    (qkv 3w², output w², MLP 8w²) and 2·context·width for attention scores and values (the
    whole context counted, not the causal half), then width·256 for the head; with `lora`,
    rank·(fan_in + fan_out) more per adapted layer."""
    w, n = model.width, model.context
    return n * (model.layers * (12 * w * w + 2 * n * w) + w * TEXT_VOCAB) + causal_lm_adapter_macs(model)


def rwkv_macs(model: RwkvLMSpec) -> int:
    """One sequence of `context` tokens through the RWKV that `nnc.runtimes.rwkv_lm` builds: per
    token and block, 13·width² for the linear layers (time mixing: key, value, receptance, output
    4w²; channel mixing: key 4w², value 4w², receptance w²), then width·256 for the head. The
    recurrence and the token-shift mixes are elementwise (a few·width per token) and not counted."""
    w, n = model.width, model.context
    return n * (model.layers * 13 * w * w + w * TEXT_VOCAB)


def whisper_macs(model: WhisperSpec) -> int:
    """One clip and its transcript through the Whisper that `nnc.runtimes.whisper_asr` builds:
    the encoder's two width-w convolutions (kernel 3; 80 mel bins over F frames, then w over F/2),
    per encoder block on S = F/2 positions 8w² (q, k, v, out 4w², feed-forward 2·w·2w) and 2·S·w
    for scores and values; per decoder block on the T = 31 positions it trains (start token and
    30 transcript bytes, padded) 10w² (self attention 4w², cross attention's q and out 2w²,
    feed-forward 4w²), 2·T·w and 2·S·w for the two attentions' scores and values, and 2w² per
    source position for the cross attention's keys and values; then the head, w·259 per target
    position. Norms, activations and position embeddings are not counted."""
    w, layers = model.width, model.layers
    frames, source, target = WHISPER_FRAMES, WHISPER_FRAMES // 2, WHISPER_TRANSCRIPT_BYTES + 1
    convolutions = 3 * WHISPER_MEL_BINS * w * frames + 3 * w * w * source
    encoder = layers * source * (8 * w * w + 2 * source * w)
    decoder = layers * (target * (10 * w * w + 2 * target * w + 2 * source * w) + 2 * source * w * w)
    return convolutions + encoder + decoder + target * w * WHISPER_VOCAB


def whisper_parameters(model: WhisperSpec) -> int:
    """Trained values of the Whisper that `nnc.runtimes.whisper_asr` builds: the two convolutions;
    per encoder block attention 4w² + 3w (the key projection has no bias), feed-forward 4w² + 3w,
    two norms 4w; per decoder block the same plus cross attention 4w² + 3w and its norm 2w; two
    final norms; the token embedding (259 x w, tied to the output projection) and the decoder's
    learned positions (32 x w). The encoder's sinusoidal positions are fixed, not trained."""
    w, layers = model.width, model.layers
    convolutions = 3 * WHISPER_MEL_BINS * w + w + 3 * w * w + w
    encoder = layers * (8 * w * w + 10 * w)
    decoder = layers * (12 * w * w + 15 * w)
    return convolutions + encoder + decoder + 4 * w + (WHISPER_VOCAB + WHISPER_TRANSCRIPT_BYTES + 2) * w


def face_embedding_macs(model: FaceEmbeddingSpec, dataset: str) -> int:
    """One image through the network `nnc.runtimes.face_embedding` builds: per conv layer
    `c_in * c_out * 3 * 3 * H * W` at its resolution (each layer's 2x2 pooling then halves H and
    W, rounding down), the linear layer `c_last * H * W * embedding`, and the ArcFace head's
    cosines `embedding * identities`. Biases, activations, norms, pooling and the margin are not
    counted."""
    c_in, height, width = DATASET_SHAPES[dataset].input_shape
    macs = 0
    for c_out in model.channels:
        macs += c_in * c_out * 9 * height * width
        c_in, height, width = c_out, height // 2, width // 2
    return macs + c_in * height * width * model.embedding + model.embedding * model.identities


def conv3d_macs(model: Conv3DSpec, dataset: str) -> int:
    """One clip through the network `nnc.runtimes.video_classifier` builds: after the input's
    `pool` x `pool` average (frames kept), per conv layer `c_in * c_out * 27 * T * H * W` at its
    resolution (each layer's 2x2x2 pooling then halves T, H and W, rounding down), and the head
    `c_last * classes`. Biases, activations and pooling are not counted."""
    frames, height, width = DATASET_SHAPES[dataset].input_shape
    height, width = height // model.pool, width // model.pool
    c_in, macs = 1, 0
    for c_out in model.channels:
        macs += c_in * c_out * 27 * frames * height * width
        c_in, frames, height, width = c_out, frames // 2, height // 2, width // 2
    return macs + c_in * DATASET_SHAPES[dataset].n_classes


def face_embedding_parameters(model: FaceEmbeddingSpec, dataset: str) -> int:
    """Weights and biases of that network: convs, the embedding layer and the head's rows."""
    c_in, height, width = DATASET_SHAPES[dataset].input_shape
    count = 0
    for c_out in model.channels:
        count += c_in * c_out * 9 + c_out
        c_in, height, width = c_out, height // 2, width // 2
    return count + c_in * height * width * model.embedding + model.embedding + model.embedding * model.identities


def causal_lm_adapter_macs(model: CausalLMSpec) -> int:
    """The LoRA adapters' share of `causal_lm_macs` (0 without `lora`)."""
    if model.lora is None:
        return 0
    r, w = model.lora.rank, model.width
    return model.context * model.layers * sum(r * (a + b) * w for t in model.lora.targets
                                              for a, b in LM_TARGET_SHAPES[t])


def unet_macs(model: UNetSpec, dataset: str) -> int:
    """One image through the UNet that `nnc.runtimes.diffusion` builds (diffusers `UNet2DModel`,
    one resnet block per level down, two up). A resnet block of `a` → `b` channels on `p`
    pixels: two 3x3 convs 9·(a·b + b·b)·p, a 1x1 shortcut a·b·p when a ≠ b, and the projection
    of the time embedding (4·c₀ wide) to b. In order: the time embedding MLP (c₀ → 4c₀ → 4c₀),
    conv_in; per level a resnet and, but at the deepest level, a strided 3x3 downsampling conv;
    the middle: two resnets at the deepest level; the way up, deepest level first, two resnets
    per level on the input concatenated with a skip (first the same level's, then the level
    above's) and a 3x3 conv after each nearest-neighbour upsampling; conv_out. Self-attention
    runs four times at the deepest level (down, middle, twice up): 4·c²·p for the q, k, v, out
    projections and 2·p²·c for scores and values, plus rank·2c·p per LoRA-adapted projection.
    Norms, activations and the class embedding (a lookup) are not counted."""
    c_img, height, width = DATASET_SHAPES[dataset].input_shape
    chans: list[int] = list(model.channels)
    pixels = [(height * width) >> (2 * i) for i in range(len(chans))]
    embedding = 4 * chans[0]

    def resnet(c_in: int, c_out: int, p: int) -> int:
        shortcut = c_in * c_out * p if c_in != c_out else 0
        return 9 * (c_in * c_out + c_out * c_out) * p + shortcut + embedding * c_out

    macs = chans[0] * embedding + embedding * embedding + 9 * c_img * chans[0] * pixels[0]  # time MLP, conv_in
    c_prev = chans[0]
    for i, c in enumerate(chans):  # down
        macs += resnet(c_prev, c, pixels[i])
        if i < len(chans) - 1:
            macs += 9 * c * c * pixels[i + 1]
        c_prev = c
    last, p = chans[-1], pixels[-1]
    macs += 2 * resnet(last, last, p)  # middle
    macs += 4 * (4 * last * last * p + 2 * p * p * last) + unet_adapter_macs(model, dataset)  # attention
    for i in reversed(range(len(chans))):  # up
        c = chans[i]
        macs += resnet(c_prev + c, c, pixels[i]) + resnet(c + chans[max(i - 1, 0)], c, pixels[i])
        if i > 0:
            macs += 9 * c * c * pixels[i - 1]
        c_prev = c
    return macs + 9 * chans[0] * c_img * pixels[0]  # conv_out


def unet_adapter_macs(model: UNetSpec, dataset: str) -> int:
    """The LoRA adapters' share of `unet_macs`: rank·2c·p per adapted projection, four attentions."""
    if model.lora is None:
        return 0
    _, height, width = DATASET_SHAPES[dataset].input_shape
    last, p = model.channels[-1], (height * width) >> (2 * (len(model.channels) - 1))
    return 4 * 2 * model.lora.rank * last * p * len(model.lora.targets)


def adapter_macs(spec: TaskSpec) -> int:
    """Multiply-accumulates of the spec's LoRA adapters in one forward pass (0 without LoRA)."""
    if isinstance(spec.model, CausalLMSpec):
        return causal_lm_adapter_macs(spec.model)
    if isinstance(spec.model, UNetSpec):
        return unet_adapter_macs(spec.model, spec.dataset.name)
    return 0


def model_macs(spec: TaskSpec) -> int:
    """Multiply-accumulates of one forward pass of the spec's model on one sample (an image, a
    clip, a sequence of `context` tokens); a program's model: the `macs` its requester declares."""
    model = spec.model
    if isinstance(model, ProgramModelSpec):
        return model.macs
    if isinstance(model, CausalLMSpec):
        return causal_lm_macs(model)
    if isinstance(model, RwkvLMSpec):
        return rwkv_macs(model)
    if isinstance(model, UNetSpec):
        return unet_macs(model, spec.dataset.name)
    if isinstance(model, WhisperSpec):
        return whisper_macs(model)
    if isinstance(model, FaceEmbeddingSpec):
        return face_embedding_macs(model, spec.dataset.name)
    if isinstance(model, Conv3DSpec):
        return conv3d_macs(model, spec.dataset.name)
    return classifier_macs(model, spec.dataset.name)


def compute_units(spec: TaskSpec) -> int:
    """The task's deterministic cost in compute units (1 CU = 1 MFLOP = 10^6 floating point ops).

    A training task: CU = ceil(F × batch_size × steps / 10^6) with F = 6 × model_macs(spec): a forward pass costs
    2 FLOPs per multiply-accumulate, and the backward pass twice the forward (gradients of the
    inputs and of the weights). With LoRA the frozen base computes no weight gradients, so its
    share costs 4 FLOPs per MAC and only the adapters 6: F = 4 × model_macs + 2 × adapter_macs.
    Evaluation, biases and activations are not counted. The figure depends only on the spec,
    never on the node's speed, so a slow node is not paid more for the same work.
    An inference task: forward passes only (`inference_units`).
    A `parallel` task: `nodes ×` that of its schedule (each of the k nodes trains `training.steps`).
    """
    if spec.inference is not None:
        return inference_units(spec)
    flops_per_sample = 4 * model_macs(spec) + 2 * adapter_macs(spec) if adapter_macs(spec) else 6 * model_macs(spec)
    flops = flops_per_sample * spec.schedule.batch_size * spec.schedule.steps
    if spec.parallel is not None:
        flops *= spec.parallel.nodes
    return -(-flops // 1_000_000)


def inference_units(spec: TaskSpec) -> int:
    """An inference task's cost in compute units: CU = ceil(2 × model_macs(spec) × passes × inputs
    / 10^6), forward passes only (no backward, no optimizer): one pass per input of the
    `inference` section, or for text generation one per generated token (`max_new_tokens`), each
    priced as a pass over the whole context (an upper bound: the sequence grows to it).
    Rounding, digests and storage of the outputs are not counted."""
    assert spec.inference is not None
    passes = spec.inference.max_new_tokens if spec.inference.outputs == "tokens" else 1
    return -(-2 * model_macs(spec) * (passes or 1) * spec.inference.inputs // 1_000_000)


def parameter_count(spec: TaskSpec) -> int | None:
    """Trained weights and biases of the model the runtime would build, without building it
    (None for a UNet: its size depends on the framework's block layout; a program's model: what
    its requester declares, if anything)."""
    model = spec.model
    if isinstance(model, ProgramModelSpec):
        return model.parameters
    if isinstance(model, CausalLMSpec):
        w = model.width
        if model.lora is not None:  # only the adapters train
            return model.layers * sum(model.lora.rank * (a + b) * w for t in model.lora.targets
                                      for a, b in LM_TARGET_SHAPES[t])
        return model.layers * (12 * w * w + 13 * w) + TEXT_VOCAB * w + model.context * w + 2 * w
    if isinstance(model, WhisperSpec):
        return whisper_parameters(model)
    if isinstance(model, RwkvLMSpec):  # blocks, embedding and untied head, block 0's pre-norm, final norm
        w = model.width
        return model.layers * (13 * w * w + 11 * w) + 2 * TEXT_VOCAB * w + 4 * w
    if isinstance(model, FaceEmbeddingSpec):
        return face_embedding_parameters(model, spec.dataset.name)
    if not isinstance(model, ModelSpec):
        return None
    shape = DATASET_SHAPES[spec.dataset.name]
    inputs, classes = shape.n_inputs, shape.n_classes
    if model.kind == "mlp":
        widths = [inputs, *model.hidden, classes]
        return sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    c_in, height, width = shape.input_shape
    count = 0
    for c_out in model.channels:
        count += c_in * c_out * 9 + c_out
        c_in = c_out
    return count + c_in * height * width * classes + classes


def training_state_bytes(spec: TaskSpec, parameters: int) -> int:
    """float32 bytes of the training state of `parameters` trained values: weights and gradients,
    plus Adam's two moments."""
    copies = 4 if spec.schedule.optimizer == "adam" else 2
    return parameters * 4 * copies
