"""The import contract (pyproject.toml, ``[tool.importlinter]``) also holds in the test suite.

`make lint` runs it too; running it here means a plain ``pytest`` cannot pass on code that
breaks the layering, and the failure names the imports that break it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contract__every_contract_is_kept() -> None:
    # The project's own configuration, read from the working directory; no cache left behind.
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"lint-imports exited {run.returncode}:\n{run.stdout}{run.stderr}"
