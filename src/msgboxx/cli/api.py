"""``msgboxx send`` and ``msgboxx messages tail``: everyday work through the API (the SDK)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import orjson
import typer

from msgboxx.cli._app import app, fail, messages_cli
from msgboxx.cli._connect import DEFAULT_URL, PasswordStdin, Url, Username, credentials
from msgboxx.client import ApiAccount, Client, Message, MsgboxxError


def _account(client: Client, chosen: str | None) -> ApiAccount:
    """The account named by id or number, or the only one the user can see."""
    accounts = list(client.apiaccounts.list())
    if chosen is not None:
        for account in accounts:
            if chosen in (str(account.api_account_id), account.phone_number):
                return account
        raise fail(f"no API account {chosen} is visible to this user")
    if len(accounts) != 1:
        numbers = ", ".join(a.phone_number for a in accounts) or "none"
        raise fail(f"choose the sending number with --account (visible: {numbers})")
    return accounts[0]


def _template_id(client: Client, account: ApiAccount, name: str) -> uuid.UUID:
    for template in client.templates.list(api_account_id=account.api_account_id):
        if template.name == name:
            return template.template_id
    raise fail(f"no template named {name} on {account.phone_number}")


@app.command()
def send(
    to: Annotated[str, typer.Option("--to", help="The customer's number, in any usual form.")],
    text: Annotated[
        str | None, typer.Option("--text", help="A session message (inside the 24-hour window).")
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="An approved template's name instead.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A template placeholder, in order.")
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Sending number or account id (default: the only one)."),
    ] = None,
    url: Url = DEFAULT_URL,
    username: Username = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Send a message (or a template) to a customer; prints the message or broadcast id."""
    if (text is None) == (template is None):
        raise fail("give either --text or --template")
    user, password = credentials(username, password_stdin)
    try:
        with Client(url, username=user, password=password) as client:
            sender = _account(client, account)
            contact = client.contacts.find(api_account_id=sender.api_account_id, mobile_number=to)
            if text is not None:
                if contact is None:
                    raise fail(
                        f"{to} has never written to {sender.phone_number}: a first message "
                        "must be a template (--template)"
                    )
                sent = client.messages.send(
                    api_account_id=sender.api_account_id,
                    contact_id=contact.contact_id,
                    message=text,
                )
                typer.echo(f"{sent.status} to {contact.mobile_number}", err=True)
                typer.echo(str(sent.message_id))
                return
            assert template is not None
            if contact is None:
                contact = client.contacts.create(
                    api_account_id=sender.api_account_id, mobile_number=to
                )
            broadcast = client.broadcasts.send(
                api_account_id=sender.api_account_id,
                contact_id=contact.contact_id,
                template_id=_template_id(client, sender, template),
                parameters=param or [],
            )
            typer.echo(f"template {template} accepted for {contact.mobile_number}", err=True)
            typer.echo(str(broadcast.broadcast_id))
    except MsgboxxError as exc:
        raise fail(str(exc)) from None


def _line(message: Message, number: str) -> str:
    at = message.date_time.astimezone(UTC).strftime("%H:%M:%S")
    text = (message.message or "").replace("\n", " ")
    if len(text) > 60:
        text = text[:57] + "..."
    reason = f"  ({message.failure_reason})" if message.failure_reason else ""
    arrow = "->" if message.direction == "Outbound" else "<-"
    return f"{at}  {arrow} {number:<16} {message.status:<9} {text}{reason}"


@messages_cli.command("tail")
def tail(
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's (id).")
    ] = None,
    since: Annotated[
        float, typer.Option(help="Also show messages from this many seconds back.")
    ] = 0.0,
    interval: Annotated[float, typer.Option(help="Seconds between looks.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    url: Url = DEFAULT_URL,
    username: Username = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Follow messages as they are sent, received and change status (Ctrl-C stops)."""
    user, password = credentials(username, password_stdin)
    start = datetime.now(UTC) - timedelta(seconds=since)
    seen: dict[uuid.UUID, str] = {}
    numbers: dict[uuid.UUID, str] = {}
    try:
        with Client(url, username=user, password=password) as client:
            typer.echo(f"following messages on {url} (Ctrl-C stops)", err=True)
            while True:
                found = list(client.messages.list(api_account_id=account, from_date=start))
                for message in reversed(found):  # oldest first
                    if seen.get(message.message_id) == message.status:
                        continue
                    seen[message.message_id] = message.status
                    if as_json:
                        typer.echo(
                            orjson.dumps(message.model_dump(mode="json", by_alias=True)).decode()
                        )
                        continue
                    if message.contact_id not in numbers:
                        contact = client.contacts.get(message.contact_id)
                        numbers[message.contact_id] = contact.mobile_number
                    typer.echo(_line(message, numbers[message.contact_id]))
                time.sleep(interval)
    except KeyboardInterrupt:
        return
    except MsgboxxError as exc:
        raise fail(str(exc)) from None
