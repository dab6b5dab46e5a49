"""Node addresses for tests that train outside a devnet: each node's checkpoint chain starts from
its own genesis (`nnc.training.digest.chain_genesis`), so tests train as a named node."""

NODE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
"""The node most tests train as (checksummed: addresses are compared case-insensitively)."""

OTHER_NODE = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
"""A second node, for what differs between nodes training the same spec."""
