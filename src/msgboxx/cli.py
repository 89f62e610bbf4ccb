"""The ``msgboxx`` command: serve, worker, migrate, admin ... .

Admin commands work on the same data folder or database as the server, print
the new record's id alone on stdout (so scripts can capture it), and report an
error as one line on stderr with a non-zero exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from msgboxx.core.errors import ProblemError
from msgboxx.db import Database
from msgboxx.db import migrate as migrations
from msgboxx.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="msgboxx: WhatsApp messaging.")
admin = typer.Typer(no_args_is_help=True, help="Administer organisations, users, accounts.")
org_cli = typer.Typer(no_args_is_help=True, help="Organisations.")
user_cli = typer.Typer(no_args_is_help=True, help="Users.")
account_cli = typer.Typer(no_args_is_help=True, help="API accounts (WhatsApp numbers).")
template_cli = typer.Typer(no_args_is_help=True, help="Message templates.")
app.add_typer(admin, name="admin")
admin.add_typer(org_cli, name="org")
admin.add_typer(user_cli, name="user")
admin.add_typer(account_cli, name="apiaccount")
admin.add_typer(template_cli, name="template")
sandbox_cli = typer.Typer(no_args_is_help=True, help="The WhatsApp Cloud API sandbox.")
app.add_typer(sandbox_cli, name="sandbox")

T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(1)


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run one admin action against the configured database, errors as one line."""
    settings = Settings()

    async def main() -> T:
        if settings.is_sqlite:
            await migrations.run(settings.resolved_database_url)
        db = Database(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except ProblemError as exc:
        raise _fail(exc.detail) from None
    except (ProgrammingError, OperationalError) as exc:
        raise _fail(f"database error: {exc.orig}; has `msgboxx migrate` been run?") from None
    except (DBAPIError, OSError) as exc:
        raise _fail(f"cannot use the database: {exc}") from None


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _fail(f"{what} must be a UUID, got {value!r}") from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MSGBOXX_PORT or 8000).")] = None,
    dispatch: Annotated[
        bool, typer.Option("--dispatch/--no-dispatch", help="Run the dispatcher in this process.")
    ] = True,
    workers: Annotated[int, typer.Option(help="HTTP worker processes.")] = 1,
) -> None:
    """Serve the API (and, unless --no-dispatch, send messages too)."""
    import uvicorn

    if not dispatch:
        os.environ["MSGBOXX_DISPATCH"] = "false"
    settings = Settings()
    uvicorn.run(
        "msgboxx.app:configured_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,
        **settings.serving_options(),
    )


@app.command()
def worker() -> None:
    """Run a dispatcher process: sends due messages and due webhook deliveries."""
    from msgboxx import intake, runtime
    from msgboxx.channels.registry import ChannelRegistry
    from msgboxx.db.engine import WEBHOOKS_QUEUED
    from msgboxx.dispatch.dispatcher import Dispatcher
    from msgboxx.observability import logs
    from msgboxx.webhooks.delivery import WebhookSender

    settings = Settings()
    logs.configure(settings.log_level)

    async def main() -> None:
        if settings.is_sqlite:
            await migrations.run(settings.resolved_database_url)
        db = Database(settings)
        channels = ChannelRegistry(settings, report=lambda events: intake.apply_batch(db, events))
        dispatcher = Dispatcher(db, channels, settings)
        sender = WebhookSender(db, settings)
        db.on_committed(WEBHOOKS_QUEUED, sender.wake)

        def stop() -> None:
            dispatcher.stop()
            sender.stop()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        runtime.settle_garbage_collector()
        try:
            await asyncio.gather(dispatcher.run(), sender.run())
        finally:
            await channels.close()
            await db.dispose()

    asyncio.run(main())


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    downgrade: Annotated[bool, typer.Option(help="Downgrade to the revision.")] = False,
) -> None:
    """Bring the database schema to the given revision."""
    settings = Settings()
    try:
        asyncio.run(
            migrations.run(
                settings.resolved_database_url,
                action="downgrade" if downgrade else "upgrade",
                revision=revision,
            )
        )
    except (DBAPIError, OSError) as exc:
        raise _fail(f"migration failed: {exc}") from None
    typer.echo(f"database at revision {revision}", err=True)


