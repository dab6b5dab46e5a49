"""The `tensorflow` runtime: mlp and cnn classifiers built as Keras 3 models on the TensorFlow
backend, trained with softmax cross-entropy by SGD or Adam in a `tf.function` step, scored by
eval accuracy.

It follows `nnc.training.trainer.train_program` step for step, as the `jax` runtime does: the same
data split and batch order (`BatchSampler`), checkpoints every `checkpoint_interval` steps and at
the last, the same hash chain and resumption. Weights travel as torch tensors under the names and
shapes of the torch classifier of the same spec (`nnc.runtimes.classifier_layout`): a Keras
`Dense` kernel (in, out) is the transpose of torch's weight, a `Conv2D` kernel (3, 3, in, out)
torch's (out, in, 3, 3) permuted. The cnn runs channels-last (TensorFlow's CPU convolutions) and
goes back to (C, H, W) before flattening, so its head sees torch's feature order.

Initialisation: each layer's weight and bias are drawn from uniform(-1/√fan_in, 1/√fan_in) (torch's
default bounds) by numpy's PCG64 seeded with the spec's seed and the layer's index: the same
numbers on every machine, independent of TensorFlow's own generators. Adam is torch's default Adam
(betas 0.9, 0.999, eps 1e-8, bias correction) written out in TensorFlow ops, so its state (`t`,
`m.<name>`, `v.<name>`) checkpoints as named tensors and a resumed run is bitwise the same; SGD is
`w -= lr·g`. The models hold no dropout, so no seed-generator state needs saving.

Determinism: `nnc.runtimes.keras_backend` (op determinism, the spec's intra-op thread count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from nnc.errors import TrainingError
from nnc.runtimes.base import Runtime
from nnc.runtimes.classifier_layout import image_shape, layer_shapes
from nnc.runtimes.keras_backend import tensorflow
from nnc.task import TaskSpec
from nnc.task.timing import StepTiming
from nnc.training.checkpoints import Checkpoint, CheckpointState
from nnc.training.data import BatchSampler, SplitData, load_data
from nnc.training.stepped import replay_stepped, time_stepped, train_stepped
from nnc.training.trainer import TrainingResult

ADAM_BETAS: Final = (0.9, 0.999)
ADAM_EPS: Final = 1e-8


def initial_weights(spec: TaskSpec) -> dict[str, np.ndarray]:
    """The seeded initial weights, in torch's layout (see the module doc)."""
    shapes = layer_shapes(spec)
    weights: dict[str, np.ndarray] = {}
    for layer, name in enumerate(n for n in shapes if n.endswith(".weight")):
        rng = np.random.Generator(np.random.PCG64([spec.schedule.seed, layer]))
        bound = 1.0 / math.sqrt(math.prod(shapes[name][1:]))
        weights[name] = rng.uniform(-bound, bound, shapes[name]).astype(np.float32)
        bias = name.replace(".weight", ".bias")
        weights[bias] = rng.uniform(-bound, bound, shapes[bias]).astype(np.float32)
    return weights


