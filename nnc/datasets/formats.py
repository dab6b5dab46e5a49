"""The dataset formats a spec may name, and how a dataset directory shows which one it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, get_args

DatasetFormat = Literal["npz", "safetensors", "parquet", "imagefolder", "webdataset", "hf-datasets"]
FORMATS: Final[tuple[DatasetFormat, ...]] = get_args(DatasetFormat)
TEXT_FORMATS: Final[frozenset[DatasetFormat]] = frozenset({"parquet", "hf-datasets"})
"""Formats that can hold a text corpus (a `text` column); a plain UTF-8 file needs no format."""

IMAGE_SUFFIXES: Final = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".pgm", ".tif", ".tiff"})
SUFFIXES: Final[dict[DatasetFormat, tuple[str, ...]]] = {
    "npz": (".npz",), "safetensors": (".safetensors",), "parquet": (".parquet",), "webdataset": (".tar",),
}
"""The file suffixes of the formats whose files can be found by name."""


def dataset_root(path: Path) -> Path:
    """`path`, or the one folder inside it when that is all it holds (an archive of `mydata/...`)."""
    while path.is_dir():
        children = [c for c in path.iterdir() if not c.name.startswith(".")]
        if len(children) != 1 or not children[0].is_dir():
            break
        if _looks_like_imagefolder(path) or (children[0] / "dataset_info.json").exists():
            break
        path = children[0]
    return path


def files_with(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files under `root` (or `root` itself) whose names end in one of `suffixes`, sorted by path."""
    if root.is_file():
        return [root] if root.name.lower().endswith(suffixes) else []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes)
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def _looks_like_imagefolder(root: Path) -> bool:
    classes = [c for c in root.iterdir() if c.is_dir() and not c.name.startswith(".")]
    return bool(classes) and all(
        any(f.suffix.lower() in IMAGE_SUFFIXES for f in c.iterdir() if f.is_file()) for c in classes)


def detect_format(path: Path) -> DatasetFormat | None:
    """The format a dataset file or directory holds, by its files; None when no format fits."""
    root = dataset_root(path)
    if root.is_dir() and ((root / "state.json").is_file() or (root / "dataset_dict.json").is_file()):
        return "hf-datasets"
    by_name: tuple[DatasetFormat, ...] = ("parquet", "safetensors", "npz", "webdataset")
    for name in by_name:
        if files_with(root, SUFFIXES[name]):
            return name
    if root.is_dir() and _looks_like_imagefolder(root):
        return "imagefolder"
    return None
