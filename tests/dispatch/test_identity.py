"""A dispatcher's lease owner name: the same after a restart, never shared by two live ones."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from msgboxx.dispatch import identity

HOLD = """
import sys, time
from pathlib import Path
from msgboxx.dispatch import identity
print(identity.take(Path(sys.argv[1])).owner, flush=True)
time.sleep(60)
"""


def test_owner__two_live_holders_differ_and_a_restart_gets_its_name_back(tmp_path: Path) -> None:
    first = identity.take(tmp_path)
    second = identity.take(tmp_path)
    try:
        assert first.reclaims and second.reclaims
        assert first.owner != second.owner
        first.release()
        again = identity.take(tmp_path)
        assert again.owner == first.owner
        again.release()
    finally:
        first.release()
        second.release()


def test_owner__a_killed_process_name_is_free_for_the_next_one_at_once(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        held = holder.stdout.readline().strip()
        mine = identity.take(tmp_path)
        assert mine.owner != held, "a live process's name was handed out again"
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        after = identity.take(tmp_path)
        assert after.owner == held
        mine.release()
        after.release()
    finally:
        holder.kill()
        holder.wait()


def test_owner__a_data_folder_that_cannot_be_written_gives_a_fresh_name(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    slot = identity.take(blocked)
    assert not slot.reclaims
    assert slot.owner != identity.take(blocked).owner
