"""A Hyperlane warp route for the gateways' ERC-20 routes, deployed and used with Hyperlane's CLI.

A warp route moves one ERC-20 between two chains: on the **spoke** a *collateral* router locks the
token itself, on the **home** chain a *synthetic* router (an ERC-20 of its own, same decimals)
mints and burns its twin. How the gateways use one (`contracts/src/crosschain/`, README
"ERC-20 routes"):

- the collateral's token is the spoke token: `SpokeGateway.setTokenAllowed(token, True)`;
- the synthetic router is the home token: `MarketConfig.setTokenAllowed(synthetic, True)` and
  `HomeGateway.setTokenRoute(spoke_domain, token, synthetic)`;
- the backer warps spoke tokens home (`warp_send`, spoke → home) and deposits them in the pool
  (`HomeGateway.fundToken`); what it is credited on the spoke it may warp home again.

The CLI keeps everything in a local registry folder (see the probe, `../shared/probes/hyperlane/`):
the route's deploy config must be `deployments/warp_routes/<SYMBOL>/<id>-deploy.yaml` and the CLI
writes the deployed routers to `<id>-config.yaml` next to it (`warp deploy --warp-route-id
<SYMBOL>/<id>`). Config files are written as JSON (which is YAML); the CLI's output is read with
PyYAML. Trust: the routers' owner can change their ISM and remote routers, i.e. mint unbacked
synthetic tokens; on a real deployment it must be governance, and the routers' ISM a multisig or
aggregation ISM (the devnet's core default is Hyperlane's accept-everything test ISM).

The CLI itself is any `CliRunner`: `nnc.crosschain.hyperlane.HyperlaneCli` (its `registry` folder
and `run(name, args, timeout)`, output in its log folder) is one.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml
from web3 import Web3

from nnc.errors import ChainError

log = logging.getLogger(__name__)

COLLATERAL = "EvmHypCollateral"
SYNTHETIC = "EvmHypSynthetic"
"""Hyperlane's token standards of the two ends, as its `<id>-config.yaml` names them."""

_SYMBOL = re.compile(r"^[A-Za-z0-9]{1,16}$")
_CHAIN = re.compile(r"^[a-z0-9]+$")


class WarpRouteError(ChainError):
    """A warp route could not be deployed, read or used (the message says what and where)."""


class CliRunner(Protocol):
    """Runs Hyperlane's CLI against the local registry in `registry` (`run` raises on failure)."""

    registry: Path

    def run(self, name: str, args: list[str], timeout: float) -> None: ...


@dataclass(frozen=True)
class RouteEnd:
    """One chain of the route: its registry name, its Hyperlane Mailbox and the routers' owner."""

    chain: str
    mailbox: str
    owner: str


@dataclass(frozen=True)
class WarpRoute:
    """A deployed collateral (spoke) / synthetic (home) warp route."""

    route_id: str
    symbol: str
    decimals: int
    collateral_chain: str
    token: str
    """The ERC-20 locked on the spoke: the SpokeGateway's allow-listed token."""
    collateral_router: str
    """The spoke router that holds the locked tokens (`warp send` from the spoke approves it)."""
    synthetic_chain: str
    synthetic: str
    """The home router, an ERC-20 itself: the market's allow-listed token and the home token of
    `HomeGateway.setTokenRoute`."""


def route_id(symbol: str, collateral_chain: str, synthetic_chain: str) -> str:
    """The CLI's id of the route of `symbol` from `collateral_chain` to `synthetic_chain`."""
    if not _SYMBOL.match(symbol):
        raise WarpRouteError(f"warp route symbol {symbol!r}: use 1 to 16 letters or digits")
    for chain in (collateral_chain, synthetic_chain):
        if not _CHAIN.match(chain):
            raise WarpRouteError(f"chain name {chain!r}: Hyperlane's registry takes lowercase letters and digits")
    if collateral_chain == synthetic_chain:
        raise WarpRouteError(f"a warp route joins two chains, not {collateral_chain!r} to itself")
    return f"{symbol}/{collateral_chain}-{synthetic_chain}"


def route_files(registry: Path, route: str) -> tuple[Path, Path]:
    """The route's deploy config (ours) and deployed config (the CLI's) in `registry`."""
    symbol, _, name = route.partition("/")
    folder = registry / "deployments" / "warp_routes" / symbol
    return folder / f"{name}-deploy.yaml", folder / f"{name}-config.yaml"


def deploy_config(collateral: RouteEnd, synthetic: RouteEnd, token: str, name: str, symbol: str,
                  decimals: int) -> dict[str, dict[str, Any]]:
    """The CLI's warp deploy config: `token` as collateral on one end, a synthetic of the same
    name, symbol and decimals on the other (equal decimals: the gateways count the two 1:1)."""
    if not 0 <= decimals <= 36:
        raise WarpRouteError(f"decimals {decimals}: an ERC-20 has 0 to 36")
    return {
        collateral.chain: {"type": "collateral", "token": Web3.to_checksum_address(token),
                           "owner": Web3.to_checksum_address(collateral.owner),
                           "mailbox": Web3.to_checksum_address(collateral.mailbox)},
        synthetic.chain: {"type": "synthetic", "owner": Web3.to_checksum_address(synthetic.owner),
                          "mailbox": Web3.to_checksum_address(synthetic.mailbox),
                          "name": name, "symbol": symbol, "decimals": decimals},
    }


