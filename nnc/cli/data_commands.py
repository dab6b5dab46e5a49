"""`nnc data ...`: store files on IPFS, Arweave or the local store, fetch them back verified, and
encrypt private payloads to their recipients' X25519 keys."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from nnc.cli.context import settings_of
from nnc.cli.progress import bytes_bar
from nnc.errors import ConfigError
from nnc.storage.router import BACKEND_SCHEMES


@click.group("data")
def data_group() -> None:
    """Store and fetch datasets, specs and models (verified on every read)."""


@data_group.command("put")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--backend", type=click.Choice(list(BACKEND_SCHEMES)), default=None,
              help="where to store it (default: the backend of settings storage_url)")
@click.option("--encrypt-to", "recipients", multiple=True, metavar="PUBKEYHEX",
              help="encrypt to this X25519 public key (64 hex digits); repeat for several recipients")
@click.option("--program", is_flag=True,
              help="FILE is a training program's package directory: the digest line is program.digest's")
@click.pass_context
def put_cmd(ctx: click.Context, file: Path, backend: str | None, recipients: tuple[str, ...], program: bool) -> None:
    """Store FILE (a file, or a dataset directory) and print its URI.

    A directory is stored as its canonical tar; for a directory or an archive (.tar, .tar.gz,
    .zip) a second line gives the digest a spec's dataset.digest pins (the same for both), or
    with --program the digest a spec's program.digest pins."""
    from nnc.storage import store_from_settings
    from nnc.storage.archive import archive_entries, archive_kind, put_directory, tree_digest
    from nnc.storage.crypto import encrypt_file, parse_public_key

    settings = settings_of(ctx)
    store = store_from_settings(settings).backend(backend)
    if program:
        from nnc.training.program_package import compiled, package_digest

        if not file.is_dir() or recipients:
            raise ConfigError(f"--program takes a package directory, stored in the clear: {file} is not one")
        package_digest(file)  # before the upload: a package that is not one fails here
        with bytes_bar(ctx, f"uploading {file.name}/") as on_progress:
            uri, digest = put_directory(store, file, on_progress, exclude=compiled)
        click.echo(uri)
        click.echo(f"digest {digest}")
        return
    if file.is_dir():
        if recipients:
            raise ConfigError(f"{file} is a directory: --encrypt-to takes a single file (an archive of it)")
        with bytes_bar(ctx, f"uploading {file.name}/") as on_progress:
            uri, digest = put_directory(store, file, on_progress)
        click.echo(uri)
        click.echo(f"digest {digest}")
        return
    if not recipients:
        with bytes_bar(ctx, f"uploading {file.name}", file.stat().st_size) as on_progress:
            uri = store.put_file(file, on_progress)
        click.echo(uri)
        if archive_kind(file) is not None:
            click.echo(f"digest {tree_digest(archive_entries(file))}")
        return
    keys = [parse_public_key(text) for text in recipients]  # a bad key fails before any work
    with tempfile.TemporaryDirectory(prefix="nnc-encrypt-") as tmp:
        sealed = encrypt_file(file, Path(tmp) / "payload", keys)
        with bytes_bar(ctx, f"uploading {file.name} (encrypted)", sealed.stat().st_size) as on_progress:
            uri = store.put_file(sealed, on_progress)
    click.echo(uri)


@data_group.command("get")
@click.argument("uri")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="X25519 private key for an encrypted payload (default: settings encryption_key_file)")
@click.pass_context
def get_cmd(ctx: click.Context, uri: str, dest: Path, key_file: Path | None) -> None:
    """Fetch URI (ipfs://, ar:// or local://) into DEST, verified, decrypted if it is encrypted."""
    from nnc.storage import store_from_settings
    from nnc.storage.crypto import decrypt_file, is_encrypted, load_key

    settings = settings_of(ctx)
    store = store_from_settings(settings)
    with tempfile.TemporaryDirectory(prefix=".nnc-get-", dir=dest.resolve().parent) as tmp:
        fetched = store.get_file(uri, Path(tmp) / "content")
        if not is_encrypted(fetched):
            fetched.replace(dest)
        else:
            key_path = key_file or settings.resolved_encryption_key_file
            if not key_path.is_file():
                raise ConfigError(f"{uri} is encrypted and there is no private key at {key_path}: pass --key")
            decrypt_file(fetched, dest, load_key(key_path))
    click.echo(f"{uri} -> {dest}")


@data_group.command("keygen")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="where to write the private key (default: settings encryption_key_file)")
@click.pass_context
def keygen_cmd(ctx: click.Context, out: Path | None) -> None:
    """Create an X25519 key for private payloads (kept if it exists) and print its public key."""
    from nnc.storage.crypto import generate_key, load_key, public_key_hex

    path = out or settings_of(ctx).resolved_encryption_key_file
    key = load_key(path) if path.exists() else generate_key(path)
    click.echo(public_key_hex(key))
