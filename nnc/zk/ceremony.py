"""A multi-party Groth16 phase-2 ceremony whose files travel through IPFS.

Phase 1 is a public powers-of-tau file (checked with `snarkjs powersoftau verify`); phase 2 is
NNC's: `init` makes each circuit's first zkey, every `contribute` adds one party's randomness on
the latest zkeys, `finalize` applies a public beacon and exports the keys, and `verify` re-checks
the whole chain from the files alone. The manifest (`ceremony.json`, `Manifest` here) records
every file's IPFS URI and every contribution hash; each step publishes the new manifest on IPFS
too and prints its URI, which the next party starts from. The setup is sound if one contributor
destroyed their entropy; `nnc.zk.trust` refuses production keys with fewer than two.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nnc.errors import CeremonyError
from nnc.storage.hashing import sha256_file
from nnc.storage.ipfs import IpfsStore
from nnc.zk.snarkjs import hashes_after, snarkjs

FORMAT = "nnc-ceremony/1"
MANIFEST_NAME = "ceremony.json"
_CONTRIBUTION = re.compile(r"contribution #(\d+) (.*):\s*$")
_CONTRIBUTION_HASH = re.compile(r"Contribution Hash:")


@dataclass
class Contribution:
    """One party's phase-2 contribution: its name, the hash snarkjs printed per circuit, the zkeys."""
    name: str
    hashes: dict[str, str]
    zkeys: dict[str, str]


@dataclass
class Manifest:
    """The ceremony's transcript: inputs, each contribution in order, the beacon, the final keys."""
    ptau: dict[str, str]
    circuits: dict[str, dict[str, str]]
    contributions: list[Contribution] = field(default_factory=list)
    beacon: dict[str, Any] | None = None
    final: dict[str, dict[str, str]] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        if raw.get("format") != FORMAT:
            raise CeremonyError(f"not a ceremony manifest: format {raw.get('format')!r}, expected {FORMAT!r}")
        raw["contributions"] = [Contribution(**item) for item in raw.get("contributions", [])]
        return cls(**raw)

    def latest(self, circuit: str) -> str:
        if self.contributions:
            return self.contributions[-1].zkeys[circuit]
        return self.circuits[circuit]["initial_uri"]


