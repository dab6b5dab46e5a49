"""The `jax` runtime: mlp and cnn classifiers in plain JAX (no flax, no optax), trained with softmax
cross-entropy by SGD or Adam, scored by eval accuracy.

It follows `nnc.training.trainer.train_program` step for step: the same data split, the same
batch order (`BatchSampler`), checkpoints every `checkpoint_interval` steps and at the last, the
same hash chain and resumption. Weights leave the runtime as torch tensors under the names an
`nn.Sequential` of the same spec would use (`nnc.training.build_model`: an mlp's `0.weight` (out,
in), `0.bias`, `2.weight`, …; a cnn's convolutions `1.weight` (out, in, 3, 3), `1.bias`, `3.weight`,
… after its Unflatten, and its head `<2·convs + 2>.weight`), so
checkpoint files, model files and digests look exactly like the torch runtime's (the numbers differ:
a jax run and a torch run of one spec are different models).

A cnn is torch's: NCHW inputs, 3x3 convolutions with padding 1 (`lax.conv_general_dilated`, OIHW
kernels, cross-correlation as torch's Conv2d), ReLU after each, the features flattened in (C, H, W)
order into the linear head.

Initialisation: each Linear and Conv2d (fan_in = in·3·3) draws weight and bias from
uniform(-1/√fan_in, 1/√fan_in), torch's default bounds, with threefry keys: `key(seed mod 2³²)` with
the seed's high bits folded in, then `fold_in(layer index)` and a split into (weight, bias). Adam is
torch's default Adam (betas 0.9, 0.999, eps 1e-8, bias correction); SGD is plain `w -= lr·g`. All
arithmetic is float32 on the CPU. The optimizer state checkpoints as torch tensors `t` (steps
taken), `m.<name>` and `v.<name>`.

Determinism: everything runs on the CPU device, single-threaded when the spec asks for one
thread (`nnc.runtimes.jax_backend`); jit-compiled XLA CPU code is deterministic run to run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import jax
import jax.numpy as jnp
import numpy as np
import torch

from nnc.errors import TrainingError
from nnc.runtimes.base import Runtime
from nnc.runtimes.classifier_layout import image_shape, layer_shapes
from nnc.runtimes.jax_backend import on_cpu
from nnc.task import TaskSpec
from nnc.task.timing import StepTiming
from nnc.training.checkpoints import Checkpoint, CheckpointState
from nnc.training.data import BatchSampler, SplitData, load_data
from nnc.training.stepped import replay_stepped, time_stepped, train_stepped
from nnc.training.trainer import TrainingResult

ADAM_BETAS: Final = (0.9, 0.999)
ADAM_EPS: Final = 1e-8
Arrays = dict[str, jax.Array]


def _layer_index(name: str) -> int:
    return int(name.split(".")[0])


def init_params(spec: TaskSpec) -> Arrays:
    """The seeded initial weights (see the module doc)."""
    seed = spec.schedule.seed
    with jax.threefry_partitionable(True):
        key = jax.random.fold_in(jax.random.key(seed % 2**32, impl="threefry2x32"), seed >> 32)
        shapes = layer_shapes(spec)
        params: Arrays = {}
        for layer, name in enumerate(n for n in shapes if n.endswith(".weight")):
            out_features, *fan = shapes[name]
            bound = 1.0 / math.sqrt(math.prod(fan))
            k_weight, k_bias = jax.random.split(jax.random.fold_in(key, layer))
            params[name] = jax.random.uniform(k_weight, shapes[name], jnp.float32, -bound, bound)
            params[name.replace(".weight", ".bias")] = jax.random.uniform(k_bias, (out_features,), jnp.float32,
                                                                          -bound, bound)
    return params


def init_optimizer(spec: TaskSpec, params: Arrays) -> Arrays:
    state = {"t": jnp.zeros((), jnp.int32)}
    if spec.schedule.optimizer == "adam":
        for name, value in params.items():
            state[f"m.{name}"] = jnp.zeros_like(value)
            state[f"v.{name}"] = jnp.zeros_like(value)
    return state


def forward(params: Arrays, x: jax.Array, image: tuple[int, int, int] | None = None) -> jax.Array:
    """Logits. mlp (`image` None): Linear, ReLU, …, Linear. cnn: inputs unflattened to `(batch,
    *image)`, Conv2d 3x3 (padding 1), ReLU per conv, flattened, Linear. Layers in name order."""
    layers = sorted({_layer_index(name) for name in params})
    if image is not None:
        x = x.reshape((x.shape[0], *image))
    for position, layer in enumerate(layers):
        weight, bias = params[f"{layer}.weight"], params[f"{layer}.bias"]
        if weight.ndim == 4:
            x = jax.lax.conv_general_dilated(x, weight, (1, 1), ((1, 1), (1, 1)),
                                             dimension_numbers=("NCHW", "OIHW", "NCHW"))
            x = jax.nn.relu(x + bias[None, :, None, None])
            continue
        x = x.reshape((x.shape[0], -1)) @ weight.T + bias
        if position < len(layers) - 1:
            x = jax.nn.relu(x)
    return x


def cross_entropy(params: Arrays, x: jax.Array, y: jax.Array, image: tuple[int, int, int] | None = None,
                  ) -> jax.Array:
    log_probs = jax.nn.log_softmax(forward(params, x, image))
    return -jnp.mean(jnp.take_along_axis(log_probs, y[:, None], axis=1))


@partial(jax.jit, static_argnames=("optimizer", "lr", "image"))
def train_step(params: Arrays, opt: Arrays, x_all: jax.Array, y_all: jax.Array, batch: jax.Array, *,
               optimizer: str, lr: float, image: tuple[int, int, int] | None = None,
               ) -> tuple[Arrays, Arrays, jax.Array]:
    """One optimisation step on `batch` (indices into the train split): (params, optimizer state, loss)."""
    loss, grads = jax.value_and_grad(cross_entropy)(params, x_all[batch], y_all[batch], image)
    t = opt["t"] + 1
    if optimizer == "sgd":
        return {k: p - lr * grads[k] for k, p in params.items()}, {"t": t}, loss
    beta1, beta2 = ADAM_BETAS
    step = t.astype(jnp.float32)
    step_size = lr / (1.0 - beta1**step)
    root_correction2 = jnp.sqrt(1.0 - beta2**step)
    new_params, new_opt = {}, {"t": t}
    for name, p in params.items():
        g = grads[name]
        m = beta1 * opt[f"m.{name}"] + (1.0 - beta1) * g
        v = beta2 * opt[f"v.{name}"] + (1.0 - beta2) * g * g
        new_params[name] = p - step_size * m / (jnp.sqrt(v) / root_correction2 + ADAM_EPS)
        new_opt[f"m.{name}"], new_opt[f"v.{name}"] = m, v
    return new_params, new_opt, loss


@partial(jax.jit, static_argnames=("image",))
def predict(params: Arrays, x: jax.Array, image: tuple[int, int, int] | None = None) -> jax.Array:
    return jnp.argmax(forward(params, x, image), axis=1)


@dataclass(frozen=True)
class JaxData:
    """A `SplitData` as jax arrays (labels int32)."""

    train_x: jax.Array
    train_y: jax.Array
    eval_x: jax.Array
    eval_y: jax.Array

    @classmethod
    def of(cls, data: SplitData) -> JaxData:
        return cls(jnp.asarray(data.train_x.numpy()), jnp.asarray(data.train_y.numpy().astype(np.int32)),
                   jnp.asarray(data.eval_x.numpy()), jnp.asarray(data.eval_y.numpy().astype(np.int32)))


def to_torch(arrays: Arrays) -> dict[str, torch.Tensor]:
    """Exact copies as torch tensors (float32 stays float32; the step count becomes int64), named in
    torch's order (layer by layer, weight before bias; jit hands dicts back sorted by name)."""
    def order(name: str) -> tuple[str, int, bool]:
        prefix, _, rest = name.rpartition(".")[0].rpartition(".")
        return prefix, int(rest) if rest.isdigit() else -1, name.endswith(".bias")

    return {name: torch.from_numpy(np.array(arrays[name], dtype=np.int64 if name == "t" else np.float32))
            for name in sorted(arrays, key=order)}