@org_cli.command("create")
def org_create(name: str) -> None:
    """Create an organisation; prints its id."""
    from msgboxx.auth import service as auth

    async def work(db: Database) -> uuid.UUID:
        async with db.session(write=True) as session:
            organisation = await auth.create_organisation(session, name=name)
            await session.commit()
            return organisation.id

    typer.echo(str(_run(work)))


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
        raise _fail("give the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    org_id = _uuid(org, "--org")

    async def work(db: Database) -> uuid.UUID:
        async with db.session(write=True) as session:
            user = await auth.create_user(
                session, org_id=org_id, email=email, password=password, role=role
            )
            await session.commit()
            return user.id

    typer.echo(str(_run(work)))


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

    org_id = _uuid(org, "--org")
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
        raise _fail(exc.detail) from None
    except ValueError as exc:  # pydantic's ValidationError
        raise _fail(str(exc).splitlines()[0] + ": " + str(exc).splitlines()[-1].strip()) from None

    async def work(db: Database) -> uuid.UUID:
        async with db.session(write=True) as session:
            account, _inbox = await accounts.create(
                session,
                org_id=org_id,
                phone_number=phone,
                name=name,
                channel=chosen,
                channel_settings=channel_settings,
            )
            await session.commit()
            return account.id

    typer.echo(str(_run(work)))


@account_cli.command("assign")
def apiaccount_assign(
    account: Annotated[str, typer.Argument(help="API account id.")],
    user: Annotated[str, typer.Option("--user", help="The agent's email.")],
) -> None:
    """Let an agent see and work an account."""
    from msgboxx.accounts import service as accounts
    from msgboxx.auth import service as auth

    account_id = _uuid(account, "account")

    async def work(db: Database) -> None:
        async with db.session(write=True) as session:
            found = await auth.get_user_by_email(session, email=user)
            if found is None:
                raise _fail(f"no user with email {user}")
            await accounts.assign_agent(session, account_id=account_id, user_id=found.id)
            await session.commit()

    _run(work)


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
    from msgboxx.accounts.models import ApiAccount
    from msgboxx.core.errors import NotFound
    from msgboxx.templates import service as templates
    from msgboxx.templates.models import TemplateStatus

    account_id = _uuid(account, "--account")

    async def work(db: Database) -> uuid.UUID:
        async with db.session(write=True) as session:
            found = await session.get(ApiAccount, account_id)
            if found is None:
                raise NotFound(f"API account {account_id} does not exist")
            template = await templates.create(
                session,
                account=found,
                name=name,
                text=text,
                example=example,
                language=language,
                category=category.upper(),
                status=TemplateStatus.approved if approved else TemplateStatus.pending,
            )
            await session.commit()
            return template.id

    typer.echo(str(_run(work)))


@template_cli.command("sync")
def template_sync(
    account: Annotated[str, typer.Option("--account", help="API account id.")],
) -> None:
    """Import the account's templates from WhatsApp Manager and update their status."""
    from msgboxx import intake
    from msgboxx.channels.registry import ChannelRegistry
    from msgboxx.dispatch import template_sync as syncing

    account_id = _uuid(account, "--account")

    async def work(db: Database) -> syncing.SyncResult:
        channels = ChannelRegistry(Settings(), report=lambda events: intake.apply_batch(db, events))
        try:
            return await syncing.sync_account(db, channels, account_id=account_id)
        finally:
            await channels.close()

    result = _run(work)
    typer.echo(f"listed {result.listed}, created {result.created}, updated {result.updated}")


@sandbox_cli.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    webhook_url: Annotated[
        str | None,
        typer.Option(
            envvar="MSGBOXX_SANDBOX_WEBHOOK_URL",
            help="Where to deliver webhooks, e.g. http://127.0.0.1:8000/channels/whatsapp/webhook.",
        ),
    ] = None,
    app_secret: Annotated[
        str,
        typer.Option(envvar="MSGBOXX_SANDBOX_APP_SECRET", help="Signs the webhooks (HMAC)."),
    ] = "sandbox-app-secret",
    access_token: Annotated[
        str | None,
        typer.Option(
            envvar="MSGBOXX_SANDBOX_ACCESS_TOKEN", help="Accept only this token (default any)."
        ),
    ] = None,
    sent_delay: Annotated[float, typer.Option(help="Seconds until 'sent'.")] = 0.2,
    delivered_delay: Annotated[float, typer.Option(help="Seconds until 'delivered'.")] = 0.5,
    read_delay: Annotated[float, typer.Option(help="Seconds until 'read'.")] = 1.0,
    status_batch_seconds: Annotated[
        float, typer.Option(help="Statuses falling due this close together share a webhook.")
    ] = 0.05,
) -> None:
    """Serve a WhatsApp Cloud API double; point MSGBOXX_GRAPH_BASE_URL at it."""
    import uvicorn

    from msgboxx.channels.sandbox.graph import GraphConfig, create_graph_app
    from msgboxx.observability import logs

    logs.configure(Settings().log_level)
    config = GraphConfig(
        webhook_url=webhook_url,
        app_secret=app_secret,
        access_token=access_token,
        sent_delay=sent_delay,
        delivered_delay=delivered_delay,
        read_delay=read_delay,
        status_batch_seconds=status_batch_seconds,
    )
    uvicorn.run(
        create_graph_app(config),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


def main() -> None:
    app()