class Ceremony:
    """Runs ceremony steps against an IPFS store, with WORKDIR as the local cache of the files."""

    def __init__(self, store: IpfsStore, workdir: Path) -> None:
        self.store = store
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)

    # -- files -------------------------------------------------------------------------------
    def fetch(self, uri: str, sha256: str | None = None) -> Path:
        """The file at URI in the cache (downloaded once; the store checks it against its CID)."""
        dest = self.workdir / str(IpfsStore.cid_of(uri))
        if not dest.exists():
            self.store.get_file(uri, dest)
        if sha256 is not None and sha256_file(dest) != sha256:
            raise CeremonyError(f"{uri} does not hash to the manifest's sha256 {sha256}")
        return dest

    def load(self, source: str) -> Manifest:
        """A manifest from a local path or an ipfs:// URI."""
        if source.startswith("ipfs://"):
            return Manifest.from_json(self.store.get_bytes(source).decode())
        return Manifest.from_json(Path(source).read_text())

    def publish(self, manifest: Manifest, path: Path) -> str:
        """Write MANIFEST to PATH and IPFS; return its ipfs:// URI."""
        path.write_text(manifest.to_json())
        return self.store.put_file(path)

    # -- steps -------------------------------------------------------------------------------
    def init(self, ptau: Path, r1cs: list[Path]) -> Manifest:
        """Check the phase-1 file, then make and upload each circuit's first zkey."""
        output = snarkjs("powersoftau", "verify", ptau)
        if "Powers of Tau Ok!" not in output:
            raise CeremonyError(f"{ptau} is not a valid powers-of-tau file: snarkjs did not accept it")
        circuits: dict[str, dict[str, str]] = {}
        for path in r1cs:
            name = path.stem
            initial = self.workdir / f"{name}_0000.zkey"
            snarkjs("groth16", "setup", path, ptau, initial)
            circuits[name] = {"r1cs_uri": self.store.put_file(path), "r1cs_sha256": sha256_file(path),
                              "initial_uri": self.store.put_file(initial)}
        return Manifest(ptau={"uri": self.store.put_file(ptau), "sha256": sha256_file(ptau)}, circuits=circuits)

    def contribute(self, manifest: Manifest, name: str, entropy: str | None = None) -> Contribution:
        """Add NAME's contribution on every circuit's latest zkey; upload the new zkeys."""
        if manifest.beacon is not None:
            raise CeremonyError("the ceremony is finalized (beacon applied): no more contributions")
        index = len(manifest.contributions) + 1
        hashes, zkeys = {}, {}
        for circuit in manifest.circuits:
            out = self.workdir / f"{circuit}_{index:04d}.zkey"
            output = snarkjs("zkey", "contribute", self.fetch(manifest.latest(circuit)), out, f"--name={name}",
                             f"-e={secrets.token_hex(64)}{entropy or ''}")
            found = hashes_after(output, _CONTRIBUTION_HASH)
            if not found:
                raise CeremonyError(f"snarkjs printed no contribution hash for {circuit}")
            hashes[circuit] = found[-1][1]
            zkeys[circuit] = self.store.put_file(out)
        contribution = Contribution(name=name, hashes=hashes, zkeys=zkeys)
        manifest.contributions.append(contribution)
        return contribution

    def finalize(self, manifest: Manifest, beacon_hex: str, iterations: int, out_dir: Path) -> None:
        """Apply the public beacon, export each circuit's zkey, vkey and r1cs into OUT_DIR."""
        if manifest.beacon is not None:
            raise CeremonyError("the ceremony is already finalized")
        if not re.fullmatch(r"[0-9a-fA-F]{2,128}", beacon_hex):
            raise CeremonyError(f"beacon {beacon_hex!r} is not hex")
        out_dir.mkdir(parents=True, exist_ok=True)
        hashes = {}
        for circuit, info in manifest.circuits.items():
            zkey = out_dir / f"{circuit}.zkey"
            vkey = out_dir / f"{circuit}.vkey.json"
            output = snarkjs("zkey", "beacon", self.fetch(manifest.latest(circuit)), zkey, beacon_hex,
                             str(iterations), "-n=final beacon")
            found = hashes_after(output, _CONTRIBUTION_HASH)
            hashes[circuit] = found[-1][1] if found else ""
            snarkjs("zkey", "export", "verificationkey", zkey, vkey)
            shutil.copyfile(self.fetch(info["r1cs_uri"], info["r1cs_sha256"]), out_dir / f"{circuit}.r1cs")
            manifest.final[circuit] = {"zkey_uri": self.store.put_file(zkey), "zkey_sha256": sha256_file(zkey),
                                       "vkey_sha256": sha256_file(vkey)}
        manifest.beacon = {"hex": beacon_hex, "iterations": iterations, "hashes": hashes}

    def verify(self, manifest: Manifest) -> list[str]:
        """Re-check every file of the ceremony; return the lines of a readable transcript.

        Each contribution's zkey must pass `snarkjs zkey verify` against the r1cs and the ptau and
        list exactly the manifest's contributions up to it (a tampered file fails the first check,
        a contribution made on an older zkey, skipping one, the second)."""
        ptau = self.fetch(manifest.ptau["uri"], manifest.ptau["sha256"])
        lines = [f"phase 1: {manifest.ptau['uri']} (sha256 {manifest.ptau['sha256']})"]
        for circuit, info in manifest.circuits.items():
            r1cs = self.fetch(info["r1cs_uri"], info["r1cs_sha256"])
            steps = [(c.name, c.zkeys[circuit]) for c in manifest.contributions]
            if manifest.beacon is not None:
                steps.append(("final beacon", manifest.final[circuit]["zkey_uri"]))
            expected = [(c.name, c.hashes[circuit]) for c in manifest.contributions]
            if manifest.beacon is not None:
                expected.append(("final beacon", manifest.beacon["hashes"][circuit]))
            for number, (who, uri) in enumerate(steps, start=1):
                where = f"{circuit}: contribution #{number} ({who}, {uri})"
                try:
                    output = snarkjs("zkey", "verify", r1cs, ptau, self.fetch(uri))
                except CeremonyError as exc:
                    raise CeremonyError(f"{where} is invalid: {exc}") from exc
                if "ZKey Ok!" not in output:
                    raise CeremonyError(f"{where} is invalid: snarkjs did not accept it")
                listed = [(m.group(2).strip(), h) for m, h in hashes_after(output, _CONTRIBUTION)]
                chain = list(reversed(listed))
                if chain != expected[:number]:
                    missing = [f"#{i + 1} {name}" for i, (name, h) in enumerate(expected[:number])
                               if (name, h) not in chain]
                    raise CeremonyError(
                        f"{where} does not build on the manifest's earlier contributions: its zkey holds "
                        f"{[name for name, _ in chain]}, the manifest {[name for name, _ in expected[:number]]}"
                        + (f"; skipped: {', '.join(missing)}" if missing else ""))
                lines.append(f"{circuit} #{number} {who}: {expected[number - 1][1]}")
            if manifest.beacon is not None:
                final = self.fetch(manifest.final[circuit]["zkey_uri"], manifest.final[circuit]["zkey_sha256"])
                lines.append(f"{circuit} final zkey sha256 {sha256_file(final)}")
        return lines