def from_torch(tensors: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]], what: str) -> Arrays:
    """Exact float32 jax copies of `tensors`, which must have exactly the names and shapes given."""
    if set(tensors) != set(shapes):
        raise TrainingError(f"{what} does not fit the spec's model: names {sorted(tensors)}, expected "
                            f"{sorted(shapes)}")
    arrays: Arrays = {}
    for name, shape in shapes.items():
        value = tensors[name]
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
            raise TrainingError(f"{what} does not fit the spec's model: {name} is not a tensor of shape {shape}")
        dtype = np.int32 if name == "t" else np.float32
        arrays[name] = jnp.asarray(value.detach().cpu().numpy().astype(dtype))
    return arrays


def restore(spec: TaskSpec, state: CheckpointState, what: str) -> tuple[Arrays, Arrays]:
    """Weights and optimizer state of a checkpoint (its step count must be the checkpoint's step)."""
    shapes = layer_shapes(spec)
    opt_shapes: dict[str, tuple[int, ...]] = {"t": ()}
    if spec.schedule.optimizer == "adam":
        for name, shape in shapes.items():
            opt_shapes[f"m.{name}"] = opt_shapes[f"v.{name}"] = shape
    params = from_torch(state.model, shapes, what)
    opt = from_torch(state.optimizer, opt_shapes, f"the optimizer state of {what}")
    if int(opt["t"]) != state.step:
        raise TrainingError(f"{what}: optimizer has taken {int(opt['t'])} steps, not {state.step}")
    return params, opt


