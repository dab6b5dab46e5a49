"""IPFS through the Kubo RPC HTTP API (`/api/v0/add`, `cat`, `pin/add`, `block/stat`).

The same code works against a kubo daemon, a pinning service that speaks the Kubo RPC API, or the
project's local Helia node (`storage/ipfs-node/server.mjs`). Content is named `ipfs://<cid>`.

Uploads stream the file as a multipart body (no whole-file read) and compute kubo's CID for the
bytes as they go out (`UnixfsHasher`): a node that answers with another CID was configured with
other import settings (chunker, layout), and the upload fails, because such content could not be
verified on download. Downloads stream through the same hasher (or SHA-256 for a raw-leaf CID);
on mismatch the bytes are dropped and `IntegrityError` names both CIDs.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final, Protocol

import requests

from nnc.errors import ContentNotFoundError, IntegrityError, StorageError
from nnc.storage.base import ProgressCallback
from nnc.storage.cid import RAW, Cid, CidError
from nnc.storage.hashing import CHUNK_SIZE
from nnc.storage.sinks import BytesSink, FileSink
from nnc.storage.transport import DEFAULT_POLICY, STREAM_CHUNK, HttpService, RetryPolicy, raise_for_transient
from nnc.storage.unixfs import CHUNK_SIZE as UNIXFS_CHUNK
from nnc.storage.unixfs import UnixfsHasher

log = logging.getLogger(__name__)

URI_PREFIX: Final = "ipfs://"
SERVICE: Final = "IPFS API"


class _Sink(Protocol):
    def reset(self) -> None: ...
    def write(self, chunk: bytes) -> None: ...


class _CidCheck:
    """Recomputes a CID from streamed content: plain SHA-256 for a raw block, else kubo's DAG."""

    def __init__(self, expected: Cid) -> None:
        self.expected = expected
        self._dag = None if expected.codec == RAW else UnixfsHasher(expected.version)
        self._raw = hashlib.sha256() if self._dag is None else None

    def update(self, chunk: bytes) -> None:
        if self._dag is not None:
            self._dag.update(chunk)
        elif self._raw is not None:
            self._raw.update(chunk)

    def finish(self) -> Cid:
        if self._dag is not None:
            return self._dag.finish()
        assert self._raw is not None
        return Cid(1, RAW, self._raw.digest())


class _MultipartBody:
    """A multipart/form-data body with one file part, read from `stream` while the request is sent.

    `len` (read by requests) is the body length when the stream's size is known, else None, and the
    body goes out with chunked transfer encoding. Every byte of the file passes through `hasher`,
    and, when the size is known, `on_progress` follows them as requests sends them.
    """

    def __init__(self, stream: BinaryIO, size: int | None, hasher: UnixfsHasher,
                 on_progress: ProgressCallback | None = None) -> None:
        boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="blob"\r\n'
                      "Content-Type: application/octet-stream\r\n\r\n").encode()
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._stream = stream
        self._hasher = hasher
        self._on_progress = on_progress if size is not None else None
        self._total = size or 0
        self.len = None if size is None else len(self._head) + size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        report, done = self._on_progress, 0
        if report is not None:
            report(done, self._total)
        yield self._head
        while chunk := self._stream.read(CHUNK_SIZE):
            self._hasher.update(chunk)
            yield chunk
            if report is not None:
                done += len(chunk)
                report(done, self._total)
        yield self._tail


