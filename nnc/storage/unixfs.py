"""The CID kubo gives a file, computed from its bytes as they stream past (constant memory).

Mirrors kubo's `ipfs add` defaults (and Helia's importer configured the same way): fixed-size
chunks of 256 KiB, the balanced layout with at most 174 links per node, and for CIDv1 raw leaves
(CIDv0: leaves are dag-pb UnixFS `File` nodes). A file of one chunk is that chunk's block. Inner
nodes are dag-pb `PBNode`s whose `Data` is a UnixFS `File` message (filesize + blocksizes) and
whose links carry an empty name and the child's cumulative size (`Tsize`).

Only the current chunk and, per tree level, fewer than 174 pending links are held: a 256 MB file
needs about 300 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from nnc.storage.cid import DAG_PB, RAW, Cid, varint

CHUNK_SIZE: Final = 256 * 1024
MAX_LINKS: Final = 174
_UNIXFS_FILE: Final = 2


@dataclass(frozen=True)
class _Node:
    cid: Cid
    tsize: int  # cumulative size of the block and everything under it
    file_size: int  # file bytes under it


def _field_bytes(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def _field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def unixfs_file_data(data: bytes, blocksizes: list[int]) -> bytes:
    """A UnixFS `Data` message of type File (field order and omissions as kubo and Helia write them)."""
    out = bytearray(_field_varint(1, _UNIXFS_FILE))
    if data:
        out += _field_bytes(2, data)
    out += _field_varint(3, len(data) + sum(blocksizes))
    for size in blocksizes:
        out += _field_varint(4, size)
    return bytes(out)


def dag_pb_node(links: list[_Node], data: bytes) -> bytes:
    """A dag-pb `PBNode`: links (hash, empty name, tsize) first, then data, as the dag-pb spec orders them."""
    out = bytearray()
    for link in links:
        body = _field_bytes(1, link.cid.to_bytes()) + _field_bytes(2, b"") + _field_varint(3, link.tsize)
        out += _field_bytes(2, body)
    out += _field_bytes(1, data)
    return bytes(out)


class UnixfsHasher:
    """Feed a file's bytes with `update`; `finish` returns the CID kubo would give them."""

    def __init__(self, cid_version: int = 1, chunk_size: int = CHUNK_SIZE, max_links: int = MAX_LINKS) -> None:
        if cid_version not in (0, 1):
            raise ValueError(f"cid_version must be 0 or 1, not {cid_version}")
        self.cid_version = cid_version
        self.chunk_size = chunk_size
        self.max_links = max_links
        self.size = 0
        self._buffer = bytearray()
        self._levels: list[list[_Node]] = [[]]
        self._grouped: list[bool] = [False]  # whether a level has already sent a full group up
        self._leaves = 0
        self._done = False

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise RuntimeError("UnixfsHasher.update after finish")
        view = memoryview(data)
        self.size += len(view)
        while view:
            if not self._buffer and len(view) >= self.chunk_size:
                self._add_leaf(bytes(view[: self.chunk_size]))
                view = view[self.chunk_size :]
                continue
            take = min(self.chunk_size - len(self._buffer), len(view))
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) == self.chunk_size:
                self._add_leaf(bytes(self._buffer))
                self._buffer.clear()

    def finish(self) -> Cid:
        """The root CID. An empty file is one empty leaf, as kubo's chunker emits it."""
        if self._done:
            raise RuntimeError("UnixfsHasher.finish called twice")
        self._done = True
        if self._buffer or self._leaves == 0:
            self._add_leaf(bytes(self._buffer))
            self._buffer.clear()
        if self._leaves == 1:
            return self._levels[0][0].cid  # a one-chunk file is its leaf
        level = 0
        while True:
            pending = self._levels[level]
            if not self._grouped[level]:
                if len(pending) == 1:
                    return pending[0].cid
                return self._parent(pending).cid
            if pending:
                self._levels[level] = []
                self._push(level + 1, self._parent(pending))
            level += 1

    def _add_leaf(self, chunk: bytes) -> None:
        self._leaves += 1
        if self.cid_version == 1:
            node = _Node(Cid.of_block(chunk, RAW), len(chunk), len(chunk))
        else:
            block = dag_pb_node([], unixfs_file_data(chunk, []))
            node = _Node(Cid.of_block(block, DAG_PB, version=0), len(block), len(chunk))
        self._push(0, node)

    def _push(self, level: int, node: _Node) -> None:
        if level == len(self._levels):
            self._levels.append([])
            self._grouped.append(False)
        self._levels[level].append(node)
        if len(self._levels[level]) == self.max_links:
            group = self._levels[level]
            self._levels[level] = []
            self._grouped[level] = True
            self._push(level + 1, self._parent(group))

    def _parent(self, children: list[_Node]) -> _Node:
        sizes = [child.file_size for child in children]
        block = dag_pb_node(children, unixfs_file_data(b"", sizes))
        cid = Cid.of_block(block, DAG_PB, version=self.cid_version)
        return _Node(cid, len(block) + sum(c.tsize for c in children), sum(sizes))


def file_cid(data: bytes, cid_version: int = 1) -> Cid:
    """The CID kubo gives `data` (see the module docstring)."""
    hasher = UnixfsHasher(cid_version)
    hasher.update(data)
    return hasher.finish()
