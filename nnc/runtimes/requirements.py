"""What a requester's program needs installed (`program.requires`: package → version specifier),
matched against the versions installed on this machine (`importlib.metadata`)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata


def unmet_requirements(requires: Mapping[str, str]) -> list[str]:
    """Which of a program's `requires` (package → version specifier) this machine does not meet,
    each as a readable line (empty: all met)."""
    from packaging.specifiers import SpecifierSet

    unmet = []
    for package, specifier in requires.items():
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            unmet.append(f"{package}{specifier} is not installed")
            continue
        if not SpecifierSet(specifier).contains(version, prereleases=True):
            unmet.append(f"{package}{specifier} is not met by the installed {package} {version}")
    return unmet
