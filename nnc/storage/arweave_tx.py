"""Arweave wallets and transactions: keys, signing through `arweave-python-client`, and checking a
transaction header someone else serves us.

The client hard-codes https://arweave.net and calls it (without time-outs) from its constructors;
the subclasses here set the endpoint to ours and route the two calls they make (`/tx_anchor`,
`/price`) through `HttpService`, so they get time-outs and retries like everything else. The
client's own `send()` and uploader log HTTP errors instead of raising, so `ArweaveStore` posts the
signed transaction and its chunks itself and checks every answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Final

import arweave.arweave_lib as arweave_lib
import arweave.merkle as merkle
import requests
from arweave.deep_hash import deep_hash
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jose.utils import base64url_encode

from nnc.errors import ConfigError, IntegrityError, StorageError
from nnc.storage.transport import HttpService, raise_for_transient

RSA_BITS: Final = 4096
"""Arweave wallets are 4096-bit RSA keys (public exponent 65537)."""
_JWK_FIELDS: Final = ("n", "e", "d", "p", "q", "dp", "dq", "qi")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def generate_wallet() -> dict[str, str]:
    """A new Arweave wallet as a JWK (the format of Arweave key files)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private = key.private_numbers()
    public = private.public_numbers
    return {"kty": "RSA", "e": _int_b64url(public.e), "n": _int_b64url(public.n), "d": _int_b64url(private.d),
            "p": _int_b64url(private.p), "q": _int_b64url(private.q), "dp": _int_b64url(private.dmp1),
            "dq": _int_b64url(private.dmq1), "qi": _int_b64url(private.iqmp)}


def save_wallet(jwk: Mapping[str, str], path: Path) -> Path:
    """Writes the JWK to `path`, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(dict(jwk), handle)
    return path


def load_wallet(path: Path) -> dict[str, str]:
    """Reads a JWK key file; `ConfigError` naming the file when it is missing or not an RSA JWK."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read Arweave wallet {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("kty") != "RSA" or any(f not in data for f in _JWK_FIELDS):
        raise ConfigError(f"Arweave wallet {path} is not an RSA JWK with fields {', '.join(_JWK_FIELDS)}")
    return {str(k): str(v) for k, v in data.items()}


def wallet_address(jwk: Mapping[str, str]) -> str:
    """The wallet's address: base64url(SHA-256(modulus))."""
    return b64url(hashlib.sha256(b64url_decode(jwk["n"])).digest())


class ClientWallet(arweave_lib.Wallet):  # type: ignore[misc]  # the client has no type hints
    """The client's `Wallet` for `service`, asking it for the anchor with time-outs and retries."""

    def __init__(self, jwk: Mapping[str, str], service: HttpService) -> None:
        self.jwk_data = dict(jwk)
        self._set_jwk_params()
        self.api_url = service.base_url
        self._service = service

    def get_last_transaction_id(self) -> str:
        url = self._service.url("/tx_anchor")
        self.last_tx = self._service.call(lambda s: get_text(s, url, self._service), "tx_anchor")
        return str(self.last_tx)


class ClientTransaction(arweave_lib.Transaction):  # type: ignore[misc]
    """A format-2 data transaction over the rest of `handle` (`size` bytes), its fee fixed beforehand.

    Sets the fields `Transaction.__init__` of arweave-python-client 1.0.19 sets, without what that
    constructor also does: re-parse the 4096-bit key (0.3 s) and fetch the anchor without a time-out.
    """

    def __init__(self, wallet: ClientWallet, handle: BinaryIO, size: int, reward: str, anchor: str) -> None:
        self.wallet = wallet
        self.jwk_data = wallet.jwk_data
        self.owner = wallet.jwk_data["n"]
        self.api_url = wallet.api_url
        self.format = 2
        self.id = ""
        self.last_tx = anchor
        self.tags: list[dict[str, str]] = []
        self.target = self.to = ""
        self.quantity = "0"
        self.reward = reward
        self.signature = ""
        self.status = None
        self.data = b""
        self.data_root = ""
        self.data_tree: list[Any] = []
        self.chunks: dict[str, Any] | None = None
        self.data_size = size
        self.file_handler = handle if size > 0 else None
        self.uses_uploader = size > 0  # the client chunks and merkle-hashes the file while signing

    def get_reward(self, data_size: int, target_address: str | None = None) -> str:
        return self.reward

    def prepare_chunks(self) -> None:
        """Chunks as arweave-js and the nodes split data (the client's own split differs when the
        last chunk would be under 32 KiB or the size is a multiple of 256 KiB, giving a data root
        that gateways reject)."""
        if self.chunks or self.file_handler is None:
            return
        pieces = list(_chunks(self.file_handler, self.data_size))
        root = merkle.build_layers(merkle.generate_leaves(pieces))
        proofs = list(merkle.generate_proofs(root))
        if pieces[-1].data_size == 0:  # the empty last chunk counts in the root but is never sent
            pieces, proofs = pieces[:-1], proofs[:-1]
        self.chunks = {"data_root": root.id, "chunks": pieces, "proofs": proofs}
        self.data_root = base64url_encode(root.id)


