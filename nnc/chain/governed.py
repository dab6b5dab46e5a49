"""Every parameter the DAO governs, read from the contracts' ABIs: each admin setter of a protocol
contract (`MarketConfig.setChallengeWindow`, `Arbitration.setParams`, ...), what it is set to now,
and a call built from text values, simulated as the timelock (the only admin) would make it.

A parameter is named `Contract.setter`. Its current value comes from the getter the setter
mirrors: the public variable of the same name (`setReportWindow` → `reportWindow()`), a field of
`MarketConfig.params()`, or a keyed read (`setTokenValue(token, …)` → `tokenValue(token)`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError

from nnc.chain.client import ChainClient
from nnc.errors import ChainError, ConfigError

GOVERNED_CONTRACTS: Final = ("MarketConfig", "NodeRegistry", "Reputation", "Arbitration", "SpotCheck", "RoundBook",
                             "ModelRegistry", "ModelRatings")
"""The contracts whose admin (the timelock, after the hand-over) sets protocol parameters."""

NOT_PARAMETERS: Final = frozenset({"setPrice", "setEncryptionKey", "setVisibility", "setQualityByArbitration"})
"""Setters any account calls for itself, not parameters of the protocol."""

MARKET_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "setProtocolFee": ("settlement.protocolFeeBps",),
    "setSettlementWeights": ("settlement.baseWeightBps", "settlement.qualityWeightBps",
                             "settlement.reputationWeightBps"),
    "setChallengeWindow": ("settlement.challengeWindow",),
    "setSnapshotInterval": ("settlement.minSnapshotInterval",),
    "setRewardPerComputeUnit": ("settlement.rewardPerComputeUnit",),
    "setAbandonPenalty": ("abandonPenaltyBps",),
    "setWindows": ("freezeWindow", "tieWindow", "minExecutionWindow"),
    "setTreasury": ("treasury",),
    "setResultProofs": ("resultProofs",),
}
"""MarketConfig setters and the fields of its `params()` they set."""

KEYED_GETTERS: Final[Mapping[str, str]] = {
    "setTokenAllowed": "isTokenAllowed", "setStrategyAllowed": "isStrategyAllowed", "setTokenValue": "tokenValue"}
"""Setters whose first argument is a key, and the getter that reads the value under it."""


@dataclass(frozen=True)
class GovernedParameter:
    """A setter of a governed contract: `inputs` are its ABI inputs (name, type, components)."""

    contract: str
    setter: str
    inputs: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        return f"{self.contract}.{self.setter}"

    @property
    def signature(self) -> str:
        return f"{self.setter}({', '.join(_describe(i) for i in self.inputs)})"

    @property
    def keyed(self) -> bool:
        return self.setter in KEYED_GETTERS


def governed_parameters(client: ChainClient) -> list[GovernedParameter]:
    """Every governed parameter of the deployment, in contract order."""
    found = []
    for contract in GOVERNED_CONTRACTS:
        if not client.has_contract(contract):
            continue
        for item in client.artifacts.get(contract).abi:
            name = str(item.get("name", ""))
            if (item.get("type") == "function" and name.startswith("set") and name not in NOT_PARAMETERS
                    and item.get("stateMutability") == "nonpayable"):
                found.append(GovernedParameter(contract, name, tuple(item["inputs"])))
    return found


def find_parameter(client: ChainClient, name: str) -> GovernedParameter:
    """The governed parameter named `Contract.setter`; ConfigError listing them otherwise."""
    parameters = governed_parameters(client)
    for parameter in parameters:
        if parameter.name == name:
            return parameter
    raise ConfigError(f"no governed parameter {name!r}; they are: {', '.join(p.name for p in parameters)}")


def current_value(client: ChainClient, parameter: GovernedParameter, key: str | None = None) -> Any:
    """What `parameter` is set to now (a keyed one under `key`); None when no getter mirrors it."""
    functions = client.contract(parameter.contract).functions
    if parameter.keyed:
        if key is None:
            return None
        return getattr(functions, KEYED_GETTERS[parameter.setter])(Web3.to_checksum_address(key)).call()
    if parameter.contract == "MarketConfig" and parameter.setter in MARKET_FIELDS:
        params = _named(functions.params().call(), _outputs(client, "MarketConfig", "params"))
        values = [_field(params, path) for path in MARKET_FIELDS[parameter.setter]]
        return values[0] if len(values) == 1 else values
    getter = parameter.setter[3].lower() + parameter.setter[4:]
    if not hasattr(functions, getter):
        return None
    value = getattr(functions, getter)().call()
    outputs = _outputs(client, parameter.contract, getter)
    return _named(value, outputs) if outputs and outputs[0].get("components") else value


def build_call(client: ChainClient, parameter: GovernedParameter, values: Sequence[str]) -> ContractFunction:
    """The setter called with `values` (text: numbers, addresses, true/false, a JSON object or
    array for a struct); ConfigError naming the argument that does not parse."""
    if len(values) != len(parameter.inputs):
        raise ConfigError(f"{parameter.name} takes {len(parameter.inputs)} value(s): {parameter.signature}")
    args = [_parse(text, spec, parameter.name) for text, spec in zip(values, parameter.inputs, strict=True)]
    function: ContractFunction = getattr(client.contract(parameter.contract).functions, parameter.setter)(*args)
    return function


def simulate(client: ChainClient, call: ContractFunction, admin: str) -> None:
    """Runs `call` as `admin` (the timelock) without sending it; ChainError with the decoded
    revert when the contract would refuse it (a value out of its bounds)."""
    try:
        call.call({"from": Web3.to_checksum_address(admin)})
    except ContractLogicError as exc:
        raise client.decoder.decode(exc.data if isinstance(exc.data, str) else None,
                                    f"{call.fn_name} as the timelock") from None


def _describe(spec: Mapping[str, Any]) -> str:
    if spec.get("components"):
        return "(" + ", ".join(_describe(c) for c in spec["components"]) + f") {spec['name']}"
    return f"{spec['type']} {spec['name']}".strip()


def _parse(text: str, spec: Mapping[str, Any], where: str) -> Any:
    kind, name = str(spec["type"]), spec.get("name") or "value"
    try:
        if spec.get("components"):
            given = json.loads(text)
            if isinstance(given, dict):
                given = [given[c["name"]] for c in spec["components"]]
            return tuple(_parse(str(v).lower() if isinstance(v, bool) else str(v), c, where)
                         for v, c in zip(given, spec["components"], strict=True))
        if kind.startswith(("uint", "int")):
            return int(text, 0)
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError("not true or false")
            return text.lower() == "true"
        if kind == "address":
            if not Web3.is_address(text):
                raise ValueError("not an address")
            return Web3.to_checksum_address(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{where}: {name} ({kind}) cannot be {text!r}: {exc}") from None
    raise ConfigError(f"{where}: {name} has type {kind}, which this command does not write")


def _outputs(client: ChainClient, contract: str, function: str) -> list[dict[str, Any]]:
    for item in client.artifacts.get(contract).abi:
        if item.get("type") == "function" and item.get("name") == function:
            return list(item.get("outputs", []))
    raise ChainError(f"{contract} has no function {function}")


def _named(value: Any, outputs: list[dict[str, Any]]) -> Any:
    """A returned struct as a dict by field name (nested structs too)."""
    if len(outputs) == 1 and outputs[0].get("components"):
        return _struct(value, outputs[0]["components"])
    return value


def _struct(value: Sequence[Any], components: list[dict[str, Any]]) -> dict[str, Any]:
    return {c["name"]: _struct(v, c["components"]) if c.get("components") else v
            for v, c in zip(value, components, strict=True)}


def _field(params: Mapping[str, Any], path: str) -> Any:
    value: Any = params
    for part in path.split("."):
        value = value[part]
    return value
