"""Content identifiers (CIDs) for the SHA-256 content IPFS stores: parse, encode, compare.

Covers what kubo's `add` produces: CIDv0 (`Qm…`, base58btc, dag-pb) and CIDv1 in base32
(`bafy…` for dag-pb, `bafk…` for raw leaves), with sha2-256 multihashes. See the multiformats
specs (CID, multibase, multicodec, multihash, unsigned-varint).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Final

from nnc.errors import StorageError

RAW: Final = 0x55
DAG_PB: Final = 0x70
SHA2_256: Final = 0x12
_DIGEST_LEN: Final = 32
_BASE58_ALPHABET: Final = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX: Final = {c: i for i, c in enumerate(_BASE58_ALPHABET)}


class CidError(StorageError):
    """A string is not a CID this module understands."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"invalid CID {text!r}: {reason} (expected Qm… or base32 b… with a sha2-256 multihash)")
        self.text = text


def varint(value: int) -> bytes:
    """Unsigned LEB128, as multiformats and protobuf encode integers."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("truncated varint")


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = bytearray()
    while number:
        number, rem = divmod(number, 58)
        out.append(_BASE58_ALPHABET[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return (b"1" * pad + bytes(reversed(out))).decode("ascii")


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text.encode("ascii"):
        if char not in _BASE58_INDEX:
            raise ValueError(f"{chr(char)!r} is not a base58btc digit")
        number = number * 58 + _BASE58_INDEX[char]
    pad = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * pad + body


@dataclass(frozen=True)
class Cid:
    """A CID with a sha2-256 digest; `str()` gives kubo's text form (base58btc for v0, base32 for v1)."""

    version: int
    codec: int
    digest: bytes

    def __post_init__(self) -> None:
        if self.version not in (0, 1) or len(self.digest) != _DIGEST_LEN:
            raise ValueError(f"unsupported CID version {self.version} or digest length {len(self.digest)}")
        if self.version == 0 and self.codec != DAG_PB:
            raise ValueError("CIDv0 is always dag-pb")

    @classmethod
    def of_block(cls, block: bytes, codec: int, version: int = 1) -> Cid:
        """The CID of a block's bytes under `codec`."""
        return cls(version, codec, hashlib.sha256(block).digest())

    @property
    def multihash(self) -> bytes:
        return bytes([SHA2_256, _DIGEST_LEN]) + self.digest

    def to_bytes(self) -> bytes:
        """Binary form, as dag-pb links hold it."""
        if self.version == 0:
            return self.multihash
        return varint(1) + varint(self.codec) + self.multihash

    def __str__(self) -> str:
        if self.version == 0:
            return base58btc_encode(self.multihash)
        return "b" + base64.b32encode(self.to_bytes()).decode("ascii").lower().rstrip("=")

    @classmethod
    def parse(cls, text: str) -> Cid:
        """Parses `Qm…` (v0) or `b…` (v1, base32) text; raises `CidError` naming the text otherwise."""
        try:
            if len(text) == 46 and text.startswith("Qm"):
                return cls._from_multihash(0, DAG_PB, base58btc_decode(text))
            if not text.startswith("b"):
                raise ValueError("only base58btc CIDv0 and base32 CIDv1 are supported")
            body = text[1:].upper()
            raw = base64.b32decode(body + "=" * (-len(body) % 8))
            version, pos = _read_varint(raw, 0)
            if version != 1:
                raise ValueError(f"CID version {version}")
            codec, pos = _read_varint(raw, pos)
            if codec not in (RAW, DAG_PB):
                raise ValueError(f"codec 0x{codec:x} is neither raw (0x55) nor dag-pb (0x70)")
            return cls._from_multihash(1, codec, raw[pos:])
        except (ValueError, UnicodeEncodeError) as exc:
            raise CidError(text, str(exc)) from None

    @classmethod
    def _from_multihash(cls, version: int, codec: int, multihash: bytes) -> Cid:
        if len(multihash) != 2 + _DIGEST_LEN or multihash[0] != SHA2_256 or multihash[1] != _DIGEST_LEN:
            raise ValueError("multihash is not sha2-256")
        return cls(version, codec, multihash[2:])
