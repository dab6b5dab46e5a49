"""The devnet's anvil keeps what it writes (its accounts file, the old states it moves out of
memory) in a directory of its own, removed when it stops: anvil's default, ~/.foundry/anvil/tmp,
kept 42 GB of states from earlier test runs on this machine."""

from __future__ import annotations

import requests

from nnc.chain.devnet import Anvil


def test_anvil_persists_old_states_in_its_own_directory_and_removes_it_on_stop() -> None:
    anvil = Anvil().start()
    try:
        state_dir = anvil.state_dir
        assert state_dir is not None and (state_dir / "anvil.json").is_file()
        reply = requests.post(anvil.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "anvil_mine",
                                                   "params": ["0x400"]}, timeout=60)
        assert "error" not in reply.json()
        persisted = [path for path in (state_dir / "states").rglob("*") if path.is_file()]
        assert persisted, "anvil kept every state in memory: mine more blocks to see where it persists them"
    finally:
        anvil.stop()
    assert not state_dir.exists() and anvil.state_dir is None
