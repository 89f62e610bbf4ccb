"""``msgboxx contacts import`` as a real process against a real ``msgboxx serve``."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.test_api_commands import api, own_organisation
from tests.processes import cli, serving


def test_contacts_import__prints_the_report_and_exits_by_what_was_rejected(
    data_dir: Path, tmp_path: Path
) -> None:
    email, password, number = own_organisation(data_dir)
    clean = tmp_path / "clean.csv"
    clean.write_text("\ufeffmobile;name;tags\n07911 123401;Ann;vip\n+447911123402;Bob;\n")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("phone,name\n+447911123401,Ann Again\n12345,Bad\n+447911123401,Twice\n")
    with serving(data_dir, MSGBOXX_DEMO="false") as base, api(base, email, password) as client:
        login = {"MSGBOXX_URL": base, "MSGBOXX_USERNAME": email, "MSGBOXX_PASSWORD": password}
        done = cli(data_dir, "contacts", "import", str(clean), "--account", number, **login)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == "2 rows: 2 created, 0 updated, 0 rejected"
        assert "clean.csv" in done.stderr  # the progress bar names the file

        partly = cli(data_dir, "contacts", "import", str(mixed), "--account", number, **login)
        assert partly.returncode == 3, partly.stderr
        assert partly.stdout.splitlines() == [
            "3 rows: 0 created, 1 updated, 2 rejected",
            "line 3: 12345: invalid number '12345'",
            "line 4: +447911123401: duplicate of line 2 (+447911123401)",
        ]
        as_json = cli(data_dir, "contacts", "import", str(clean), "--json", **login)
        assert as_json.returncode == 0, as_json.stderr  # the organisation's only account
        assert orjson.loads(as_json.stdout)["updated"] == 2

        listed = client.get("/contact", params={"tag": "vip"}).json()["items"]
        assert [(c["mobileNumber"], c["name"]) for c in listed] == [("+447911123401", "Ann")]

        missing = cli(data_dir, "contacts", "import", str(clean), "--account", "+441", **login)
        assert missing.returncode == 1 and "no API account" in missing.stderr
        bad = tmp_path / "bad.csv"
        bad.write_text("name\nAnn\n")
        refused = cli(data_dir, "contacts", "import", str(bad), **login)
        assert refused.returncode == 1 and "number column" in refused.stderr
