"""Arweave: permanent storage for final models and audit records, named `ar://<txid>`.

An upload signs a format-2 data transaction with `arweave-python-client` (tags: the SHA-256 of the
content as `NNC-SHA256`, its size, a content type), posts it, sends the data in 256 KiB chunks
when there is more than one, and then confirms `/tx/{id}/status`: any refusal along the way raises
`StorageError` (the client itself only logs them). A download first checks the transaction header
(id = hash of the signature, signature by the owner over the tags), then streams the data from
`/{txid}` through SHA-256 and compares it with the signed tag before anyone sees the bytes.

Against arlocal (the devnet), transactions stay pending until someone calls `/mine`; their data
is served while pending. Wallets need AR for fees: on arlocal, `/mint/<address>/<winston>`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Final, Protocol

import requests
from jose.utils import base64url_encode

from nnc.errors import ContentNotFoundError, IntegrityError, StorageError
from nnc.storage.arweave_tx import ClientTransaction, ClientWallet, get_text, verify_header, wallet_address
from nnc.storage.base import ProgressCallback
from nnc.storage.hashing import CHUNK_SIZE
from nnc.storage.sinks import BytesSink, FileSink
from nnc.storage.transport import DEFAULT_POLICY, STREAM_CHUNK, HttpService, RetryPolicy, raise_for_transient

log = logging.getLogger(__name__)

URI_PREFIX: Final = "ar://"
SERVICE: Final = "Arweave gateway"
DIGEST_TAG: Final = "NNC-SHA256"
SIZE_TAG: Final = "NNC-Size"
_TXID: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")


class _Sink(Protocol):
    def reset(self) -> None: ...
    def write(self, chunk: bytes) -> None: ...


class ArweaveStore:
    """`Store` on the Arweave gateway (or arlocal) at `gateway_url`; `wallet` (a JWK) signs uploads."""

    scheme: Final = "ar"

    def __init__(self, gateway_url: str, wallet: Mapping[str, str] | None = None,
                 policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.service = HttpService(gateway_url, SERVICE, policy)
        self.wallet = dict(wallet) if wallet is not None else None
        self._client_wallet: ClientWallet | None = None  # parsing a 4096-bit key takes ~0.5 s: once

    def __repr__(self) -> str:
        return f"ArweaveStore({self.service.base_url!r})"

    @property
    def address(self) -> str | None:
        """The uploading wallet's address (None for a read-only store)."""
        return wallet_address(self.wallet) if self.wallet is not None else None

    @staticmethod
    def uri_for(txid: str) -> str:
        return URI_PREFIX + txid

    @staticmethod
    def txid_of(uri: str) -> str:
        txid = uri[len(URI_PREFIX):] if uri.startswith(URI_PREFIX) else ""
        if not _TXID.match(txid):
            raise StorageError(f"malformed Arweave URI {uri!r}: expected ar://<43-character transaction id>")
        return txid

    # --- writing -----------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> str:
        return self._upload(io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest())

    def put_file(self, path: Path, on_progress: ProgressCallback | None = None) -> str:
        try:
            digest = hashlib.sha256()
            size = 0
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                handle.seek(0)
                return self._upload(handle, size, digest.hexdigest(), on_progress)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc

    def put_stream(self, stream: BinaryIO) -> str:
        """Spools the stream to a temporary file first: a transaction commits to its size and data
        root before any byte is sent."""
        with tempfile.NamedTemporaryFile(prefix="nnc-ar-", suffix=".part") as spool:
            while chunk := stream.read(CHUNK_SIZE):
                spool.write(chunk)
            spool.flush()
            return self.put_file(Path(spool.name))

    def _upload(self, handle: BinaryIO, size: int, digest_hex: str, on_progress: ProgressCallback | None = None) -> str:
        """Signs and posts the transaction, then its chunks; `on_progress` follows the data posted
        (all of it with the transaction when it is one chunk)."""
        if self.wallet is None:
            raise StorageError(f"no Arweave wallet configured for uploads to {self.service.base_url} "
                               "(set arweave_wallet to a JWK key file)")
        service = self.service
        if self._client_wallet is None:
            self._client_wallet = ClientWallet(self.wallet, service)
        reward = service.call(lambda s: get_text(s, service.url(f"/price/{size}"), service), "price").strip()
        anchor = self._client_wallet.get_last_transaction_id()
        tx = ClientTransaction(self._client_wallet, handle, size, reward, anchor)
        tx.add_tag("Content-Type", "application/octet-stream")
        tx.add_tag("App-Name", "NNC")
        tx.add_tag(DIGEST_TAG, digest_hex)
        tx.add_tag(SIZE_TAG, str(size))
        handle.seek(0)
        tx.sign()  # reads the file once more to build the chunks' merkle tree
        pieces = tx.chunks["chunks"] if tx.chunks else []
        chunk_count = len(pieces)
        if chunk_count == 1:  # one chunk travels inside the transaction, as the client does it
            handle.seek(0)
            tx.data = base64url_encode(handle.read())
        body = tx.json_data  # serialise once: the client re-encodes the tags on every call
        txid = str(tx.id)
        uri = self.uri_for(txid)
        if on_progress is not None:
            on_progress(0, size)
        self._post("/tx", body, f"post transaction {txid}", {"Content-Type": "application/json"})
        if on_progress is not None and chunk_count <= 1:
            on_progress(size, size)
        for index in range(chunk_count if chunk_count > 1 else 0):
            chunk = tx.get_chunk(index)
            chunk = {key: value.decode() if isinstance(value, bytes) else value for key, value in chunk.items()}
            self._post("/chunk", json.dumps(chunk), f"post chunk {index + 1}/{chunk_count} of {txid}",
                       {"Content-Type": "application/json"})
            if on_progress is not None:
                on_progress(int(pieces[index].max_byte_range), size)
        status = self._status(txid)
        if status is None:
            raise StorageError(f"{SERVICE} at {service.base_url} accepted transaction {txid} but does not know it: "
                               "the upload failed")
        log.info("stored %s (%d bytes, %d chunk(s), %s) on %s", uri, size, chunk_count, status, service.base_url)
        return uri

    def _post(self, path: str, body: str, what: str, headers: dict[str, str]) -> None:
        service = self.service

        def post(session: requests.Session) -> None:
            response = session.post(service.url(path), data=body, headers=headers, timeout=service.policy.timeout)
            raise_for_transient(response, lambda r: False)
            if response.status_code != 200:
                hint = ""
                if response.status_code == 410 or "enough" in response.text:
                    hint = f" (fund wallet {self.address}: on arlocal, GET /mint/{self.address}/<winston>)"
                raise StorageError(f"{SERVICE} at {service.base_url} refused to {what}: HTTP {response.status_code}: "
                                   f"{response.text[:200].strip()!r}{hint}")

        service.call(post, what)

    def _status(self, txid: str) -> str | None:
        """'pending', 'confirmed' or None when the gateway does not know the transaction."""
        service = self.service

        def status(session: requests.Session) -> str | None:
            response = session.get(service.url(f"/tx/{txid}/status"), timeout=service.policy.timeout)
            raise_for_transient(response, lambda r: False)
            if response.status_code == 404:
                return None
            if response.status_code == 202 or response.text.strip() == "Pending":
                return "pending"
            if response.status_code == 200:
                return "confirmed"
            raise StorageError(f"{SERVICE} at {service.base_url}: status of {txid}: HTTP {response.status_code}")

        return service.call(status, f"status of {txid}")

    # --- reading -----------------------------------------------------------------------------

    def exists(self, uri: str) -> bool:
        return self._status(self.txid_of(uri)) is not None

    def pin(self, uri: str) -> None:
        """Arweave keeps everything: pinning only checks that the transaction is known."""
        if not self.exists(uri):
            raise ContentNotFoundError(f"no transaction {uri} on the {SERVICE} at {self.service.base_url}")

    def get_bytes(self, uri: str) -> bytes:
        sink = BytesSink()
        self._download(uri, sink)
        return sink.value()

    def get_file(self, uri: str, dest: Path) -> Path:
        with FileSink(dest) as sink:
            self._download(uri, sink)
            return sink.commit()

    def digest_of(self, uri: str) -> str:
        """The SHA-256 recorded (and signed) in the transaction's tags."""
        txid = self.txid_of(uri)
        service = self.service

        def header(session: requests.Session) -> dict[str, str]:
            response = session.get(service.url(f"/tx/{txid}"), timeout=service.policy.timeout)
            raise_for_transient(response, lambda r: False)
            if response.status_code == 404:
                raise ContentNotFoundError(f"no transaction {uri} on the {SERVICE} at {service.base_url}")
            if response.status_code != 200:
                raise StorageError(f"{SERVICE} at {service.base_url}: header of {uri}: HTTP {response.status_code} "
                                   f"{response.text[:100].strip()!r}")
            try:
                parsed = response.json()
            except ValueError:
                raise StorageError(f"{SERVICE} at {service.base_url} sent a non-JSON header for {uri}") from None
            return verify_header(parsed, txid, uri)

        tags = service.call(header, f"header of {uri}")
        digest = tags.get(DIGEST_TAG, "")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise StorageError(f"{uri} has no {DIGEST_TAG} tag (not uploaded by NNC): its content cannot be verified")
        return digest

    def _download(self, uri: str, sink: _Sink) -> None:
        expected = self.digest_of(uri)
        txid = self.txid_of(uri)
        service = self.service

        def fetch(session: requests.Session) -> None:
            sink.reset()
            digest = hashlib.sha256()
            with session.get(service.url(f"/{txid}"), stream=True, timeout=service.policy.timeout) as response:
                raise_for_transient(response, lambda r: False)
                if response.status_code == 404:
                    raise ContentNotFoundError(f"no data for {uri} on the {SERVICE} at {service.base_url}")
                if response.status_code not in (200, 204):  # 204: an empty payload
                    raise StorageError(f"{SERVICE} at {service.base_url}: data of {uri}: HTTP {response.status_code}")
                for chunk in response.iter_content(STREAM_CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
            if digest.hexdigest() != expected:
                raise IntegrityError(uri, expected, digest.hexdigest())

        service.call(fetch, f"data of {uri}")
