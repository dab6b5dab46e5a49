"""`nnc zk ceremony init|contribute|verify|finalize`: the multi-party trusted setup
(nnc/zk/ceremony.py), its files exchanged through IPFS. Each command writes the manifest to
--manifest and to IPFS, and prints the manifest's URI: the next party starts from it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnc.cli.context import settings_of

if TYPE_CHECKING:
    from nnc.zk.ceremony import Ceremony

_WORKDIR = click.option("--workdir", type=click.Path(path_type=Path), default=Path("build/zk-ceremony"),
                        show_default=True, help="local cache of the ceremony's files")
_MANIFEST_OUT = click.option("--manifest", "manifest_out", type=click.Path(path_type=Path),
                             default=Path("ceremony.json"), show_default=True,
                             help="where to write the updated manifest (also published on IPFS)")


def _ceremony(ctx: click.Context, workdir: Path) -> Ceremony:
    from nnc.errors import ConfigError
    from nnc.storage.ipfs import IpfsStore
    from nnc.zk.ceremony import Ceremony

    url = (ctx.find_object(dict) or {}).get("ipfs") or settings_of(ctx).ipfs_api_url
    if not url:
        raise ConfigError("no IPFS node for the ceremony's files: pass `nnc zk ceremony --ipfs URL` or set "
                          "ipfs_api_url in the settings")
    return Ceremony(IpfsStore(url), workdir)


@click.group("ceremony")
@click.option("--ipfs", default=None, help="Kubo RPC API of the IPFS node (default: the settings' ipfs_api_url)")
@click.pass_context
def ceremony_group(ctx: click.Context, ipfs: str | None) -> None:
    """Multi-party trusted setup (phase 2) of the circuits, files on IPFS."""
    ctx.ensure_object(dict)["ipfs"] = ipfs


@ceremony_group.command("init")
@click.option("--ptau", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="phase-1 powers of tau from a public ceremony (e.g. powersOfTau28_hez_final_12.ptau)")
@click.argument("r1cs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_WORKDIR
@_MANIFEST_OUT
@click.pass_context
def init_cmd(ctx: click.Context, ptau: Path, r1cs: tuple[Path, ...], workdir: Path, manifest_out: Path) -> None:
    """Check PTAU with snarkjs, make each R1CS circuit's first zkey and publish them."""
    ceremony = _ceremony(ctx, workdir)
    manifest = ceremony.init(ptau, list(r1cs))
    click.echo(f"phase 1 {ptau} verified; circuits: {', '.join(manifest.circuits)}")
    click.echo(f"manifest {ceremony.publish(manifest, manifest_out)}")


@ceremony_group.command("contribute")
@click.argument("source")
@click.option("--name", required=True, help="the contributor's public name, recorded in the zkeys")
@click.option("--entropy", default=None, help="extra entropy, added to 64 random bytes from the OS")
@_WORKDIR
@_MANIFEST_OUT
@click.pass_context
def contribute_cmd(ctx: click.Context, source: str, name: str, entropy: str | None, workdir: Path,
                   manifest_out: Path) -> None:
    """Add NAME's contribution on the latest zkeys of SOURCE (a manifest path or ipfs:// URI)."""
    ceremony = _ceremony(ctx, workdir)
    manifest = ceremony.load(source)
    contribution = ceremony.contribute(manifest, name, entropy)
    for circuit, digest in contribution.hashes.items():
        click.echo(f"{circuit} contribution #{len(manifest.contributions)} {name}: {digest}")
    click.echo("publish these hashes: anyone can find them with `nnc zk ceremony verify`")
    click.echo(f"manifest {ceremony.publish(manifest, manifest_out)}")


@ceremony_group.command("finalize")
@click.argument("source")
@click.option("--beacon", required=True, help="public random beacon, hex (e.g. a pre-announced block hash)")
@click.option("--iterations", default=10, show_default=True, help="log2 of the beacon's hash iterations")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("zk/artifacts"),
              show_default=True, help="where to export the keys and the final manifest")
@_WORKDIR
@click.pass_context
def finalize_cmd(ctx: click.Context, source: str, beacon: str, iterations: int, out: Path, workdir: Path) -> None:
    """Close SOURCE's ceremony with BEACON, export zkeys, vkeys and r1cs and the manifest to OUT."""
    from nnc.zk.ceremony import MANIFEST_NAME

    ceremony = _ceremony(ctx, workdir)
    manifest = ceremony.load(source)
    ceremony.finalize(manifest, beacon, iterations, out)
    click.echo(f"keys in {out}; regenerate the verifiers with `python -m nnc.zk.solidity` (zk/README.md)")
    click.echo(f"manifest {ceremony.publish(manifest, out / MANIFEST_NAME)}")


@ceremony_group.command("verify")
@click.argument("source")
@_WORKDIR
@click.pass_context
def verify_cmd(ctx: click.Context, source: str, workdir: Path) -> None:
    """Re-check every file and contribution hash of SOURCE's ceremony; print the transcript."""
    ceremony = _ceremony(ctx, workdir)
    for line in ceremony.verify(ceremony.load(source)):
        click.echo(line)
    click.echo("ceremony OK")
