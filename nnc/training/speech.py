"""Speech datasets (kind `speech`: clips of audio with their transcripts) for speech recognition.

`spoken-digits` is generated offline by Debian's `espeak-ng` (a formant synthesiser: no voice data
is downloaded): the ten digit words said by several voices at several speeds and pitches, one
`espeak-ng` process per clip, its 22,050 Hz int16 output resampled to 16 kHz
(`scipy.signal.resample_poly`) and cut or zero-padded to `CLIP_SAMPLES`. Two generations are
byte-identical, in the sandbox too: the voices are those without espeak-ng's breath noise, which
draws from the C library's `rand()`, whose state depends on what the audio back end did at
start-up (a private /tmp changed `en+f3`'s clips). Another espeak-ng version may say the words
differently, which the digest a spec pins catches (`SpeechDatasetError` names the dataset, both
digests and this machine's espeak-ng).

A generation is cached by its recipe and espeak-ng's version (`cache_dir()`: `$XDG_CACHE_HOME/nnc/speech`, which the
sandboxed child points into its work directory; espeak-ng runs there too, since the sandbox sees
the root filesystem read-only and needs no network for it). A requester may instead store a
dataset and name its `uri`: an .npz of `audio` (float32, `(n, samples)` at 16 kHz in [-1, 1])
and `transcripts` (a unicode array of `n` strings), loaded with `load_speech_file`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from nnc.errors import DatasetError
from nnc.task.model_specs import WHISPER_TRANSCRIPT_BYTES as MAX_TRANSCRIPT_BYTES

SAMPLE_RATE: Final = 16_000
"""Samples per second of every clip (what the Whisper feature extractor takes)."""
CLIP_SECONDS: Final = 1
CLIP_SAMPLES: Final = SAMPLE_RATE * CLIP_SECONDS
"""Clips are cut or zero-padded to one second (espeak-ng's digit words end by 0.75 s)."""
ESPEAK: Final = "espeak-ng"
ESPEAK_RATE: Final = 22_050

DIGIT_WORDS: Final = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class SpeechRecipe:
    """What `espeak-ng` says to make a dataset: every word in every voice, speed (words per
    minute) and pitch (0-99), in that order (word slowest-varying)."""

    words: tuple[str, ...]
    voices: tuple[str, ...]
    speeds: tuple[int, ...]
    pitches: tuple[int, ...]

    def key(self) -> str:
        """A name for the recipe's cache entry (its parameters' SHA-256, short)."""
        text = json.dumps([self.words, self.voices, self.speeds, self.pitches, SAMPLE_RATE, CLIP_SAMPLES])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


SPEECH_RECIPES: Final = {
    "spoken-digits": SpeechRecipe(words=DIGIT_WORDS, voices=("en-us", "en+f4", "en-gb", "en+m3"),
                                  speeds=(130, 160, 190), pitches=(35, 50, 65)),
}
"""The generated speech datasets by name: `spoken-digits` is 360 clips (10 words x 4 voices x 3
speeds x 3 pitches), generated in a few seconds."""


class SpeechDatasetError(DatasetError):
    """A speech dataset could not be made or read, or is not the one the spec pins."""


@dataclass(frozen=True)
class SpeechArrays:
    """Clips `audio` (float32, `(n, CLIP_SAMPLES)`, 16 kHz, in [-1, 1]) and their `transcripts`."""

    audio: npt.NDArray[np.float32]
    transcripts: tuple[str, ...]

    @cached_property
    def digest(self) -> str:
        """`speech_digest` of these clips, computed once."""
        return speech_digest(self)


def speech_digest(arrays: SpeechArrays) -> str:
    """SHA-256 (hex) of the audio as float32 little-endian, then each transcript's UTF-8 bytes
    after its length (uint32 big-endian): what a spec's `dataset.digest` pins."""
    hasher = hashlib.sha256()
    hasher.update(np.ascontiguousarray(arrays.audio, dtype="<f4").tobytes())
    for text in arrays.transcripts:
        raw = text.encode("utf-8")
        hasher.update(struct.pack(">I", len(raw)) + raw)
    return hasher.hexdigest()


def espeak_version() -> str:
    """This machine's espeak-ng as it names itself ("eSpeak NG text-to-speech: 1.51 ..."), or a
    sentence saying it is missing."""
    if shutil.which(ESPEAK) is None:
        return "espeak-ng not installed"
    out = subprocess.run([ESPEAK, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().split("  Data at")[0] or f"espeak-ng (exit status {out.returncode})"


def _wav_samples(raw: bytes, what: str) -> npt.NDArray[np.int16]:
    """The int16 samples of a mono 22,050 Hz WAV stream as espeak-ng writes it on stdout (its
    header's sizes are placeholders there: the samples are everything after the `data` tag)."""
    start = raw.find(b"data")
    if raw[:4] != b"RIFF" or start < 0:
        raise SpeechDatasetError(f"espeak-ng gave no WAV audio for {what}")
    channels, rate, bits = struct.unpack("<H I", raw[22:28]) + struct.unpack("<H", raw[34:36])
    if (channels, rate, bits) != (1, ESPEAK_RATE, 16):
        raise SpeechDatasetError(f"espeak-ng wrote {channels} channel(s) at {rate} Hz, {bits} bit for {what}; "
                                 f"expected mono {ESPEAK_RATE} Hz 16 bit")
    body = raw[start + 8:]
    return np.frombuffer(body[:len(body) - len(body) % 2], dtype="<i2")


def _say(word: str, voice: str, speed: int, pitch: int) -> npt.NDArray[np.float32]:
    """One clip: `word` said by espeak-ng, resampled to 16 kHz and cut or padded to one second."""
    from scipy.signal import resample_poly

    what = f"{word!r} (voice {voice}, speed {speed}, pitch {pitch})"
    try:
        out = subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
                             capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise SpeechDatasetError("speech datasets are generated with espeak-ng, which is not installed "
                                 "(apt-get install espeak-ng, or `make system-packages`)") from exc
    if out.returncode != 0:
        raise SpeechDatasetError(f"espeak-ng failed for {what} (exit status {out.returncode}): "
                                 f"{out.stderr.decode(errors='replace').strip()[:200]}")
    samples = _wav_samples(out.stdout, what).astype(np.float64) / 32768.0
    resampled = resample_poly(samples, SAMPLE_RATE // 50, ESPEAK_RATE // 50)  # 320 / 441
    clip = np.zeros(CLIP_SAMPLES, dtype=np.float32)
    kept = resampled[:CLIP_SAMPLES]
    clip[:len(kept)] = np.clip(kept, -1.0, 1.0)
    return clip


def generate_speech(recipe: SpeechRecipe, workers: int = 4) -> SpeechArrays:
    """The recipe's clips, said by espeak-ng (`workers` processes at a time; the result does not
    depend on how many)."""
    jobs = [(word, voice, speed, pitch) for word in recipe.words for voice in recipe.voices
            for speed in recipe.speeds for pitch in recipe.pitches]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        clips = list(pool.map(lambda job: _say(*job), jobs))
    return SpeechArrays(audio=np.stack(clips), transcripts=tuple(job[0] for job in jobs))


def cache_dir() -> Path:
    """Where generated speech datasets are kept: `$XDG_CACHE_HOME/nnc/speech` (default
    `~/.cache/nnc/speech`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nnc" / "speech"


def generated_speech(name: str, cache: Path | None = None) -> SpeechArrays:
    """Dataset `name`'s clips from the cache (`cache`, default `cache_dir()`, by recipe and
    espeak-ng version), generated and cached when missing (a cache that cannot be written is
    skipped: the clips are generated each time)."""
    recipe = SPEECH_RECIPES.get(name)
    if recipe is None:
        raise SpeechDatasetError(f"dataset {name!r} is not a generated speech dataset "
                                 f"(known: {', '.join(SPEECH_RECIPES)})")
    version = hashlib.sha256(espeak_version().encode()).hexdigest()[:8]  # an upgraded espeak-ng: generate again
    path = (cache or cache_dir()) / f"{name}-{recipe.key()}-{version}.npz"
    if path.is_file():
        try:
            return load_speech_file(path)
        except SpeechDatasetError:
            pass  # a torn or foreign file: generate again
    arrays = generate_speech(recipe)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        with partial.open("wb") as fh:
            np.savez(fh, audio=arrays.audio, transcripts=np.asarray(arrays.transcripts, dtype=np.str_))
        partial.replace(path)
    except OSError:
        pass
    return arrays


def load_speech_file(path: Path) -> SpeechArrays:
    """A stored speech dataset: an .npz (no pickles) of `audio`, float32 `(n, samples)` at 16 kHz
    in [-1, 1] (cut or zero-padded here to `CLIP_SAMPLES`), and `transcripts`, `n` strings."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            audio, transcripts = archive["audio"], archive["transcripts"]
    except (OSError, ValueError, KeyError) as exc:
        raise SpeechDatasetError(f"speech dataset {path} is not an .npz with 'audio' and 'transcripts' arrays: "
                                 f"{exc}") from exc
    if audio.dtype != np.float32 or audio.ndim != 2 or transcripts.dtype.kind != "U" or \
            transcripts.shape != audio.shape[:1]:
        raise SpeechDatasetError(f"speech dataset {path}: expected float32 audio (n, samples) and n unicode "
                                 f"transcripts, got {audio.dtype} {audio.shape} and {transcripts.dtype} "
                                 f"{transcripts.shape}")
    texts = tuple(str(text) for text in transcripts)
    too_long = [text for text in texts if len(text.encode("utf-8")) > MAX_TRANSCRIPT_BYTES or not text.strip()]
    if too_long:
        raise SpeechDatasetError(f"speech dataset {path}: transcript {too_long[0]!r} is empty or over "
                                 f"{MAX_TRANSCRIPT_BYTES} bytes")
    fitted = np.zeros((len(audio), CLIP_SAMPLES), dtype=np.float32)
    kept = audio[:, :CLIP_SAMPLES]
    fitted[:, :kept.shape[1]] = kept
    return SpeechArrays(audio=fitted, transcripts=texts)


def load_speech(name: str, uri: str | None, digest: str | None, dataset_file: Path | None) -> SpeechArrays:
    """A spec's speech dataset: the stored file (`dataset_file`, its fetched `uri`) or the
    generated one, checked against the pinned `digest`."""
    if uri is not None and dataset_file is None:
        raise SpeechDatasetError(f"dataset {name!r} lives at {uri}: fetch it and pass the file")
    arrays = load_speech_file(dataset_file) if dataset_file is not None else generated_speech(name)
    if digest is not None:
        actual = arrays.digest
        if actual != digest:
            made = f"stored at {uri}" if dataset_file is not None else f"generated here by {espeak_version()}"
            raise SpeechDatasetError(f"dataset {name!r} has digest {actual}, the spec pins {digest} ({made}; "
                                     "another espeak-ng version may say the words differently: store the "
                                     "dataset and give its uri, or install the espeak-ng the spec was made with)")
    return arrays
