"""What the oracle and worker daemons share: the stop flag and back-off (`control`), and the
chain follower (`follower`: cursor, confirmations, reorganisations, the handler table, the loop)."""

from nnc.daemon.control import Backoff, StopFlag

__all__ = ["Backoff", "StopFlag"]
