"""What a requester's program needs installed (`program.requires`: package → version specifier),
matched against a node's packages: the versions installed on this machine (`importlib.metadata`),
or those a node registered in its profile (`installed_packages`, recorded by `nnc.node.profile`).

Package names compare as PEP 503 normalises them (`Pillow`, `pillow` and `PIL_low` differ only
in case and separators: `pillow`, `pil-low`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import metadata


def normalize_package(name: str) -> str:
    """PEP 503's normal form of a distribution name: lower case, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> dict[str, str]:
    """Every distribution installed in this Python environment (normalised name → version): what
    a program running in the sandbox can import, and what a node registers in its profile."""
    packages: dict[str, str] = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            packages.setdefault(normalize_package(name), distribution.version)
    return dict(sorted(packages.items()))


def unmet_requirements(requires: Mapping[str, str], packages: Mapping[str, str] | None = None,
                       where: str = "installed") -> list[str]:
    """Which of a program's `requires` (package → version specifier) are not met, each as a
    readable line (empty: all met). `packages` (normalised name → version) are the versions to
    match, described as `where` in the lines; default: this machine's (`installed_packages`)."""
    from packaging.specifiers import SpecifierSet

    available = installed_packages() if packages is None else {normalize_package(k): v for k, v in packages.items()}
    unmet = []
    for package, specifier in requires.items():
        version = available.get(normalize_package(package))
        if version is None:
            unmet.append(f"{package}{specifier} is not {where}")
        elif not SpecifierSet(specifier).contains(version, prereleases=True):
            unmet.append(f"{package}{specifier} is not met by the {where} {package} {version}")
    return unmet
