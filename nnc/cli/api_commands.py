"""`nnc api`: the JSON API and the web app, over the deployment in the settings."""

from __future__ import annotations

import click

from nnc.cli.context import settings_of


@click.command("api")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, help="port to listen on (0: any free port)")
@click.option("--public-rpc-url", help="RPC URL wallets should add for this chain (default: settings rpc_url)")
@click.pass_context
def api_cmd(ctx: click.Context, host: str, port: int, public_rpc_url: str | None) -> None:
    """Serve the JSON API and the web app until Ctrl-C. The server never signs transactions."""
    from nnc.api import ApiContext, ApiServer  # imports torch (spec estimates): only this command pays
    from nnc.storage import store_from_settings

    settings = settings_of(ctx)
    context = ApiContext.from_settings(settings, public_rpc_url, store_from_settings(settings))
    server = ApiServer(context, host, port)
    click.echo(f"NNC API and web app at {server.url} (chain {context.deployment.chain_id}, "
               f"OpenAPI at {server.url}/api/openapi.json); Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
