"""Entry point of the `darkroom` command."""

import typer

from darkroom.cli import account_commands, client_commands, server_commands

app = typer.Typer(
    help="Darkroom: a self-hosted image rendering server that speaks the Magic Hour v1 image API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server_commands.register(app)
app.add_typer(account_commands.app, name="accounts")
client_commands.register(app)
