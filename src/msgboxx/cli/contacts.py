"""``msgboxx contacts import``: a CSV file of contacts into an account, through the API (the SDK).

Exit status: 0 when every row was created or updated; 3 when the file was
imported but some rows were rejected (each printed with its line and why); 1
when nothing was imported (an error, printed as one line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from msgboxx.cli._app import contacts_cli, fail
from msgboxx.cli._connect import DEFAULT_URL, PasswordStdin, Url, Username, credentials
from msgboxx.cli.api import _account as chosen_account
from msgboxx.client import Client, ImportReport, MsgboxxError

SOME_REJECTED = 3


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _print(report: ImportReport) -> None:
    typer.echo(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.rejected} rejected"
    )
    for problem in report.errors:
        number = f"{problem.number}: " if problem.number else ""
        typer.echo(f"line {problem.line}: {number}{problem.reason}")
    if report.errors_omitted:
        typer.echo(f"... and {report.errors_omitted} more rejected rows (the first are listed)")


@contacts_cli.command("import")
def import_contacts(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file, UTF-8."),
    ],
    account: Annotated[
        str | None,
        typer.Option("--account", help="Account id or number (default: the only one)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    url: Url = DEFAULT_URL,
    username: Username = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Import contacts from a CSV file: a number column, name, email, tags, any attributes."""
    user, password = credentials(username, password_stdin)
    console = Console(stderr=True)
    try:
        with Client(url, username=user, password=password) as client:
            target = chosen_account(client, account)
            with _bar(console) as bar:
                task = bar.add_task(f"uploading {file.name}", total=file.stat().st_size)

                def moved(sent: int, total: int) -> None:
                    bar.update(task, completed=sent, total=total)
                    if sent == total:
                        bar.update(task, description=f"importing {file.name}")

                report = client.contacts.import_csv(
                    file, api_account_id=target.api_account_id, progress=moved
                )
    except MsgboxxError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(orjson.dumps(report.model_dump(mode="json", by_alias=True)).decode())
    else:
        _print(report)
    if report.rejected:
        raise typer.Exit(SOME_REJECTED)