def accuracy(params: Arrays, data: JaxData, image: tuple[int, int, int] | None = None) -> float:
    predictions = np.asarray(predict(params, data.eval_x, image))
    return float((predictions == np.asarray(data.eval_y)).sum()) / len(predictions)


def spec_step(spec: TaskSpec, params: Arrays, opt: Arrays, data: JaxData, sampler: BatchSampler, step: int,
              ) -> tuple[Arrays, Arrays, float]:
    """Training step `step` of `spec` (its batch from `sampler`): (params, optimizer state, loss)."""
    batch = jnp.asarray(sampler.indices(step).numpy().astype(np.int32))
    params, opt, loss = train_step(params, opt, data.train_x, data.train_y, batch,
                                   optimizer=spec.schedule.optimizer, lr=spec.schedule.learning_rate,
                                   image=image_shape(spec))
    return params, opt, float(loss)


class JaxClassifier:
    """One spec's parameters and optimizer state (the `SteppedModel` of this runtime); call its
    methods inside `on_cpu`."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.image = image_shape(spec)
        self.params: Arrays = {}
        self.opt: Arrays = {}

    def fresh(self) -> None:
        self.params = init_params(self.spec)
        self.opt = init_optimizer(self.spec, self.params)

    def restore(self, state: CheckpointState, what: str) -> None:
        self.params, self.opt = restore(self.spec, state, what)

    def step(self, data: JaxData, sampler: BatchSampler, step: int) -> float:
        self.params, self.opt, loss = spec_step(self.spec, self.params, self.opt, data, sampler, step)
        return loss

    def weights(self) -> dict[str, torch.Tensor]:
        return to_torch(self.params)

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        return to_torch(self.opt)

    def accuracy(self, data: JaxData) -> float:
        return accuracy(self.params, data, self.image)

    def parameter_count(self) -> int:
        return sum(int(p.size) for p in self.params.values())


class JaxClassifierRuntime:
    """The `Runtime` of framework `jax` (see the module doc)."""

    def load_data(self, spec: TaskSpec, dataset_file: Path | None = None) -> SplitData:
        return load_data(spec, dataset_file)

    def train(self, spec: TaskSpec, workdir: Path, *, node: str | None,
              on_checkpoint: Callable[[Checkpoint], None] | None = None,
              on_progress: Callable[[int, float], None] | None = None, resume: bool = True,
              dataset_file: Path | None = None) -> TrainingResult:
        split = self.load_data(spec, dataset_file)
        with on_cpu(spec.determinism.threads):
            return train_stepped(spec, workdir, JaxClassifier(spec), JaxData.of(split), split.n_train,
                                 framework="jax", node=node, on_checkpoint=on_checkpoint, on_progress=on_progress,
                                 resume=resume)

    def replay(self, spec: TaskSpec, start: CheckpointState | None, end_step: int,
               data: Any | None = None) -> dict[str, torch.Tensor]:
        split: SplitData = data if data is not None else self.load_data(spec)
        with on_cpu(spec.determinism.threads):
            return replay_stepped(spec, JaxClassifier(spec), JaxData.of(split), split.n_train, start, end_step)

    def evaluate(self, spec: TaskSpec, weights: Mapping[str, torch.Tensor], data: Any) -> float:
        with on_cpu(spec.determinism.threads):
            params = from_torch(weights, layer_shapes(spec), "the weights")
            return accuracy(params, JaxData.of(data), image_shape(spec))

    def time_steps(self, spec: TaskSpec, steps: int, dataset_file: Path | None = None,
                   on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
        split = self.load_data(spec, dataset_file)
        with on_cpu(spec.determinism.threads):
            return time_stepped(spec, JaxClassifier(spec), JaxData.of(split), split.n_train, steps, on_progress)


RUNTIME: Final[Runtime] = JaxClassifierRuntime()