class KerasClassifier:
    """One spec's model, optimizer state and compiled step, in one TensorFlow process."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.tf, keras = tensorflow(spec.determinism.threads)
        tf = self.tf
        self.shapes = layer_shapes(spec)
        image = image_shape(spec)
        inputs = keras.Input((math.prod(image) if image else next(iter(self.shapes.values()))[1],))
        x = inputs
        self.layers: dict[str, Any] = {}  # torch layer index -> Keras layer
        if image is not None:
            x = keras.layers.Reshape(image)(x)
            x = keras.layers.Permute((2, 3, 1))(x)  # (C, H, W) -> (H, W, C)
            convs = [n for n in self.shapes if n.endswith(".weight") and len(self.shapes[n]) == 4]
            for name in convs:
                layer = keras.layers.Conv2D(self.shapes[name][0], 3, padding="same", activation="relu")
                x = layer(x)
                self.layers[name.split(".")[0]] = layer
            x = keras.layers.Permute((3, 1, 2))(x)  # back to (C, H, W): torch's flattening order
            x = keras.layers.Flatten()(x)
        dense = [n for n in self.shapes if n.endswith(".weight") and len(self.shapes[n]) == 2]
        for position, name in enumerate(dense):
            last = position == len(dense) - 1
            layer = keras.layers.Dense(self.shapes[name][0], activation=None if last else "relu")
            x = layer(x)
            self.layers[name.split(".")[0]] = layer
        self.model = keras.Model(inputs, x)
        self.params = {name: self._variable(name) for name in self.shapes}
        self.t = tf.Variable(0, dtype=tf.int64, trainable=False)
        adam = spec.schedule.optimizer == "adam"
        self.m = {n: tf.Variable(tf.zeros(v.shape)) for n, v in self.params.items()} if adam else {}
        self.v = {n: tf.Variable(tf.zeros(v.shape)) for n, v in self.params.items()} if adam else {}
        self._step = tf.function(self._train_step, reduce_retracing=True)
        self._logits = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)

    def _variable(self, name: str) -> Any:
        layer = self.layers[name.split(".")[0]]
        return layer.kernel if name.endswith(".weight") else layer.bias

    # -- weights as torch tensors ---------------------------------------------------------

    @staticmethod
    def _to_keras(name: str, value: np.ndarray) -> np.ndarray:
        if name.endswith(".weight"):
            return value.transpose(2, 3, 1, 0) if value.ndim == 4 else value.T
        return value

    @staticmethod
    def _to_torch(name: str, value: np.ndarray) -> np.ndarray:
        if name.endswith(".weight"):
            return value.transpose(3, 2, 0, 1) if value.ndim == 4 else value.T
        return value

    def set_weights(self, weights: Mapping[str, Any], what: str) -> None:
        """Puts torch-layout `weights` (tensors or arrays, exactly the spec's names and shapes) in."""
        if set(weights) != set(self.shapes):
            raise TrainingError(f"{what} does not fit the spec's model: names {sorted(weights)}, expected "
                                f"{sorted(self.shapes)}")
        for name, shape in self.shapes.items():
            value = weights[name]
            array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
            if tuple(array.shape) != shape:
                raise TrainingError(f"{what} does not fit the spec's model: {name} is not of shape {shape}")
            self.params[name].assign(self._to_keras(name, array.astype(np.float32)))

    def weights(self) -> dict[str, torch.Tensor]:
        """The weights in torch's layout and order (layer by layer, weight before bias)."""
        return {name: torch.from_numpy(np.ascontiguousarray(self._to_torch(name, self.params[name].numpy())))
                for name in self.shapes}

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        state = {"t": torch.tensor(int(self.t.numpy()), dtype=torch.int64)}
        for name in self.shapes if self.m else ():
            state[f"m.{name}"] = torch.from_numpy(np.ascontiguousarray(self._to_torch(name, self.m[name].numpy())))
            state[f"v.{name}"] = torch.from_numpy(np.ascontiguousarray(self._to_torch(name, self.v[name].numpy())))
        return state

    def restore(self, state: CheckpointState, what: str) -> None:
        self.set_weights(state.model, what)
        expected = {"t", *(f"{k}.{n}" for n in self.shapes for k in ("m", "v") if self.m)}
        if set(state.optimizer) != expected:
            raise TrainingError(f"the optimizer state of {what} holds {sorted(state.optimizer)}, expected "
                                f"{sorted(expected)}")
        if int(state.optimizer["t"]) != state.step:
            raise TrainingError(f"{what}: optimizer has taken {int(state.optimizer['t'])} steps, not {state.step}")
        self.t.assign(int(state.optimizer["t"]))
        for name in self.shapes if self.m else ():
            self.m[name].assign(self._to_keras(name, state.optimizer[f"m.{name}"].numpy()))
            self.v[name].assign(self._to_keras(name, state.optimizer[f"v.{name}"].numpy()))

    # -- training ---------------------------------------------------------------------------

    def _train_step(self, x: Any, y: Any, lr: Any) -> Any:
        tf = self.tf
        names = list(self.shapes)
        with tf.GradientTape() as tape:
            logits = self.model(x, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, [self.params[n] for n in names])
        self.t.assign_add(1)
        if not self.m:
            for name, g in zip(names, grads, strict=True):
                self.params[name].assign_sub(lr * g)
            return loss
        beta1, beta2 = ADAM_BETAS
        step = tf.cast(self.t, tf.float32)
        step_size = lr / (1.0 - tf.pow(beta1, step))
        root_correction2 = tf.sqrt(1.0 - tf.pow(beta2, step))
        for name, g in zip(names, grads, strict=True):
            m = self.m[name].assign(beta1 * self.m[name] + (1.0 - beta1) * g)
            v = self.v[name].assign(beta2 * self.v[name] + (1.0 - beta2) * g * g)
            self.params[name].assign_sub(step_size * m / (tf.sqrt(v) / root_correction2 + ADAM_EPS))
        return loss

    def step(self, data: SplitData, sampler: BatchSampler, step: int) -> float:
        """Training step `step` (its batch from `sampler`); returns the loss."""
        tf = self.tf
        batch = sampler.indices(step).numpy()
        x = tf.constant(data.train_x.numpy()[batch])
        y = tf.constant(data.train_y.numpy()[batch].astype(np.int64))
        return float(self._step(x, y, tf.constant(self.spec.schedule.learning_rate, tf.float32)).numpy())

    def accuracy(self, data: SplitData) -> float:
        logits = self._logits(self.tf.constant(data.eval_x.numpy())).numpy()
        return float((logits.argmax(axis=1) == data.eval_y.numpy()).sum()) / len(logits)

    def fresh(self) -> None:
        """The seeded initial weights; Adam's step count and moments back to zero."""
        self.set_weights(initial_weights(self.spec), "the initial weights")
        self.t.assign(0)
        for name in self.shapes if self.m else ():
            self.m[name].assign(self.tf.zeros(self.m[name].shape))
            self.v[name].assign(self.tf.zeros(self.v[name].shape))

    def parameter_count(self) -> int:
        return sum(math.prod(shape) for shape in self.shapes.values())


class KerasClassifierRuntime:
    """The `Runtime` of framework `tensorflow` (see the module doc)."""

    def load_data(self, spec: TaskSpec, dataset_file: Path | None = None) -> SplitData:
        return load_data(spec, dataset_file)

    def train(self, spec: TaskSpec, workdir: Path, *, node: str | None,
              on_checkpoint: Callable[[Checkpoint], None] | None = None,
              on_progress: Callable[[int, float], None] | None = None, resume: bool = True,
              dataset_file: Path | None = None) -> TrainingResult:
        data = self.load_data(spec, dataset_file)
        return train_stepped(spec, workdir, KerasClassifier(spec), data, data.n_train, framework="tensorflow",
                             node=node, on_checkpoint=on_checkpoint, on_progress=on_progress, resume=resume)

    def replay(self, spec: TaskSpec, start: CheckpointState | None, end_step: int,
               data: Any | None = None) -> dict[str, torch.Tensor]:
        split: SplitData = data if data is not None else self.load_data(spec)
        return replay_stepped(spec, KerasClassifier(spec), split, split.n_train, start, end_step)

    def evaluate(self, spec: TaskSpec, weights: Mapping[str, torch.Tensor], data: Any) -> float:
        model = KerasClassifier(spec)
        model.set_weights(weights, "the weights")
        return model.accuracy(data)

    def time_steps(self, spec: TaskSpec, steps: int, dataset_file: Path | None = None,
                   on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
        data = self.load_data(spec, dataset_file)
        return time_stepped(spec, KerasClassifier(spec), data, data.n_train, steps, on_progress)


RUNTIME: Final[Runtime] = KerasClassifierRuntime()
