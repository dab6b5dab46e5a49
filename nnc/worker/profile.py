"""Moved to `nnc.node.profile` (the hardware profile is a node-level service, below the daemons).

A transition alias for `nnc.api.uploads`, the one importer left (its owner updates the import
line); remove this module with it.
"""

from nnc.node.profile import hardware_class, profile_digest, profile_from_json

__all__ = ["hardware_class", "profile_digest", "profile_from_json"]
