"""The datasets a spec may name, by kind, and the shape of their samples.

Four kinds: `speech` (clips of 16 kHz audio and their transcripts: speech recognition),
`classification` (inputs of a fixed `(channels, height, width)` shape and a class
label: images, audio clips, video clips), `text` (a byte corpus: byte-level language modelling,
vocabulary 256) and `images` for generation (the same arrays as a classification set, labels as
the class a generated image is conditioned on). All are bundled or generated in code (no
download); a spec's dataset `uri` swaps in the requester's own copy of the same kind and shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

DatasetName = Literal["sklearn-digits", "synthetic-tones", "synthetic-motion", "tiny-text", "custom",
                      "synthetic-faces", "spoken-digits", "synthetic-video"]
CUSTOM_DATASET: Final = "custom"
"""A requester's own dataset of any layout, read by the task's program (`program`): no bundled copy,
no fixed sample shape; the spec names it by `uri` and pins it by `digest`."""
DatasetKind = Literal["classification", "text", "speech"]

TEXT_VOCAB: Final = 256
"""Byte-level vocabulary of the text datasets: a token is one byte of the UTF-8 corpus."""


@dataclass(frozen=True)
class DatasetShape:
    """Shape of one sample of a dataset: `input_shape` as (channels, height, width) and class count."""

    input_shape: tuple[int, int, int]
    n_classes: int

    @property
    def n_inputs(self) -> int:
        return math.prod(self.input_shape)


DATASET_SHAPES: Final[Mapping[str, DatasetShape]] = {
    "sklearn-digits": DatasetShape(input_shape=(1, 8, 8), n_classes=10),
    "synthetic-tones": DatasetShape(input_shape=(1, 1, 256), n_classes=4),
    "synthetic-motion": DatasetShape(input_shape=(8, 8, 8), n_classes=4),
    "synthetic-faces": DatasetShape(input_shape=(1, 32, 32), n_classes=128),
    "synthetic-video": DatasetShape(input_shape=(16, 64, 64), n_classes=6),
}
"""Sample shape of every classification dataset a spec may name; models are built for these shapes.

`sklearn-digits`: 8x8 grey images of digits (vision). `synthetic-tones`: 256-sample audio clips
of one of four pitches in noise (audio). `synthetic-motion`: 8 frames of 8x8 with a dot moving in
one of four directions, frames as channels (video). `synthetic-faces`: 32x32 grey faces of 48
identities, 24 images each (`nnc.training.synthetic_faces`; the classes are identities)."""

TEXT_DATASETS: Final = frozenset({"tiny-text"})
"""Byte corpora for language modelling; `tiny-text` is a few KB of prose bundled with nnc."""


SPEECH_DATASETS: Final = frozenset({"spoken-digits"})
"""Clips of speech with their transcripts, for speech recognition (`nnc.training.speech`):
`spoken-digits` is the ten digit words said by espeak-ng in several voices, speeds and pitches."""


def dataset_kind(name: str) -> DatasetKind:
    """`text` for a byte corpus, `speech` for transcribed clips, else `classification` (also what
    image generation trains on)."""
    return "text" if name in TEXT_DATASETS else "speech" if name in SPEECH_DATASETS else "classification"
