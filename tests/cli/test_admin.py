"""The msgboxx CLI against the same data folder as the server."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

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
    org = created_id(cli(data_dir, "admin", "org", "create", "Acme Ltd"))
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
    org = created_id(cli(data_dir, "admin", "org", "create", "Acme"))
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
