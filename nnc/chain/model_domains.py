"""The domains a model library listing may name (`IModelRegistry.Metadata.domain`). The contract
checks only the name's length (32 bytes at most), so every writer (the CLI, the API, the oracle,
a spec's `library` section) checks the name against `DOMAINS` here. Plain data with no web3, so a
spec can be validated without loading the chain client."""

from __future__ import annotations

from typing import Final, Literal

Domain = Literal["vision", "text", "audio", "video", "custom"]
DOMAINS: Final[tuple[Domain, ...]] = ("vision", "text", "audio", "video", "custom")
"""The known domains; a listing may also name none ("")."""


def check_domain(domain: str) -> str:
    """`domain` when it is one of `DOMAINS` or empty; ValueError naming the known ones otherwise."""
    if domain and domain not in DOMAINS:
        raise ValueError(f"unknown model domain {domain!r} (known: {', '.join(DOMAINS)}, or none)")
    return domain
