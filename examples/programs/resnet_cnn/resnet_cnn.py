"""A small ResNet-style CNN as an NNC training program: the example of the `Program` interface.

How a node runs it
------------------
A task spec names this package by content address in its `program` section:

    "framework": "torch",
    "model": {"kind": "program", "macs": 52224},
    "program": {"uri": "ipfs://<cid of the packed package>", "entry": "resnet_cnn:make_program",
                "digest": "<package digest>", "requires": {"torch": ">=2.0", "pillow": ">=9"}}

The node fetches the package, checks its digest (`nnc.training.program_package.package_digest`),
and in a fresh sandboxed interpreter (no network, read-only but for its work directory, memory,
time and core limits) puts the package's root on `sys.path`, imports `resnet_cnn` and calls
`make_program(spec)` with the validated `nnc.task.TaskSpec`. The same happens when a verifier
replays a segment of the training and when the oracle evaluates the result, so everything below
must be deterministic given torch's seeded RNG (the node seeds it, pins the threads and turns on
torch's deterministic algorithms).

The interface (`nnc.training.program.Program`)
----------------------------------------------
- `load_data(dataset)`: the task's data, from `dataset`, the fetched copy of the spec's
  `dataset.uri` (a directory, or here also a .tar of one); returns an object with `n_train`, the
  number of training samples the node's batch sampler draws indices from.
- `build()`: a fresh `torch.nn.Module` (initialised from the seeded global RNG).
- `trainable(module)`: the parameters the optimizer (the spec's sgd or adam) updates.
- `weights(module)` / `load_weights(module, weights)`: the committed weights as name → tensor
  (what checkpoints, the hash chain and the result hold) and back into a fresh module (raise
  RuntimeError, ValueError or KeyError when they do not fit).
- `loss(module, data, batch, step)`: a scalar loss tensor of `batch` (int64 indices into the
  training split) at 1-based `step`; the node backpropagates it. It must stay finite: a NaN or
  infinite loss stops the task as diverged.
- `metric(module, data)`: the spec's acceptance metric on the eval split, here accuracy.
- optional `load_init(module, weights)`: how the spec's `init` weights go into a fresh module,
  when they are not this program's own `weights` (default: `load_weights`).

The data: an image folder
-------------------------
One sub-folder per class (sorted names are the class indices), PNG images in each, read with
Pillow (`pip install pillow`; the node must have it, hence `requires`), converted to grey and
resized to `IMAGE_SIZE` square. `make_dataset.py` next to this file writes a toy folder. The
split into train and eval is a seeded permutation: `spec.dataset.eval_fraction` of it evaluates.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import torch
from torch import nn

IMAGE_SIZE = 16
WIDTH = 8
BLOCKS = 2


@dataclass(frozen=True)
class ImageData:
    train_x: torch.Tensor
    train_y: torch.Tensor
    eval_x: torch.Tensor
    eval_y: torch.Tensor
    classes: tuple[str, ...]

    @property
    def n_train(self) -> int:
        return len(self.train_y)


def _pixels(raw: bytes) -> torch.Tensor:
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as image:
        grey = image.convert("L").resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
        data = torch.frombuffer(bytearray(grey.tobytes()), dtype=torch.uint8)
    return data.reshape(1, IMAGE_SIZE, IMAGE_SIZE).float() / 255.0


def _image_files(dataset: Path) -> list[tuple[str, str, bytes]]:
    """(class, file name, bytes) of every PNG, from a folder or a .tar of one."""
    found = []
    if dataset.is_dir():
        for path in dataset.glob("*/*.png"):
            found.append((path.parent.name, path.name, path.read_bytes()))
        return found
    with tarfile.open(dataset) as archive:
        for member in archive:
            parts = [p for p in PurePosixPath(member.name).parts if p != "."]
            if member.isfile() and len(parts) >= 2 and parts[-1].endswith(".png"):
                reader = archive.extractfile(member)
                assert reader is not None
                found.append((parts[-2], parts[-1], reader.read()))
    return found


def load_image_folder(dataset: Path, seed: int, eval_fraction: float) -> ImageData:
    files = sorted(_image_files(dataset))
    classes = tuple(sorted({label for label, _, _ in files}))
    if len(classes) < 2:
        raise ValueError(f"{dataset} needs at least two class folders of PNG images, found {list(classes)}")
    inputs = torch.stack([_pixels(raw) for _, _, raw in files])
    labels = torch.tensor([classes.index(label) for label, _, _ in files], dtype=torch.int64)
    order = torch.randperm(len(files), generator=torch.Generator().manual_seed(seed))
    n_eval = max(1, int(len(files) * eval_fraction))
    evaluation, train = order[:n_eval], order[n_eval:]
    return ImageData(inputs[train], labels[train], inputs[evaluation], labels[evaluation], classes)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm1 = nn.GroupNorm(2, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm2 = nn.GroupNorm(2, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.norm1(self.conv1(x)))
        return torch.relu(x + self.norm2(self.conv2(y)))


class ResNet(nn.Module):
    """A stem convolution, `BLOCKS` residual blocks, global average pooling and a linear head."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, WIDTH, 3, padding=1, bias=False), nn.GroupNorm(2, WIDTH), nn.ReLU())
        self.blocks = nn.Sequential(*(ResidualBlock(WIDTH) for _ in range(BLOCKS)))
        self.head = nn.Linear(WIDTH, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.blocks(self.stem(x)).mean(dim=(2, 3))
        return self.head(features)


def forward_macs(classes: int) -> int:
    """Multiply-accumulates of one forward pass on one image: what the spec's `model.macs` declares."""
    pixels = IMAGE_SIZE * IMAGE_SIZE
    return 9 * WIDTH * pixels + BLOCKS * 2 * 9 * WIDTH * WIDTH * pixels + WIDTH * classes


class ResNetProgram:
    def __init__(self, spec: object) -> None:
        self.seed = spec.training.seed  # type: ignore[attr-defined]
        self.eval_fraction = spec.dataset.eval_fraction  # type: ignore[attr-defined]
        self.classes: int | None = None

    def load_data(self, dataset: Path | None) -> ImageData:
        if dataset is None:
            raise ValueError("this program trains on an image folder: the spec's dataset needs a uri")
        data = load_image_folder(dataset, self.seed, self.eval_fraction)
        self.classes = len(data.classes)
        return data

    def build(self) -> nn.Module:
        if self.classes is None:
            raise ValueError("load_data comes first: the head's size is the number of classes")
        return ResNet(self.classes)

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        return list(module.parameters())

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        return dict(module.state_dict())

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        module.load_state_dict(dict(weights))

    def loss(self, module: nn.Module, data: ImageData, batch: torch.Tensor, step: int) -> torch.Tensor:
        return nn.functional.cross_entropy(module(data.train_x[batch]), data.train_y[batch])

    def metric(self, module: nn.Module, data: ImageData) -> float:
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                predictions = module(data.eval_x).argmax(dim=1)
        finally:
            module.train(was_training)
        return float((predictions == data.eval_y).sum().item()) / len(data.eval_y)


def make_program(spec: object) -> ResNetProgram:
    """The entry: `resnet_cnn:make_program`."""
    return ResNetProgram(spec)
