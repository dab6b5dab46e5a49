"""Whether the committed zk keys may secure real value: the production deploy profile calls
`check_production_keys`, which reads the ceremony manifest next to the keys (`ceremony.json`,
written by `nnc zk ceremony finalize`) and refuses keys that

- have no manifest, or one whose final zkey/vkey hashes differ from the files (keys swapped after
  the ceremony);
- come from fewer than `MIN_CONTRIBUTORS` distinctly named contributions (the devnet's
  single-party ceremony: whoever ran it can forge any proof);
- were not closed with a public random beacon.

Needs no snarkjs and no network: only the files and their hashes (`nnc zk ceremony verify`
re-checks the cryptography itself)."""

from __future__ import annotations

import json
from pathlib import Path

from nnc.errors import UntrustedSetupError
from nnc.storage.hashing import sha256_file

MIN_CONTRIBUTORS = 2
MANIFEST_NAME = "ceremony.json"


def check_production_keys(artifacts_dir: Path, circuits: tuple[str, ...]) -> None:
    """Raise `UntrustedSetupError`, naming the problem, unless ARTIFACTS_DIR's keys for CIRCUITS
    come from a finalized multi-party ceremony."""
    path = artifacts_dir / MANIFEST_NAME
    advice = ("run a multi-party ceremony (`nnc zk ceremony init|contribute|finalize`, zk/README.md) and "
              "commit its output into zk/artifacts")
    if not path.exists():
        raise UntrustedSetupError(f"no ceremony manifest at {path}: the zk keys' origin is unknown; {advice}")
    manifest = json.loads(path.read_text())
    names = [c["name"] for c in manifest.get("contributions", [])]
    if len(set(names)) < MIN_CONTRIBUTORS:
        raise UntrustedSetupError(
            f"the zk keys in {artifacts_dir} come from {len(set(names))} contributor(s) "
            f"({', '.join(names) or 'none'}), "
            f"the production profile needs at least {MIN_CONTRIBUTORS} independent ones: with a single-party "
            f"(devnet) ceremony whoever ran it can forge any proof; {advice}")
    if not manifest.get("beacon"):
        raise UntrustedSetupError(f"the ceremony in {path} was not closed with a public random beacon; {advice}")
    for circuit in circuits:
        final = manifest.get("final", {}).get(circuit)
        if final is None:
            raise UntrustedSetupError(f"the ceremony in {path} has no final key for circuit {circuit}")
        for suffix, key in ((".zkey", "zkey_sha256"), (".vkey.json", "vkey_sha256")):
            file = artifacts_dir / f"{circuit}{suffix}"
            if not file.exists() or sha256_file(file) != final[key]:
                raise UntrustedSetupError(
                    f"{file} is not the key the ceremony in {path} produced (sha256 {final[key]}): the keys were "
                    "replaced after the ceremony")