def chunk_ranges(size: int) -> list[tuple[int, int]]:
    """Byte ranges of Arweave's chunks: 256 KiB each, except that when the remainder after a full
    chunk would be under 32 KiB the last two split what is left evenly; then the remainder
    (possibly empty)."""
    ranges: list[tuple[int, int]] = []
    cursor, rest = 0, size
    while rest >= merkle.MAX_CHUNK_SIZE:
        length = merkle.MAX_CHUNK_SIZE
        following = rest - merkle.MAX_CHUNK_SIZE
        if 0 < following < merkle.MIN_CHUNK_SIZE:
            length = -(-rest // 2)
        ranges.append((cursor, cursor + length))
        cursor, rest = cursor + length, rest - length
    ranges.append((cursor, cursor + rest))
    return ranges


def _chunks(handle: BinaryIO, size: int) -> Iterator[Any]:
    handle.seek(0)
    for start, end in chunk_ranges(size):
        data = handle.read(end - start)
        if len(data) != end - start:
            raise StorageError(f"file shrank while uploading: expected {size} bytes")
        yield merkle.Chunk(hashlib.sha256(data).digest(), data_size=end - start, min_byte_range=start,
                           max_byte_range=end)


def get_text(session: requests.Session, url: str, service: HttpService) -> str:
    """GET `url` expecting 200 and a text body (raising `TransientError` for retryable statuses)."""
    response = session.get(url, timeout=service.policy.timeout)
    raise_for_transient(response, lambda r: False)
    if response.status_code != 200:
        raise StorageError(f"{service.name} at {service.base_url}: GET {url} gave HTTP {response.status_code}: "
                           f"{response.text[:200].strip()!r}")
    return str(response.text)


def verify_header(header: Mapping[str, Any], txid: str, uri: str) -> dict[str, str]:
    """Checks a served transaction header: its id is the hash of its signature, and the signature
    by its owner covers its tags, size and data root. Returns the tags (names and values decoded).

    Raises `IntegrityError` when either check fails, so tags (and the digest among them) can be trusted.
    """
    try:
        signature = b64url_decode(str(header["signature"]))
        owner = b64url_decode(str(header["owner"]))
        tags = [(b64url_decode(str(t["name"])), b64url_decode(str(t["value"]))) for t in header["tags"]]
        fields = [b"2", owner, b64url_decode(str(header.get("target") or "")),
                  str(header.get("quantity") or "0").encode(), str(header["reward"]).encode(),
                  b64url_decode(str(header.get("last_tx") or "")), [[name, value] for name, value in tags],
                  str(header.get("data_size") or "0").encode(), b64url_decode(str(header.get("data_root") or ""))]
        version = int(header.get("format") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"malformed transaction header for {uri}: {exc}") from None
    actual_id = b64url(hashlib.sha256(signature).digest())
    if actual_id != txid:
        raise IntegrityError(uri, txid, actual_id)
    if version != 2:
        raise StorageError(f"{uri} is a format-{version} transaction; only format 2 is supported")
    public_key = rsa.RSAPublicNumbers(65537, int.from_bytes(owner, "big")).public_key()
    try:
        public_key.verify(signature, deep_hash(fields),
                          padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                          hashes.SHA256())
    except InvalidSignature:
        raise IntegrityError(uri, f"a header signed by {b64url(hashlib.sha256(owner).digest())}",
                             "a signature that does not verify") from None
    return {name.decode("utf-8", "replace"): value.decode("utf-8", "replace") for name, value in tags}
