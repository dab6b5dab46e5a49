"""Global options written after the subcommand (`nnc task status 3 --rpc-url URL`): moved in front
of it, where click reads them.

Only a command line that click refused for an unknown option that is a global one is rewritten, so
a subcommand's own option values (a prompt of "-v") are never taken for global options.
"""

from __future__ import annotations

from collections.abc import Sequence

import click


def global_option_arity(group: click.Command) -> dict[str, int]:
    """Each of `group`'s own option names (both spellings of a flag pair) and how many values it takes."""
    arity: dict[str, int] = {}
    for param in group.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                arity[name] = 0 if param.is_flag or param.count else param.nargs
    return arity


def hoist(args: Sequence[str], arity: dict[str, int]) -> list[str]:
    """`args` with every global option (and its value) moved to the front, in order; the
    arguments after `--` are left alone."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            rest.extend(args[index:])
            break
        name = token.split("=", 1)[0]
        if name in arity:
            takes = 0 if "=" in token else arity[name]
            front.extend(args[index:index + 1 + takes])
            index += 1 + takes
            continue
        rest.append(token)
        index += 1
    return front + rest
