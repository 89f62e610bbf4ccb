"""``msgboxx admin ...``: organisations, users, accounts and templates, on the server's store.

Admin commands print a new record's id alone on stdout (so scripts can capture
it), name the store they used on stderr, and report an error as one line on
stderr with a non-zero exit.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from msgboxx.cli import _store as store
from msgboxx.cli._app import (
    account_cli,
    admin,
    fail,
    org_cli,
    parse_uuid,
    template_cli,
    user_cli,
)
from msgboxx.core.errors import ProblemError
from msgboxx.db import Database
from msgboxx.settings import Settings


@admin.callback()
def admin_options(
    create: Annotated[
        bool,
        typer.Option(
            "--create", help="Start a new, empty store if there is none (else it is an error)."
        ),
    ] = False,
) -> None:
    """Administer organisations, users, accounts; on the store of MSGBOXX_DATA_DIR or
    MSGBOXX_DATABASE_URL."""
    store.create_if_missing = create


def _print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A Rich table; piped, it is not folded to 80 columns, so ids stay whole for grep."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "organisation"))
    for row in rows:
        table.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@org_cli.command("create")
def org_create(name: str) -> None:
    """Create an organisation; prints its id."""
    from msgboxx.auth import service as auth

    async def work(db: Database) -> uuid.UUID:
        async with db.tx(write=True) as tx:
            organisation = await auth.create_organisation(tx, name=name)
            await tx.commit()
            return organisation.id

    typer.echo(str(store.run(work)))


@user_cli.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    role: Annotated[str, typer.Option(help="admin or agent.")] = "agent",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user of an organisation; prints its id."""
    from msgboxx.auth import service as auth

    if not password_stdin:
        raise fail("give the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    org_id = parse_uuid(org, "--org")

    async def work(db: Database) -> uuid.UUID:
        async with db.tx(write=True) as tx:
            user = await auth.create_user(
                tx, org_id=org_id, email=email, password=password, role=role
            )
            await tx.commit()
            return user.id

    typer.echo(str(store.run(work)))


@account_cli.command("create")
def apiaccount_create(
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    phone: Annotated[str, typer.Option("--phone", help="The number, E.164.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    channel: Annotated[
        str | None, typer.Option(help="sandbox or cloud_api (default MSGBOXX_CHANNEL).")
    ] = None,
    phone_number_id: Annotated[
        str | None, typer.Option("--phone-number-id", help="Cloud API phone-number id.")
    ] = None,
    waba_id: Annotated[
        str | None, typer.Option("--waba-id", help="WhatsApp Business Account id.")
    ] = None,
    access_token_stdin: Annotated[
        bool,
        typer.Option(
            "--access-token-stdin",
            help="Read the access token from stdin (else MSGBOXX_WHATSAPP_ACCESS_TOKEN).",
        ),
    ] = False,
    app_secret: Annotated[
        str | None,
        typer.Option(envvar="MSGBOXX_WHATSAPP_APP_SECRET", help="The Meta app's secret."),
    ] = None,
    verify_token: Annotated[
        str | None,
        typer.Option(
            envvar="MSGBOXX_WHATSAPP_VERIFY_TOKEN", help="Webhook verify token you chose."
        ),
    ] = None,
) -> None:
    """Connect a WhatsApp number (and create its inbox); prints the account id."""
    from msgboxx.accounts import service as accounts
    from msgboxx.accounts.schemas import ApiAccountCreate

    org_id = parse_uuid(org, "--org")
    chosen = channel or Settings().channel
    token = os.environ.get("MSGBOXX_WHATSAPP_ACCESS_TOKEN")
    if access_token_stdin:
        token = sys.stdin.readline().strip()
    try:
        body = ApiAccountCreate.model_validate(
            {
                "phoneNumber": phone,
                "name": name,
                "channel": chosen,
                "phoneNumberId": phone_number_id,
                "wabaId": waba_id,
                "accessToken": token or None,
                "appSecret": app_secret,
                "webhookVerifyToken": verify_token,
            }
        )
        channel_settings = body.channel_settings(chosen)
    except ProblemError as exc:
        raise fail(exc.detail) from None
    except ValueError as exc:  # pydantic's ValidationError
        raise fail(str(exc).splitlines()[0] + ": " + str(exc).splitlines()[-1].strip()) from None

    async def work(db: Database) -> uuid.UUID:
        async with db.tx(write=True) as tx:
            account, _inbox = await accounts.create(
                tx,
                org_id=org_id,
                phone_number=phone,
                name=name,
                channel=chosen,
                channel_settings=channel_settings,
            )
            await tx.commit()
            return account.id

    typer.echo(str(store.run(work)))


@account_cli.command("assign")
def apiaccount_assign(
    account: Annotated[str, typer.Argument(help="API account id.")],
    user: Annotated[str, typer.Option("--user", help="The agent's email.")],
) -> None:
    """Let an agent see and work an account."""
    from msgboxx.accounts import service as accounts
    from msgboxx.auth import service as auth

    account_id = parse_uuid(account, "account")

    async def work(db: Database) -> None:
        async with db.tx(write=True) as tx:
            found = await auth.get_user_by_email(tx, email=user)
            if found is None:
                raise fail(f"no user with email {user}")
            await accounts.assign_agent(tx, account_id=account_id, user_id=found.id)
            await tx.commit()

    store.run(work)


@template_cli.command("create")
def template_create(
    account: Annotated[str, typer.Option("--account", help="API account id.")],
    name: Annotated[str, typer.Option(help="Lower-case name, e.g. follow_up.")],
    text: Annotated[str, typer.Option(help="Body with {{1}}, {{2}} placeholders.")],
    example: Annotated[str | None, typer.Option(help="An example of the filled body.")] = None,
    language: Annotated[str, typer.Option(help="Language code.")] = "en",
    category: Annotated[str, typer.Option(help="MARKETING, UTILITY or AUTHENTICATION.")] = (
        "UTILITY"
    ),
    approved: Annotated[
        bool,
        typer.Option(
            "--approved/--submit",
            help="Record as already Approved (it exists in WhatsApp Manager), or submit it.",
        ),
    ] = True,
) -> None:
    """Add a template to an account; prints its id."""
    from msgboxx.accounts import service as accounts
    from msgboxx.core.errors import NotFound
    from msgboxx.templates import service as templates
    from msgboxx.templates.status import TemplateStatus

    account_id = parse_uuid(account, "--account")

    async def work(db: Database) -> uuid.UUID:
        async with db.tx(write=True) as tx:
            found = await accounts.find(tx, account_id)
            if found is None:
                raise NotFound(f"API account {account_id} does not exist")
            template = await templates.create(
                tx,
                account=found,
                name=name,
                text=text,
                example=example,
                language=language,
                category=category.upper(),
                status=TemplateStatus.approved if approved else TemplateStatus.pending,
            )
            await tx.commit()
            return template.id

    typer.echo(str(store.run(work)))


@template_cli.command("sync")
def template_sync(
    account: Annotated[str, typer.Option("--account", help="API account id.")],
) -> None:
    """Import the account's templates from WhatsApp Manager and update their status."""
    from msgboxx import intake
    from msgboxx.channels.registry import ChannelRegistry
    from msgboxx.dispatch import template_sync as syncing

    account_id = parse_uuid(account, "--account")

    async def work(db: Database) -> syncing.SyncResult:
        channels = ChannelRegistry(Settings(), report=lambda events: intake.apply_batch(db, events))
        try:
            return await syncing.sync_account(db, channels, account_id=account_id)
        finally:
            await channels.close()

    result = store.run(work)
    typer.echo(f"listed {result.listed}, created {result.created}, updated {result.updated}")


@org_cli.command("list")
def org_list() -> None:
    """Every organisation, oldest first."""
    from msgboxx.auth import service as auth

    async def work(db: Database) -> list[list[str]]:
        async with db.tx(write=False) as tx:
            found = await auth.list_organisations(tx)
            return [[str(o.id), o.name, o.created_at.isoformat(timespec="seconds")] for o in found]

    _print_table("Organisations", ["id", "name", "created"], store.run(work))


@user_cli.command("list")
def user_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
) -> None:
    """Users, oldest first, with their role and whether they are disabled."""
    from msgboxx.auth import service as auth

    org_id = parse_uuid(org, "--org") if org else None

    async def work(db: Database) -> list[list[str]]:
        async with db.tx(write=False) as tx:
            found = await auth.list_users(tx, org_id=org_id)
            return [
                [u.email, u.role, "disabled" if u.disabled else "active", str(u.org_id), str(u.id)]
                for u in found
            ]

    _print_table("Users", ["email", "role", "state", "organisation", "id"], store.run(work))


@user_cli.command("set-password")
def user_set_password(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """Give a user a new password (read from stdin)."""
    from msgboxx.auth import service as auth

    if not password_stdin:
        raise fail("give the new password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")

    async def work(db: Database) -> None:
        async with db.tx(write=True) as tx:
            await auth.set_password(tx, email=email, password=password)
            await tx.commit()

    store.run(work)


def _set_disabled(email: str, *, disabled: bool) -> None:
    from msgboxx.auth import service as auth

    async def work(db: Database) -> None:
        async with db.tx(write=True) as tx:
            await auth.set_disabled(tx, email=email, disabled=disabled)
            await tx.commit()

    store.run(work)


@user_cli.command("disable")
def user_disable(email: str) -> None:
    """Stop a user at once: no sign-in, and the tokens it holds stop working."""
    _set_disabled(email, disabled=True)


@user_cli.command("enable")
def user_enable(email: str) -> None:
    """Let a disabled user sign in again."""
    _set_disabled(email, disabled=False)


@account_cli.command("list")
def apiaccount_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
) -> None:
    """API accounts (WhatsApp numbers), oldest first, with their channel and its health."""
    from msgboxx.accounts import service as accounts

    org_id = parse_uuid(org, "--org") if org else None

    async def work(db: Database) -> list[list[str]]:
        async with db.tx(write=False) as tx:
            found = await accounts.list_all(tx, org_id=org_id)
            return [
                [a.phone_number, a.name, a.channel, a.channel_status, str(a.org_id), str(a.id)]
                for a in found
            ]

    _print_table(
        "API accounts",
        ["number", "name", "channel", "health", "organisation", "id"],
        store.run(work),
    )
