"""Progress bars of the CLI commands that train or upload: tqdm on stderr, shown when stderr is a
terminal, or always with `nnc --progress`, never with `--no-progress`. Daemons never show bars:
they log. Each bar yields the callback its work takes (None when the bar is off, so the work
pays nothing for it)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import click
from tqdm import tqdm

if TYPE_CHECKING:
    from nnc.storage import ProgressCallback

PROGRESS_KEY: Final = "nnc.progress"
"""`ctx.meta` key of the `--progress/--no-progress` choice (None: decide by the terminal)."""


def progress_enabled(ctx: click.Context) -> bool:
    forced = ctx.meta.get(PROGRESS_KEY)
    if forced is not None:
        return bool(forced)
    return sys.stderr.isatty()


@contextmanager
def bytes_bar(ctx: click.Context, description: str, total: int | None = None) -> Iterator[ProgressCallback | None]:
    """A bar in bytes; the callback takes (bytes done, total bytes)."""
    if not progress_enabled(ctx):
        yield None
        return
    with tqdm(desc=description, total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr) as bar:

        def report(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.update(done - bar.n)  # goes back when a transfer is retried
            if done >= total:
                bar.close()  # done: lines logged after the transfer come below the bar

        yield report


@contextmanager
def steps_bar(ctx: click.Context, description: str, total: int) -> Iterator[Callable[[int, float], None] | None]:
    """A bar of `total` training steps; the callback takes (step, loss) like `nnc.runtimes.dispatch.train`'s
    `on_progress`."""
    if not progress_enabled(ctx):
        yield None
        return
    with tqdm(desc=description, total=total, unit="step", file=sys.stderr) as bar:

        def report(step: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(step - bar.n)
            if step >= total:
                bar.close()

        yield report


@contextmanager
def stages_bar(ctx: click.Context, description: str, stages: list[str]) -> Iterator[Callable[[str], None] | None]:
    """A bar over named `stages` (e.g. proving, sending); the callback takes the stage now begun."""
    if not progress_enabled(ctx):
        yield None
        return
    with tqdm(desc=description, total=len(stages), unit="stage", file=sys.stderr) as bar:

        def report(stage: str) -> None:
            done = stages.index(stage) if stage in stages else bar.n
            bar.set_postfix_str(stage, refresh=False)
            bar.update(done - bar.n)

        yield report
        bar.update(bar.total - bar.n)
