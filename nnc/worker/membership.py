"""Joining the network: registering the node's measured hardware profile (again when it changed),
staking, publishing its encryption key, setting its price and joining the verifier pool."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from nnc.chain.types import ETH
from nnc.jsonfile import write_json_atomic
from nnc.node.profile import collect_profile, hardware_class, profile_digest, profile_json
from nnc.worker.node import Node

# the worker daemon's lines share one logger, whichever role writes them (operators filter on it)
log = logging.getLogger("nnc.worker.daemon")

REGISTERED_OFFERS = "registered-offers.json"
"""In the node's home: the runtimes and packages its registered profile declares."""


def registered_offers(home: Path) -> dict[str, Any] | None:
    """The runtimes and packages the node at `home` last registered (None: it has not, or before
    profiles listed packages): `{"runtimes": {framework: {package: version}}, "packages": {...}}`."""
    path = home / REGISTERED_OFFERS
    if not path.is_file():
        return None
    offers: dict[str, Any] = json.loads(path.read_text())
    return offers


class Membership:
    def __init__(self, node: Node) -> None:
        self.node = node

    def join(self, stake: int, benchmark_seconds: float = 1.0, price: int | None = None) -> None:
        """Registers the measured hardware profile, tops the stake up to `stake`, sets the price.

        `price` is per compute unit, in wei, for ETH-paid tasks (None leaves it as it is).

        The profile document is stored content-addressed, so its on-chain digest resolves. A
        registered node re-registers its profile only when its hardware class changed: the
        benchmark figures inside the profile vary from run to run, or when the runtimes it offers
        changed (an operator installed or dropped a framework).
        """
        n = self.node
        with n.context():
            self._register(benchmark_seconds)
            self._stake(stake)
            n.key.register(n.registry, n.address)
            if price is not None and n.registry.price_of(n.address, ETH) != price:
                n.registry.set_price(ETH, price)
                log.info("%s: price %d wei per compute unit", n.tag, price)
            if not n.spot_check.in_pool(n.address) and n.registry.is_eligible(n.address, 0, 0):
                n.spot_check.join()
                log.info("%s: joined the spot-check verifier pool", n.tag)

    def _register(self, benchmark_seconds: float) -> None:
        """Registers the profile, or re-registers it when the hardware class or runtimes changed."""
        n = self.node
        profile = collect_profile(benchmark_seconds, n.runtimes)
        n.benchmarks[profile.benchmark.device] = profile.benchmark.matmul_gflops
        n.gpu_models = [gpu.name for gpu in profile.gpus]
        digest, hw_class = profile_digest(profile), hardware_class(profile)
        registered = n.registry.node(n.address)
        offers = {"runtimes": profile.runtimes, "packages": profile.packages}
        offers_changed = registered_offers(n.home) != offers
        if registered.registered and registered.hardware_class == hw_class and not offers_changed:
            return
        n.store.put_bytes(profile_json(profile))
        if registered.registered:
            n.registry.update_profile(digest, hw_class)
        else:
            n.registry.register(digest, hw_class)
        write_json_atomic(n.home / REGISTERED_OFFERS, offers)
        log.info("%s: profile 0x%s… registered, hardware class %d, matmul %.1f GFLOPS, runtimes %s", n.tag,
                 digest.hex()[:12], hw_class, profile.benchmark.matmul_gflops, ", ".join(profile.runtimes))

    def _stake(self, stake: int) -> None:
        """Tops the stake up to `stake` (never withdraws)."""
        n = self.node
        staked = n.registry.node(n.address).staked
        if staked < stake:
            n.registry.stake(stake - staked)
            log.info("%s: staked %d more NNT-wei (total %d)", n.tag, stake - staked, stake)
