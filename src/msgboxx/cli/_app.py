"""The command tree and what every command shares: errors as one line on stderr."""

from __future__ import annotations

import uuid

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="msgboxx: WhatsApp messaging.")
admin = typer.Typer(no_args_is_help=True, help="Administer organisations, users, accounts.")
org_cli = typer.Typer(no_args_is_help=True, help="Organisations.")
user_cli = typer.Typer(no_args_is_help=True, help="Users.")
account_cli = typer.Typer(no_args_is_help=True, help="API accounts (WhatsApp numbers).")
template_cli = typer.Typer(no_args_is_help=True, help="Message templates.")
sandbox_cli = typer.Typer(no_args_is_help=True, help="The WhatsApp Cloud API sandbox.")
messages_cli = typer.Typer(no_args_is_help=True, help="Messages, through the API.")
webhook_cli = typer.Typer(no_args_is_help=True, help="Webhooks, through the API.")
contacts_cli = typer.Typer(no_args_is_help=True, help="Contacts, through the API.")
app.add_typer(admin, name="admin")
admin.add_typer(org_cli, name="org")
admin.add_typer(user_cli, name="user")
admin.add_typer(account_cli, name="apiaccount")
admin.add_typer(template_cli, name="template")
app.add_typer(sandbox_cli, name="sandbox")
app.add_typer(messages_cli, name="messages")
app.add_typer(webhook_cli, name="webhook")
app.add_typer(contacts_cli, name="contacts")


def fail(message: str) -> typer.Exit:
    """Report one line on stderr; raise the answer to exit non-zero."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(1)


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{what} must be a UUID, got {value!r}") from None
