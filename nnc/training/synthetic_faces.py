"""`synthetic-faces`: an identity dataset generated in code for the face-verification template.

Each identity is a face-like pattern whose geometry and shades are drawn from the identity's own
seed: an elliptic head of its size and shade, a hair band, two eyes (separation, height, size,
darkness), brows, a nose and a mouth (width, height, curvature). Each image of an identity varies
what a camera would: a shift of the whole face (position), a turn of the head (the features slide
sideways inside the outline), scale, a linear illumination gradient, overall gain, and sensor
noise. Images are grey 32x32, quantised to 8 bits like a decoded PNG.

Rendering uses only +, ×, / and comparisons on float64 (no sines or cosines), and draws
from numpy's PCG64 with fixed seeds (numpy keeps its streams stable across versions), so the
bytes are the same on every machine; a spec pins them with `dataset.digest`.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt

IDENTITIES: Final = 128
IMAGES_PER_IDENTITY: Final = 12
SIZE: Final = 32
_SEED: Final = 0xFACE5


def _identity(rng: np.random.Generator) -> dict[str, float]:
    """One person: the geometry and shades of their face, in pixels of a 32x32 image."""
    return {
        "head_rx": rng.uniform(8.5, 12.5), "head_ry": rng.uniform(11.0, 14.5), "skin": rng.uniform(0.45, 0.85),
        "hair": rng.uniform(0.0, 0.35), "hairline": rng.uniform(-12.0, -6.5),
        "eye_dx": rng.uniform(3.0, 6.0), "eye_y": rng.uniform(-4.5, -1.0), "eye_r": rng.uniform(1.0, 2.2),
        "eye_shade": rng.uniform(0.0, 0.3), "brow_gap": rng.uniform(1.8, 3.5), "brow_shade": rng.uniform(0.05, 0.4),
        "nose_len": rng.uniform(2.0, 5.5), "nose_shade": rng.uniform(0.2, 0.5),
        "mouth_y": rng.uniform(4.0, 8.5), "mouth_w": rng.uniform(2.5, 6.5), "mouth_curve": rng.uniform(-0.25, 0.25),
        "mouth_shade": rng.uniform(0.05, 0.4),
    }


def _render(face: dict[str, float], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """One photograph of `face`: pose, scale, light and noise drawn from `rng`."""
    centre = SIZE / 2 - 0.5
    shift_x, shift_y = rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)
    scale, turn = rng.uniform(0.92, 1.08), rng.uniform(-1.2, 1.2)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    u = (x - centre - shift_x) / scale  # face coordinates: origin at the head's centre
    v = (y - centre - shift_y) / scale
    image = np.full((SIZE, SIZE), rng.uniform(0.2, 0.8))  # background
    head = (u / face["head_rx"]) ** 2 + (v / face["head_ry"]) ** 2 <= 1.0
    image[head] = face["skin"]
    image[head & (v < face["hairline"])] = face["hair"]
    f = u - turn  # the features slide sideways as the head turns
    for side in (-1.0, 1.0):
        ex = f - side * face["eye_dx"]
        image[(ex ** 2 + (v - face["eye_y"]) ** 2) <= face["eye_r"] ** 2] = face["eye_shade"]
        brow_v = v - (face["eye_y"] - face["eye_r"] - face["brow_gap"] + 1.0)
        image[(abs(ex) <= face["eye_r"] + 1.0) & (abs(brow_v) <= 0.6)] = face["brow_shade"]
    image[(abs(f) <= 0.7) & (v > face["eye_y"]) & (v <= face["eye_y"] + face["nose_len"])] = face["nose_shade"]
    mouth_v = v - face["mouth_y"] - face["mouth_curve"] * f * f
    image[(abs(f) <= face["mouth_w"]) & (abs(mouth_v) <= 0.8)] = face["mouth_shade"]
    gradient_x, gradient_y = rng.uniform(-0.015, 0.015), rng.uniform(-0.015, 0.015)
    light = rng.uniform(0.8, 1.15) + gradient_x * (x - centre) + gradient_y * (y - centre)
    image = image * light + rng.normal(0.0, 0.04, size=(SIZE, SIZE))
    clipped: npt.NDArray[np.float64] = np.clip(image, 0.0, 1.0)
    return clipped


def faces(identities: int = IDENTITIES, per_identity: int = IMAGES_PER_IDENTITY,
          ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """`identities` x `per_identity` grey images, identity-major: inputs `(n, 32·32)` float32 in
    [0, 1] on the 8-bit grid (k/255), labels `(n,)` the identity (0 to identities - 1). Generated
    once per process (a second), then copied."""
    inputs, labels = _generated(identities, per_identity)
    return inputs.copy(), labels.copy()


@cache
def _generated(identities: int, per_identity: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    images = np.empty((identities * per_identity, SIZE, SIZE), dtype=np.float64)
    for identity in range(identities):
        rng = np.random.default_rng([_SEED, identity])
        face = _identity(rng)
        for k in range(per_identity):
            images[identity * per_identity + k] = _render(face, rng)
    pixels = np.rint(images * 255.0) / 255.0
    labels = np.repeat(np.arange(identities, dtype=np.int64), per_identity)
    return pixels.reshape(len(labels), -1).astype(np.float32), labels
