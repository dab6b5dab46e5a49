"""The `program` and `init` spec sections, the package digest, requirements and fetching."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from nnc.errors import TaskSpecError
from nnc.runtimes.requirements import unmet_requirements
from nnc.storage import LocalStore
from nnc.task import canonical_json, compute_units, load_spec, parse_spec, spec_digest
from nnc.training.program_package import (
    ProgramPackageError,
    fetch_init,
    fetch_package,
    pack_package,
    package_digest,
    unpack_package,
)
from tests.programs.conftest import EXAMPLES, RESNET, example_document


def test_the_example_spec_pins_the_example_package() -> None:
    spec = load_spec(EXAMPLES / "program-resnet-cnn.json")
    assert spec.program is not None and spec.program.digest == package_digest(RESNET)
    assert compute_units(spec) == -(-6 * spec.model.macs * 16 * 60 // 1_000_000)  # type: ignore[union-attr]


def test_specs_without_program_keep_their_canonical_form() -> None:
    spec = load_spec(EXAMPLES / "vision-digits-cnn.json")
    assert b"program" not in canonical_json(spec) and b"init" not in canonical_json(spec)
    assert spec_digest(spec).hex() == spec_digest(parse_spec(json.loads(canonical_json(spec)))).hex()


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("program"), "needs a program section for model.kind 'program'"),
    (lambda d: d.update(framework="jax"), "framework 'jax' cannot run a program"),
    (lambda d: d.update(model={"kind": "cnn", "channels": [4]}), "model.kind must be 'program', not 'cnn'"),
    (lambda d: d["program"].update(entry="resnet_cnn"), "program.entry: should be module:factory"),
    (lambda d: d["program"].update(digest="abc"), "program.digest"),
    (lambda d: d["program"].update(requires={"torch": "~~2"}), "torch: '~~2' is not a version specifier"),
    (lambda d: d["program"].update(requires={"torch[cuda]": ">=2"}), "'torch[cuda]' is not a package name"),
    (lambda d: d.update(init={"uri": "ipfs://x", "format": "pickle", "digest": "0" * 64}), "init.format"),
])
def test_bad_program_sections_are_named(change: object, message: str) -> None:
    document = example_document()
    change(document)  # type: ignore[operator]
    with pytest.raises(TaskSpecError, match="task spec: .*") as error:
        parse_spec(document)
    assert message in str(error.value)


def test_init_needs_a_framework_that_can_load_it() -> None:
    document = json.loads((EXAMPLES / "digits-mlp-jax.json").read_text())
    document["init"] = {"uri": "ipfs://x", "format": "safetensors", "digest": "0" * 64}
    with pytest.raises(TaskSpecError, match="framework 'jax' cannot start from init weights"):
        parse_spec(document)


def test_the_digest_is_the_same_for_a_directory_and_its_archives(tmp_path: Path) -> None:
    digest = package_digest(RESNET)
    tgz = tmp_path / "package.tar.gz"
    tgz.write_bytes(pack_package(RESNET))
    assert unpack_package(tgz, tmp_path / "from-tgz") == digest
    plain = tmp_path / "package.tar"
    with tarfile.open(plain, "w") as bundle:
        bundle.add(RESNET, arcname=".", filter=lambda m: None if "__pycache__" in m.name else m)
    assert unpack_package(plain, tmp_path / "from-tar") == digest
    zipped = tmp_path / "package.zip"
    with zipfile.ZipFile(zipped, "w") as bundle:
        for path in RESNET.glob("*.py"):
            bundle.write(path, path.name)
    assert unpack_package(zipped, tmp_path / "from-zip") == digest
    (tmp_path / "from-zip" / "extra.py").write_text("")
    assert package_digest(tmp_path / "from-zip") != digest


def test_an_archive_cannot_write_outside_its_root(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as bundle:
        info = tarfile.TarInfo("../escaped.py")
        info.size = 1
        bundle.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ProgramPackageError, match="unsafe member name '../escaped.py'"):
        unpack_package(archive, tmp_path / "dest")
    assert not (tmp_path / "escaped.py").exists()


def test_compiled_files_are_neither_digested_nor_unpacked(tmp_path: Path) -> None:
    package = tmp_path / "package"
    shutil.copytree(RESNET, package)
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "resnet_cnn.cpython-311.pyc").write_bytes(b"crafted bytecode")
    assert package_digest(package) == package_digest(RESNET)
    archive = tmp_path / "with-pyc.tar"
    with tarfile.open(archive, "w") as bundle:
        bundle.add(package, arcname=".")
    assert unpack_package(archive, tmp_path / "dest") == package_digest(RESNET)
    assert not (tmp_path / "dest" / "__pycache__").exists(), "a node compiles the sources itself"


def test_unpacking_refuses_a_member_twice_and_a_package_over_its_limits(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    twice = tmp_path / "twice.tar"
    with tarfile.open(twice, "w") as bundle:
        for content in (b"a", b"b"):
            info = tarfile.TarInfo("program.py")
            info.size = 1
            bundle.addfile(info, io.BytesIO(content))
    with pytest.raises(ProgramPackageError, match="member 'program.py' appears twice"):
        unpack_package(twice, tmp_path / "dest")
    monkeypatch.setattr("nnc.training.program_package.MAX_PACKAGE_BYTES", 1000)
    big = tmp_path / "big.tar"
    big.write_bytes(pack_package(RESNET))
    with pytest.raises(ProgramPackageError, match="extracts to over 1000 bytes or 10000 files"):
        unpack_package(big, tmp_path / "dest2")
    assert not (tmp_path / "dest2").exists()


def test_requirements_are_matched_against_installed_versions() -> None:
    assert unmet_requirements({"torch": ">=2.0"}) == []
    assert "is not met by the installed torch" in unmet_requirements({"torch": "<1"})[0]
    assert unmet_requirements({"no-such-package-nnc": ">=1"}) == ["no-such-package-nnc>=1 is not installed"]


def test_requirements_are_matched_against_registered_packages_by_normal_name() -> None:
    registered = {"pillow": "10.1.0", "torch": "2.5.0"}
    assert unmet_requirements({"Pillow": ">=9", "TORCH": ">=2"}, registered, where="registered") == []
    assert unmet_requirements({"torch": ">=2.6"}, registered, where="registered") == [
        "torch>=2.6 is not met by the registered torch 2.5.0"]
    assert unmet_requirements({"numpy": ">=1"}, registered, where="registered") == ["numpy>=1 is not registered"]


def test_a_node_refuses_a_program_its_registered_profile_does_not_offer(tmp_path: Path) -> None:
    """Requesters match nodes on their registered profiles: a node takes no program needing a
    package its profile did not declare, even one installed since (it must re-register first)."""
    from nnc.runtimes.requirements import installed_packages
    from nnc.worker.intake import program_refusal
    from nnc.worker.membership import REGISTERED_OFFERS

    spec = load_spec(EXAMPLES / "program-resnet-cnn.json")
    (tmp_path / REGISTERED_OFFERS).write_text(json.dumps({"runtimes": {}, "packages": {"torch": "2.5.0"}}))
    with pytest.raises(TaskSpecError, match=r"pillow>=9 is not in this node's registered profile"):
        program_refusal(spec, tmp_path)
    (tmp_path / REGISTERED_OFFERS).write_text(json.dumps({"runtimes": {}, "packages": installed_packages()}))
    try:
        program_refusal(spec, tmp_path)
    except TaskSpecError as exc:  # no bubblewrap on this machine: the sandbox refusal, not a package one
        assert "registered profile" not in str(exc) and "bubblewrap" in str(exc)


def test_profiles_list_packages_and_older_profiles_still_parse() -> None:
    from dataclasses import asdict

    from nnc.node.profile import HardwareProfile, profile_from_json, profile_json
    from nnc.runtimes.requirements import installed_packages

    assert installed_packages()["torch"].startswith("2.")
    profile = HardwareProfile(cpu_model="cpu", cpu_cores=2, ram_bytes=1, gpus=[], cuda_driver=None, cuda=None,
                              python="3.11", torch="2", numpy="2", os="linux", packages={"torch": "2"})
    assert profile_from_json(profile_json(profile)) == profile
    older = asdict(profile)
    del older["packages"]
    assert profile_from_json(json.dumps(older)).packages == {}


def test_fetching_checks_the_package_and_init_digests(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    document = example_document()
    document["program"]["uri"] = store.put_bytes(pack_package(RESNET))
    weights = store.put_bytes(b"not the pinned weights")
    document["init"] = {"uri": weights, "format": "safetensors", "digest": "0" * 64}
    spec = parse_spec(document)
    package = fetch_package(spec, store, tmp_path / "cache")
    assert package == tmp_path / "cache" / "programs" / package_digest(RESNET)
    assert (package / "resnet_cnn.py").is_file()
    with pytest.raises(ProgramPackageError, match=r"init weights at .* have digest .*, the spec's init.digest is 0+"):
        fetch_init(spec, store, tmp_path / "cache")
    document["program"]["digest"] = "1" * 64
    with pytest.raises(ProgramPackageError, match=r"program package at .* has digest [0-9a-f]{64}, the spec's"):
        fetch_package(parse_spec(document), store, tmp_path / "cache")
