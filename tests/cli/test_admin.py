"""The msgboxx CLI against the same data folder as the server."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx

from tests import postgres
from tests.processes import cli, serving
from tests.support import fresh_number


def created_id(result: object) -> str:
    from subprocess import CompletedProcess

    assert isinstance(result, CompletedProcess)
    assert result.returncode == 0, result.stderr
    value = result.stdout.strip()
    assert str(uuid.UUID(value)) == value  # the id alone on stdout
    return value


def test_admin__builds_an_organisation_that_can_sign_in_and_send(data_dir: Path) -> None:
    org = created_id(cli(data_dir, "admin", "--create", "org", "create", "Acme Ltd"))
    created_id(
        cli(
            data_dir,
            "admin",
            "user",
            "create",
            "boss@acme.example",
            "--org",
            org,
            "--role",
            "admin",
            "--password-stdin",
            stdin="s3cret-pass\n",
        )
    )
    number = fresh_number()
    account = created_id(
        cli(
            data_dir,
            "admin",
            "apiaccount",
            "create",
            "--org",
            org,
            "--phone",
            number,
            "--name",
            "Acme Support",
        )
    )
    template = created_id(
        cli(
            data_dir,
            "admin",
            "template",
            "create",
            "--account",
            account,
            "--name",
            "hello",
            "--text",
            "Hello {{1}}, welcome to Acme.",
        )
    )
    with serving(data_dir, MSGBOXX_DEMO="false") as base:
        token = httpx.post(
            f"{base}/oauth/token", json={"username": "boss@acme.example", "password": "s3cret-pass"}
        ).json()["access_token"]
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        accounts = api.get("/apiaccount").json()["items"]
        assert [(a["apiAccountId"], a["phoneNumber"]) for a in accounts] == [(account, number)]
        inboxes = api.get("/inboxes").json()["items"]
        assert inboxes[0]["apiAccountId"] == account
        listed = api.get("/template").json()["items"]
        assert [(t["templateId"], t["status"]) for t in listed] == [(template, "Approved")]


def test_admin__errors_are_one_line_and_fail(data_dir: Path) -> None:
    org = created_id(cli(data_dir, "admin", "--create", "org", "create", "Acme"))
    cases = [
        ("admin", "user", "create", "x@example.com", "--org", "not-a-uuid", "--password-stdin"),
        (
            "admin",
            "user",
            "create",
            "x@example.com",
            "--org",
            str(uuid.uuid4()),
            "--password-stdin",
        ),
        (
            "admin",
            "user",
            "create",
            "x@example.com",
            "--org",
            org,
            "--role",
            "owner",
            "--password-stdin",
        ),
        ("admin", "apiaccount", "create", "--org", org, "--phone", "12345", "--name", "X"),
        (
            "admin",
            "template",
            "create",
            "--account",
            str(uuid.uuid4()),
            "--name",
            "a",
            "--text",
            "b",
        ),
    ]
    for args in cases:
        result = cli(data_dir, *args, stdin="long-enough-password\n")
        assert result.returncode != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert result.stdout == ""
    short = cli(
        data_dir,
        "admin",
        "user",
        "create",
        "y@example.com",
        "--org",
        org,
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode != 0 and "8 characters" in short.stderr
    created_id(
        cli(
            data_dir,
            "admin",
            "user",
            "create",
            "y@example.com",
            "--org",
            org,
            "--password-stdin",
            stdin="long-enough-password\n",
        )
    )
    again = cli(
        data_dir,
        "admin",
        "user",
        "create",
        "Y@example.com",
        "--org",
        org,
        "--password-stdin",
        stdin="long-enough-password\n",
    )
    assert again.returncode != 0 and "already exists" in again.stderr


def test_migrate__reports_the_revision(data_dir: Path) -> None:
    result = cli(data_dir, "migrate")
    assert result.returncode == 0, result.stderr
    assert "head" in result.stderr


def one_line_error(result: object) -> str:
    from subprocess import CompletedProcess

    assert isinstance(result, CompletedProcess)
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""
    return lines[0]


def test_admin__refuses_to_start_a_new_store_unless_told(data_dir: Path) -> None:
    env: dict[str, str] = {}
    if os.environ.get("MSGBOXX_TEST_DATABASE_URL"):
        env["MSGBOXX_DATABASE_URL"] = postgres.run(postgres.fresh_database("cli_empty"))
    for args in (("org", "list"), ("org", "create", "Acme"), ("user", "disable", "a@b.example")):
        error = one_line_error(cli(data_dir, "admin", *args, **env))
        assert "MSGBOXX_DATA_DIR" in error and "msgboxx migrate" in error, error
    assert not (data_dir / "msgboxx.db").exists()
    made = cli(data_dir, "admin", "--create", "org", "create", "Acme", **env)
    created_id(made)
    assert made.stderr.startswith("store: ")
    if not env:
        assert str((data_dir / "msgboxx.db").resolve()) in made.stderr
    listed = cli(data_dir, "admin", "org", "list", **env)
    assert listed.returncode == 0 and "Acme" in listed.stdout


def test_admin__lists_organisations_users_and_accounts(data_dir: Path) -> None:
    org = created_id(cli(data_dir, "admin", "--create", "org", "create", "Listed Ltd"))
    email = f"lister-{uuid.uuid4().hex[:8]}@example.com"
    created_id(
        cli(data_dir, *new_user(email, org), stdin="long-enough-password\n"),
    )
    number = fresh_number()
    account = created_id(
        cli(
            data_dir,
            "admin",
            "apiaccount",
            "create",
            "--org",
            org,
            "--phone",
            number,
            "--name",
            "L",
        )
    )
    orgs = cli(data_dir, "admin", "org", "list")
    assert orgs.returncode == 0 and org in orgs.stdout and "Listed Ltd" in orgs.stdout
    users = cli(data_dir, "admin", "user", "list", "--org", org)
    assert users.returncode == 0, users.stderr
    (row,) = [line for line in users.stdout.splitlines() if email in line]
    assert "agent" in row and "active" in row
    accounts = cli(data_dir, "admin", "apiaccount", "list", "--org", org)
    (row,) = [line for line in accounts.stdout.splitlines() if number in line]
    assert account in row and "sandbox" in row


def new_user(email: str, org: str, role: str = "agent") -> tuple[str, ...]:
    return ("admin", "user", "create", email, "--org", org, "--role", role, "--password-stdin")


def test_admin__a_disabled_user_is_stopped_at_once_and_a_new_password_works(
    data_dir: Path,
) -> None:
    org = created_id(cli(data_dir, "admin", "--create", "org", "create", "Stoppable"))
    email = f"leaver-{uuid.uuid4().hex[:8]}@example.com"
    created_id(cli(data_dir, *new_user(email, org, "admin"), stdin="first-password\n"))
    with serving(data_dir, MSGBOXX_DEMO="false") as base:

        def sign_in(password: str) -> httpx.Response:
            return httpx.post(f"{base}/oauth/token", json={"username": email, "password": password})

        token = sign_in("first-password").json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/apiaccount", headers=headers).status_code == 200

        assert cli(data_dir, "admin", "user", "disable", email).returncode == 0
        refused = httpx.get(f"{base}/apiaccount", headers=headers)
        assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
        assert sign_in("first-password").status_code == 401
        users = cli(data_dir, "admin", "user", "list", "--org", org).stdout
        assert "disabled" in next(line for line in users.splitlines() if email in line)

        assert cli(data_dir, "admin", "user", "enable", email).returncode == 0
        assert httpx.get(f"{base}/apiaccount", headers=headers).status_code == 200

        changed = cli(
            data_dir,
            "admin",
            "user",
            "set-password",
            email,
            "--password-stdin",
            stdin="second-password\n",
        )
        assert changed.returncode == 0, changed.stderr
        assert sign_in("first-password").status_code == 401
        assert sign_in("second-password").status_code == 200
    short = cli(
        data_dir, "admin", "user", "set-password", email, "--password-stdin", stdin="short\n"
    )
    assert "8 characters" in one_line_error(short)
    assert "no user" in one_line_error(
        cli(data_dir, "admin", "user", "disable", "x@nowhere.example")
    )
