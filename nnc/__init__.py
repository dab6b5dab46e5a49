"""NNC: the Neural Network Compute protocol (chain client, daemons, storage, CLI)."""

__version__ = "0.1.0"