def parse_route(text: str, route: str, collateral_chain: str, synthetic_chain: str) -> WarpRoute:
    """The routers of `route` from the CLI's `<id>-config.yaml` (its WarpCoreConfig `tokens`)."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WarpRouteError(f"warp route {route}: its config is not YAML: {exc}") from None
    tokens = config.get("tokens") if isinstance(config, dict) else None
    if not isinstance(tokens, list):
        raise WarpRouteError(f"warp route {route}: its config has no `tokens` list")
    by_chain = {str(t.get("chainName")): t for t in tokens if isinstance(t, dict)}
    ends = []
    for chain, standard in ((collateral_chain, COLLATERAL), (synthetic_chain, SYNTHETIC)):
        entry = by_chain.get(chain)
        if entry is None or entry.get("standard") != standard:
            found = {c: t.get("standard") for c, t in by_chain.items()}
            raise WarpRouteError(f"warp route {route}: expected a {standard} token on {chain}, found {found}")
        ends.append(entry)
    collateral, synthetic = ends
    if collateral.get("decimals") != synthetic.get("decimals"):
        raise WarpRouteError(f"warp route {route}: collateral has {collateral.get('decimals')} decimals, the "
                             f"synthetic {synthetic.get('decimals')}; the gateways need them equal (1:1)")
    try:
        return WarpRoute(
            route_id=route, symbol=str(synthetic.get("symbol", route.partition("/")[0])),
            decimals=int(synthetic["decimals"]), collateral_chain=collateral_chain,
            token=Web3.to_checksum_address(str(collateral["collateralAddressOrDenom"])),
            collateral_router=Web3.to_checksum_address(str(collateral["addressOrDenom"])),
            synthetic_chain=synthetic_chain, synthetic=Web3.to_checksum_address(str(synthetic["addressOrDenom"])))
    except (KeyError, ValueError) as exc:
        raise WarpRouteError(f"warp route {route}: its config lacks or garbles {exc}") from None


def read_route(registry: Path, route: str, collateral_chain: str, synthetic_chain: str) -> WarpRoute:
    """The deployed route `route` as the CLI recorded it in `registry`."""
    _, deployed = route_files(registry, route)
    if not deployed.exists():
        raise WarpRouteError(f"warp route {route} is not deployed: no {deployed}")
    return parse_route(deployed.read_text(), route, collateral_chain, synthetic_chain)


def deploy_route(cli: CliRunner, collateral: RouteEnd, synthetic: RouteEnd, token: str, name: str, symbol: str,
                 decimals: int, timeout: float = 300.0) -> WarpRoute:
    """Deploys a warp route for ERC-20 `token` (on `collateral.chain`, with `decimals`) to a
    synthetic `symbol` on `synthetic.chain`, signed by the CLI's key; returns its routers."""
    route = route_id(symbol, collateral.chain, synthetic.chain)
    config_file, _ = route_files(cli.registry, route)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config = deploy_config(collateral, synthetic, token, name, symbol, decimals)
    config_file.write_text(json.dumps(config, indent=2) + "\n")
    cli.run(f"warp-deploy-{symbol}", ["warp", "deploy", "--warp-route-id", route, "-y"], timeout)
    deployed = read_route(cli.registry, route, collateral.chain, synthetic.chain)
    log.info("warp route %s: %s on %s (router %s) <-> synthetic %s on %s", route, deployed.token,
             collateral.chain, deployed.collateral_router, deployed.synthetic, synthetic.chain)
    return deployed


def send(cli: CliRunner, route: WarpRoute, origin: str, amount: int, recipient: str, relay: bool = True,
         timeout: float = 180.0) -> None:
    """Moves `amount` (base units) over `route` from `origin` to the other end, to `recipient`,
    signed by the CLI's key (it approves the collateral router itself); returns once the
    transfer is delivered. `relay`: the CLI delivers the message itself (`--relay`), so no
    relayer is needed; without it the running relayer must deliver it within `timeout`."""
    ends = (route.collateral_chain, route.synthetic_chain)
    if origin not in ends:
        raise WarpRouteError(f"warp route {route.route_id} joins {ends[0]} and {ends[1]}, not {origin!r}")
    if amount <= 0:
        raise WarpRouteError(f"warp send over {route.route_id}: amount must be positive, not {amount}")
    destination = ends[1] if origin == ends[0] else ends[0]
    cli.run(f"warp-send-{route.symbol}-{origin}",
            ["warp", "send", "--warp-route-id", route.route_id, "--origin", origin, "--destination", destination,
             "--amount", str(amount), "--recipient", Web3.to_checksum_address(recipient),
             *(["--relay"] if relay else []), "-y", "--timeout", str(int(timeout))], timeout + 30)
