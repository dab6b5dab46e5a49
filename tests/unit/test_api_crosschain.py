"""The API's view of cross-chain routes (nnc.api.crosschain): the home gateway from the home
chain's record, and only the spokes whose gateway sends to it."""

from __future__ import annotations

import json
from pathlib import Path

from nnc.api.crosschain import home_gateway, spoke_chains
from nnc.chain.artifacts import Artifacts
from nnc.chain.deployment_folder import deployment_folder

HOME_GW = "0x" + "11" * 20
SPOKE_GW = "0x" + "22" * 20
OTHER_HOME = "0x" + "33" * 20


def _record(data_dir: Path, chain_id: int, body: dict[str, object] | str) -> None:
    folder = deployment_folder(data_dir, chain_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crosschain.json").write_text(body if isinstance(body, str) else json.dumps(body))


def _spoke(name: str, chain_id: int, gateway: str, remote: str) -> dict[str, object]:
    return {"chain": name, "chain_id": chain_id, "domain": chain_id, "rpc_url": f"http://127.0.0.1:{chain_id}",
            "gateway": {"contract": "SpokeGateway", "address": gateway, "block": 7},
            "remote": {"chain": "home", "domain": 31337, "gateway": remote}, "ism": "test ISM"}


def test_routes_come_from_the_records_and_only_spokes_of_this_home_count(tmp_path: Path) -> None:
    assert home_gateway(tmp_path, 31337) is None  # no record: no route
    _record(tmp_path, 31337, {"chain": "home", "chain_id": 31337, "domain": 31337, "rpc_url": "http://h",
                              "gateway": {"contract": "HomeGateway", "address": HOME_GW, "block": 3},
                              "remote": {"chain": "spoke", "domain": 31338, "gateway": SPOKE_GW}})
    _record(tmp_path, 31338, {**_spoke("spoke", 31338, SPOKE_GW, HOME_GW.upper().replace("0X", "0x")),
                              "tokens": {"SUSD": "0x" + "55" * 20, "BAD": "not an address"}})
    _record(tmp_path, 31339, _spoke("elsewhere", 31339, "0x" + "44" * 20, OTHER_HOME))  # another home's spoke
    _record(tmp_path, 31340, "{not json")  # unreadable: skipped, not fatal
    home = home_gateway(tmp_path, 31337)
    assert home is not None and home.lower() == HOME_GW
    spokes = spoke_chains(tmp_path, home, Artifacts())
    assert [s["name"] for s in spokes] == ["spoke"]
    spoke = spokes[0]
    assert spoke["chain_id_hex"] == hex(31338) and spoke["domain"] == 31338 and spoke["start_block"] == 7
    assert spoke["addresses"]["SpokeGateway"].lower() == SPOKE_GW
    assert any(e.get("name") == "publish" for e in spoke["abis"]["SpokeGateway"])
    assert spoke["tokens"] == {"SUSD": "0x" + "55" * 20}  # checksummed (all digits), the malformed one left out


def test_a_spoke_record_is_not_a_home_gateway(tmp_path: Path) -> None:
    _record(tmp_path, 31338, _spoke("spoke", 31338, SPOKE_GW, HOME_GW))
    assert home_gateway(tmp_path, 31338) is None
