"""Revert data is decoded into the contract's custom error with named, readable values."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from nnc.chain.revert import RevertDecoder
from nnc.chain.types import SOLIDITY_ENUMS

ABI = [
    {"type": "error", "name": "InvalidStatus", "inputs": [
        {"name": "taskId", "type": "uint256", "internalType": "uint256"},
        {"name": "have", "type": "uint8", "internalType": "enum ITaskMarket.TaskStatus"},
        {"name": "want", "type": "uint8", "internalType": "enum ITaskMarket.TaskStatus"}]},
    {"type": "error", "name": "TokenNotAllowed", "inputs": [
        {"name": "token", "type": "address", "internalType": "address"}]},
]


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_custom_error_with_enum_values_is_named() -> None:
    data = selector("InvalidStatus(uint256,uint8,uint8)") + encode(["uint256", "uint8", "uint8"], [7, 6, 4])
    err = RevertDecoder([ABI], SOLIDITY_ENUMS).decode("0x" + data.hex(), "settle task 7")
    assert err.name == "InvalidStatus"
    assert err.args_by_name == {"taskId": 7, "have": "Settled", "want": "Submitted"}
    assert str(err) == "settle task 7: InvalidStatus(taskId=7, have=Settled, want=Submitted)"


def test_address_argument_error() -> None:
    token = "0x000000000000000000000000000000000000dead"
    data = selector("TokenNotAllowed(address)") + encode(["address"], [token])
    err = RevertDecoder([ABI]).decode(data)
    assert err.name == "TokenNotAllowed" and str(err.args_by_name["token"]).lower() == token


def test_string_reason_panic_unknown_and_empty() -> None:
    decoder = RevertDecoder([ABI])
    reason = bytes.fromhex("08c379a0") + encode(["string"], ["nope"])
    assert str(decoder.decode(reason)) == "reverted: nope"
    panic = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])
    assert "overflow" in str(decoder.decode(panic))
    assert "unknown error 0xdeadbeef" in str(decoder.decode("0xdeadbeef"))
    assert "without a reason" in str(decoder.decode(None))


def test_protocol_errors_reuse_no_name_with_other_arguments() -> None:
    """One name, one meaning: an error name declared by several protocol contracts carries the
    same arguments everywhere, so a client decodes it the same way whoever reverted."""
    from nnc.chain.artifacts import Artifacts

    seen: dict[str, str] = {}
    for abi in Artifacts().all_abis():
        for entry in abi:
            if entry.get("type") != "error":
                continue
            signature = ",".join(f"{p['internalType']} {p['name']}" for p in entry["inputs"])
            assert seen.setdefault(entry["name"], signature) == signature, (
                f"{entry['name']} declared with ({seen[entry['name']]}) and ({signature})")


def test_statuses_and_reasons_in_protocol_errors_decode_to_names() -> None:
    """Statuses and reasons in the protocol's errors are enums in the ABI, so they read as names."""
    from nnc.chain.artifacts import Artifacts

    decoder = RevertDecoder(Artifacts().all_abis(), SOLIDITY_ENUMS)
    node = "0x000000000000000000000000000000000000dead"
    data = selector("NotEligible(uint256,address,uint8)") + encode(["uint256", "address", "uint8"], [3, node, 1])
    assert decoder.decode(data).args_by_name["reason"] == "Stake"
    data = selector("TaskNotFinished(uint256,uint8)") + encode(["uint256", "uint8"], [3, 4])
    assert decoder.decode(data).args_by_name["status"] == "Submitted"
    data = selector("NotChallengeable(uint256,uint8)") + encode(["uint256", "uint8"], [3, 6])
    assert decoder.decode(data).args_by_name["status"] == "Settled"


def test_every_enum_a_protocol_error_carries_decodes_to_its_name() -> None:
    """The decoder's enum table is the generated mirror: every enum argument of every protocol
    error reads as a member name (check and dispute statuses, reputation outcomes, proposal states)."""
    from nnc.chain.artifacts import Artifacts
    from nnc.chain.generated import ENUMS, ERRORS

    decoder = RevertDecoder(Artifacts().all_abis(), SOLIDITY_ENUMS)
    carrying = {name: args for name, args in ERRORS.items() if any(a.enum for a in args)}
    expected = {"InvalidCheckStatus", "DisputeNotOpen", "GainNeedsValue", "GovernorUnexpectedProposalState"}
    assert expected <= carrying.keys()
    for name, args in carrying.items():
        types = [a.type for a in args]
        zero = {"address": "0x" + "00" * 20, "bytes32": bytes(32), "bool": False, "string": "", "bytes": b""}
        values = [len(ENUMS[a.enum]) - 1 if a.enum else zero.get(a.type, 0) for a in args]
        err = decoder.decode(selector(f"{name}({','.join(types)})") + encode(types, values))
        assert err.name == name
        for a in args:
            if a.enum:
                assert err.args_by_name[a.name] == ENUMS[a.enum][-1], (name, a.name)
