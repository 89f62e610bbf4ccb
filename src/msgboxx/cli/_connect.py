"""Signing in for the commands that work through the API (send, tail, listen)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from msgboxx.cli._app import fail

URL_OPTION = typer.Option(
    "--url", envvar="MSGBOXX_URL", help="The server's base URL (env MSGBOXX_URL)."
)
USERNAME_OPTION = typer.Option(
    "--username", envvar="MSGBOXX_USERNAME", help="Who to sign in as (env MSGBOXX_USERNAME)."
)
PASSWORD_STDIN_OPTION = typer.Option(
    "--password-stdin", help="Read the password from stdin (else env MSGBOXX_PASSWORD)."
)

Url = Annotated[str, URL_OPTION]
Username = Annotated[str | None, USERNAME_OPTION]
PasswordStdin = Annotated[bool, PASSWORD_STDIN_OPTION]
DEFAULT_URL = "http://127.0.0.1:8000"


def credentials(username: str | None, password_stdin: bool) -> tuple[str, str]:
    """The username and password, from the options, the environment or stdin.

    A password is never an option: it would show in the process list and the
    shell's history.
    """
    if not username:
        raise fail("give --username (or set MSGBOXX_USERNAME)")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("MSGBOXX_PASSWORD", "")
    if not password:
        raise fail("give the password in MSGBOXX_PASSWORD or on stdin with --password-stdin")
    return username, password
