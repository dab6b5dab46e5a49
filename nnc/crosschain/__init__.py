"""Cross-chain tasks over Hyperlane (issue 20): a requester on a spoke chain escrows a budget in
its `SpokeGateway`, a Hyperlane message publishes the task at the home chain's `HomeGateway`,
and the settlement goes back the same way.

- `hyperlane`: Hyperlane's own CLI (pinned in package.json) run as a process: a local registry
  folder, core deployed from `core-config.json`, a message delivered by hand (`status --relay`);
- `relayer`: Hyperlane's relayer as a supervised process (restarted when it dies or stalls, the
  messages it missed delivered by hand);
- `gateways`: typed clients of the two gateway contracts;
- `devnet`: `TwoChainDevnet`, the home devnet plus a spoke anvil, Hyperlane core on both, the
  gateways enrolled both ways, the relayer running (a developer tool, a layer above the rest).

The settlement keeper that relays each final bridged task's SETTLE lives with the oracle
(`nnc.oracle.bridge`).
"""
