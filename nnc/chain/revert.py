"""Turning revert data into readable errors: custom errors from every known ABI, Error, Panic."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from nnc.errors import ContractRevertError

_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")
_PANIC_CODES = {
    0x01: "assertion failed", 0x11: "arithmetic overflow or underflow", 0x12: "division by zero",
    0x21: "invalid enum value", 0x32: "array index out of bounds", 0x41: "out of memory",
}


def _signature_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_signature_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


class RevertDecoder:
    """Knows the custom errors of a set of ABIs and decodes revert data against them."""

    def __init__(self, abis: list[list[dict[str, Any]]], enums: dict[str, list[str]] | None = None) -> None:
        self._errors: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
        self._enums = enums or {}
        for abi in abis:
            for entry in abi:
                if entry.get("type") != "error":
                    continue
                types = ",".join(_signature_type(p) for p in entry["inputs"])
                selector = keccak(text=f"{entry['name']}({types})")[:4]
                self._errors[selector] = (entry["name"], entry["inputs"])

    def decode(self, data: bytes | str | None, context: str = "") -> ContractRevertError:
        raw = _to_bytes(data)
        prefix = f"{context}: " if context else ""
        if len(raw) < 4:
            return ContractRevertError(f"{prefix}reverted without a reason")
        selector, body = raw[:4], raw[4:]
        if selector == _ERROR_STRING:
            (reason,) = abi_decode(["string"], body)
            return ContractRevertError(f"{prefix}reverted: {reason}", name="Error", args={"reason": reason})
        if selector == _PANIC:
            (code,) = abi_decode(["uint256"], body)
            what = _PANIC_CODES.get(code, f"panic 0x{code:x}")
            return ContractRevertError(f"{prefix}reverted with a panic: {what}", name="Panic", args={"code": code})
        if selector not in self._errors:
            return ContractRevertError(f"{prefix}reverted with unknown error 0x{raw.hex()}")
        name, inputs = self._errors[selector]
        values = abi_decode([_signature_type(p) for p in inputs], body)
        pairs = enumerate(zip(inputs, values, strict=True))
        args = {p["name"] or f"arg{i}": self._present(p, v) for i, (p, v) in pairs}
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        return ContractRevertError(f"{prefix}{name}({shown})", name=name, args=args)

    def _present(self, param: dict[str, Any], value: Any) -> Any:
        internal = str(param.get("internalType", ""))
        if internal.startswith("enum "):
            enum_name = internal.split(".")[-1]
            members = self._enums.get(enum_name)
            if members and 0 <= value < len(members):
                return members[value]
        if isinstance(value, bytes):
            return "0x" + value.hex()
        return value


def _to_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    text = data[2:] if data.startswith("0x") else data
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""