def _kubo_error(response: requests.Response) -> str | None:
    """The `Message` of a Kubo RPC error body, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("Type") == "error" and isinstance(body.get("Message"), str):
        return str(body["Message"])
    return None


def _remaining(stream: BinaryIO) -> tuple[int | None, int | None]:
    """(start position, bytes from there to the end) of a seekable stream; (None, None) otherwise."""
    try:
        if not stream.seekable():
            return None, None
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        return start, end - start
    except (OSError, ValueError):
        return None, None


class IpfsStore:
    """`Store` on an IPFS node's Kubo RPC API at `api_url` (e.g. http://127.0.0.1:5001)."""

    scheme: Final = "ipfs"

    def __init__(self, api_url: str, cid_version: int = 1, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        if cid_version not in (0, 1):
            raise StorageError(f"cid_version must be 0 or 1, not {cid_version}")
        self.service = HttpService(api_url, SERVICE, policy)
        self.cid_version = cid_version

    def __repr__(self) -> str:
        return f"IpfsStore({self.service.base_url!r})"

    @staticmethod
    def uri_for(cid: Cid | str) -> str:
        return URI_PREFIX + str(cid)

    @staticmethod
    def cid_of(uri: str) -> Cid:
        """The CID in an `ipfs://<cid>` URI; `StorageError` naming the URI otherwise."""
        if not uri.startswith(URI_PREFIX):
            raise StorageError(f"malformed IPFS URI {uri!r}: expected ipfs://<cid>")
        try:
            return Cid.parse(uri[len(URI_PREFIX):])
        except CidError as exc:
            raise StorageError(f"malformed IPFS URI {uri!r}: {exc}") from None

    # --- writing -----------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> str:
        return self.put_stream(io.BytesIO(data))

    def put_file(self, path: Path, on_progress: ProgressCallback | None = None) -> str:
        try:
            with open(path, "rb") as handle:
                return self._add(handle, on_progress)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc

    def put_stream(self, stream: BinaryIO) -> str:
        """Adds and pins the rest of `stream`. A seekable stream is retried on transient failures."""
        return self._add(stream, None)

    def _add(self, stream: BinaryIO, on_progress: ProgressCallback | None) -> str:
        start, size = _remaining(stream)
        params = {"cid-version": str(self.cid_version), "raw-leaves": str(self.cid_version == 1).lower(),
                  "chunker": f"size-{UNIXFS_CHUNK}", "pin": "true", "progress": "false"}

        def add(session: requests.Session) -> str:
            if start is not None:
                stream.seek(start)
            hasher = UnixfsHasher(self.cid_version)
            body = _MultipartBody(stream, size, hasher, on_progress)
            response = session.post(self.service.url("/api/v0/add"), params=params, data=body,
                                    headers={"Content-Type": body.content_type}, timeout=self.service.policy.timeout)
            self._check(response, "add", None)
            lines = [line for line in response.text.splitlines() if line.strip()]
            try:
                answer = str(json.loads(lines[-1])["Hash"])
            except (IndexError, ValueError, KeyError, TypeError):
                raise StorageError(f"{SERVICE} at {self.service.base_url} gave no CID for add: "
                                   f"{response.text[:200]!r}") from None
            expected = str(hasher.finish())
            if answer != expected:
                raise StorageError(
                    f"{SERVICE} at {self.service.base_url} stored the content as {answer}, but kubo's default "
                    f"import (256 KiB chunks, balanced layout, 174 links) gives {expected}: configure the node's "
                    "import settings to kubo's defaults, or downloads could not be verified")
            return self.uri_for(answer)

        uri = self.service.call(add, "add", retry=start is not None)
        log.debug("stored %s (%s bytes) on %s", uri, "?" if size is None else size, self.service.base_url)
        return uri

    def pin(self, uri: str) -> None:
        cid = self.cid_of(uri)

        def pin_add(session: requests.Session) -> None:
            response = session.post(self.service.url("/api/v0/pin/add"), params={"arg": str(cid)},
                                    timeout=self.service.policy.timeout)
            self._check(response, "pin", uri)

        self.service.call(pin_add, f"pin {uri}")

    # --- reading -----------------------------------------------------------------------------

    def exists(self, uri: str) -> bool:
        """Whether the node holds the root block of `uri` (asked offline: no network search)."""
        cid = self.cid_of(uri)

        def stat(session: requests.Session) -> bool:
            response = session.post(self.service.url("/api/v0/block/stat"),
                                    params={"arg": str(cid), "offline": "true"}, timeout=self.service.policy.timeout)
            try:
                self._check(response, "block/stat", uri)
            except ContentNotFoundError:
                return False
            return True

        return self.service.call(stat, f"block/stat {uri}")

    def get_bytes(self, uri: str) -> bytes:
        sink = BytesSink()
        self._download(uri, sink)
        return sink.value()

    def get_file(self, uri: str, dest: Path) -> Path:
        with FileSink(dest) as sink:
            self._download(uri, sink)
            return sink.commit()

    def _download(self, uri: str, sink: _Sink) -> None:
        cid = self.cid_of(uri)

        def cat(session: requests.Session) -> None:
            sink.reset()
            check = _CidCheck(cid)
            with session.post(self.service.url("/api/v0/cat"), params={"arg": str(cid)}, stream=True,
                              timeout=self.service.policy.timeout) as response:
                self._check(response, "cat", uri)
                for chunk in response.iter_content(STREAM_CHUNK):
                    check.update(chunk)
                    sink.write(chunk)
            actual = check.finish()
            if actual != cid:
                raise IntegrityError(uri, str(cid), str(actual))

        self.service.call(cat, f"cat {uri}")

    def _check(self, response: requests.Response, command: str, uri: str | None) -> None:
        """Raises for anything but a 200: transient statuses for a retry, Kubo errors as storage errors."""
        raise_for_transient(response, lambda r: _kubo_error(r) is not None)
        if response.status_code == 200:
            return
        message = _kubo_error(response) or f"{response.text[:200].strip()!r}"
        where = f"{SERVICE} at {self.service.base_url}"
        lowered = message.lower()
        if uri is not None and ("not found" in lowered or "could not find" in lowered):
            raise ContentNotFoundError(f"no content under {uri} on the {where}: {message}")
        raise StorageError(f"{where} refused {command}{' of ' + uri if uri else ''}: "
                           f"HTTP {response.status_code}: {message}")
