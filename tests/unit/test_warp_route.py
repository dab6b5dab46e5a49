"""nnc.crosschain.warp without the CLI: the route's id and files, the deploy config it writes, and
reading the routers back from the CLI's `<id>-config.yaml` (`CLI_CONFIG` is what CLI 44.0.2 wrote
for a route `deploy_route` deployed on two anvils, addresses and names replaced; that run sent
tokens both ways with `send`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nnc.crosschain.warp import (
    RouteEnd,
    WarpRouteError,
    deploy_config,
    parse_route,
    read_route,
    route_files,
    route_id,
    send,
)

TOKEN = "0xe6e340d132b5f46d1e472debcd681b2abc16e57e"
COLLATERAL_ROUTER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SYNTHETIC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
MAILBOX = "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e"
OWNER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

CLI_CONFIG = f"""# yaml-language-server: $schema=../schema.json
tokens:
  - addressOrDenom: "{COLLATERAL_ROUTER}"
    chainName: spoke
    collateralAddressOrDenom: "{TOKEN}"
    connections:
      - token: ethereum|home|{SYNTHETIC}
    decimals: 6
    name: USD Coin
    standard: EvmHypCollateral
    symbol: USDC
    tokenType: collateral
  - addressOrDenom: "{SYNTHETIC}"
    chainName: home
    connections:
      - token: ethereum|spoke|{COLLATERAL_ROUTER}
    decimals: 6
    name: USD Coin
    standard: EvmHypSynthetic
    symbol: USDC
    tokenType: synthetic
"""


class _NoCli:
    """Stands where the CLI would: these calls must fail before running it."""

    def __init__(self, registry: Path) -> None:
        self.registry = registry

    def run(self, name: str, args: list[str], timeout: float) -> None:
        raise AssertionError(f"the CLI must not run: {args}")


def test_route_id_and_files_follow_the_clis_layout(tmp_path: Path) -> None:
    route = route_id("USDC", "spoke", "home")
    assert route == "USDC/spoke-home"
    deploy, deployed = route_files(tmp_path, route)
    assert deploy == tmp_path / "deployments" / "warp_routes" / "USDC" / "spoke-home-deploy.yaml"
    assert deployed == deploy.with_name("spoke-home-config.yaml")
    for bad in (("US/DC", "spoke", "home"), ("USDC", "Spoke", "home"), ("USDC", "home", "home")):
        with pytest.raises(WarpRouteError):
            route_id(*bad)


def test_deploy_config_is_collateral_on_the_spoke_and_a_same_decimals_synthetic_at_home() -> None:
    config = deploy_config(RouteEnd("spoke", MAILBOX, OWNER), RouteEnd("home", MAILBOX, OWNER), TOKEN,
                           "USD Coin", "USDC", 6)
    assert config["spoke"] == {"type": "collateral", "token": "0xE6E340D132b5f46d1e472DebcD681B2aBc16e57E",
                               "owner": OWNER, "mailbox": MAILBOX}
    assert config["home"]["type"] == "synthetic"
    assert config["home"]["decimals"] == 6
    assert yaml.safe_load(yaml.safe_dump(config)) == config  # written as JSON, read as YAML by the CLI
    with pytest.raises(WarpRouteError, match="decimals"):
        deploy_config(RouteEnd("spoke", MAILBOX, OWNER), RouteEnd("home", MAILBOX, OWNER), TOKEN, "X", "X", 77)


def test_routers_read_back_from_the_clis_config(tmp_path: Path) -> None:
    route = "USDC/spoke-home"
    with pytest.raises(WarpRouteError, match="not deployed"):
        read_route(tmp_path, route, "spoke", "home")
    _, deployed = route_files(tmp_path, route)
    deployed.parent.mkdir(parents=True)
    deployed.write_text(CLI_CONFIG)
    read = read_route(tmp_path, route, "spoke", "home")
    assert read.token == "0xE6E340D132b5f46d1e472DebcD681B2aBc16e57E", "the spoke gateway's token"
    assert read.collateral_router == COLLATERAL_ROUTER
    assert read.synthetic == SYNTHETIC, "the home token"
    assert (read.decimals, read.symbol) == (6, "USDC")


def test_a_route_the_gateways_cannot_use_is_refused() -> None:
    route = "USDC/spoke-home"
    with pytest.raises(WarpRouteError, match="expected a EvmHypCollateral token on home"):
        parse_route(CLI_CONFIG, route, "home", "spoke")  # the ends swapped
    with pytest.raises(WarpRouteError, match="need them equal"):
        parse_route(CLI_CONFIG.replace("decimals: 6", "decimals: 18", 1), route, "spoke", "home")
    with pytest.raises(WarpRouteError, match="no `tokens` list"):
        parse_route("routes: []\n", route, "spoke", "home")


def test_send_checks_its_arguments_before_running_the_cli(tmp_path: Path) -> None:
    cli = _NoCli(tmp_path)
    route = parse_route(CLI_CONFIG, "USDC/spoke-home", "spoke", "home")
    with pytest.raises(WarpRouteError, match="not 'third'"):
        send(cli, route, "third", 1, OWNER)
    with pytest.raises(WarpRouteError, match="positive"):
        send(cli, route, "spoke", 0, OWNER)
