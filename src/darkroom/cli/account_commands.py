"""`darkroom accounts`: create accounts, list them, and issue API keys, on the server's database."""

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from darkroom.cli.server_commands import load_settings

app = typer.Typer(help="Manage accounts and API keys on the server's database.", no_args_is_help=True)

DATA_DIR_HELP = "the server's data folder, which holds its SQLite database [env: DARKROOM_DATA_DIR]"


def open_server_database(data_dir: Path | None):
    """Return a runtime on the server's existing database, or exit with 2 when there is none.

    Creating a fresh SQLite file here would hand out keys that the running server never reads.
    """
    from darkroom.runtime import Runtime
    from darkroom.store import upgrade

    runtime = Runtime(load_settings(data_dir))
    if runtime.db.is_sqlite:
        path = runtime.settings.data_dir.resolve() / "darkroom.db"
        if runtime.settings.database_url is None and not path.exists():
            typer.echo(
                f"error: no Darkroom database at {path}. Pass the server's --data-dir (or set DARKROOM_DATA_DIR), "
                "or start `darkroom serve` once to create it.",
                err=True,
            )
            raise typer.Exit(2)
    upgrade(runtime.db)
    return runtime


@app.command("create")
def create(
    name: str = typer.Option(..., help="account name, unique on this server"),
    credits: int = typer.Option(10_000, min=0, help="initial credits"),
    data_dir: Path = typer.Option(None, help=DATA_DIR_HELP),
) -> None:
    """Create an account and print its API key (shown only this once)."""
    from darkroom.projects import accounts

    name = _checked_name(name)
    runtime = open_server_database(data_dir)
    if accounts.account_by_name(runtime.db, name) is not None:
        typer.echo(f"error: an account named {name!r} exists already; pick another name", err=True)
        raise typer.Exit(2)
    created = accounts.create_account(runtime.db, name, credits)
    typer.echo(f"account {created.name} ({created.account_id}) with {created.credits} credits")
    typer.echo(f"API key: {created.api_key}")


@app.command("list")
def list_accounts(data_dir: Path = typer.Option(None, help=DATA_DIR_HELP)) -> None:
    """List the accounts with their credits and number of active API keys."""
    from darkroom.projects import accounts

    runtime = open_server_database(data_dir)
    table = Table("name", "id", "credits", "API keys")
    for summary in accounts.list_accounts(runtime.db):
        table.add_row(summary.name, summary.account_id, str(summary.credits), str(summary.key_count))
    Console().print(table)


@app.command("new-key")
def new_key(
    name: str = typer.Option(..., help="name of the account, as `darkroom accounts list` shows it"),
    data_dir: Path = typer.Option(None, help=DATA_DIR_HELP),
) -> None:
    """Issue another API key for an account, for example when its key was lost. Older keys keep working."""
    from darkroom.projects import accounts

    runtime = open_server_database(data_dir)
    account = accounts.account_by_name(runtime.db, _checked_name(name))
    if account is None:
        typer.echo(f"error: no account named {name!r}; `darkroom accounts list` shows the names", err=True)
        raise typer.Exit(2)
    typer.echo(f"API key for {account.name}: {accounts.create_key(runtime.db, account.id)}")


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        typer.echo("error: --name must not be empty", err=True)
        raise typer.Exit(2)
    return name
