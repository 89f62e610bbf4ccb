"""The embedded store's write-ahead log: copied back by its own thread, and kept short."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from msgboxx import wiring
from msgboxx.db.checkpoint import WalCheckpointer
from tests.support import test_settings

PAGE = 4096
ROWS = 3000


def _write_rows(path: Path, rows: int) -> int:
    """Steady writing as the API does it, one small transaction after another,
    with the moment between them in which the server reads and answers requests.

    Returns the pages in the log file before the writer closes (the last
    connection to close checkpoints everything and removes the log)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE IF NOT EXISTS notes (body BLOB)")
    for _ in range(rows):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO notes VALUES (randomblob(3000))")
        connection.execute("COMMIT")
        time.sleep(0.0002)
    pages = _log_pages(path)
    connection.close()
    return pages


def _size(path: Path) -> int:
    return path.stat().st_size


def _log_pages(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return _size(wal) // PAGE if wal.exists() else 0


def test_sqlite__steady_writing_keeps_the_log_short_while_the_checkpointer_runs(
    tmp_path: Path,
) -> None:
    unchecked = tmp_path / "unchecked.db"
    # Without anyone checkpointing, every commit's pages stay in the log.
    assert _write_rows(unchecked, ROWS) >= ROWS

    checked = tmp_path / "checked.db"
    checkpointer = WalCheckpointer(str(checked), interval=0.005, restart_after_pages=300)
    _write_rows(checked, 10)  # the file exists before the checkpointer opens it
    checkpointer.start()
    try:
        pages = _write_rows(checked, ROWS)
    finally:
        checkpointer.stop()
    # The log starts again from the top once a checkpoint has caught up, so its
    # file never grows much past the bound however long the writing goes on.
    assert pages < ROWS // 3
    with sqlite3.connect(checked) as connection:
        assert connection.execute("SELECT count(*) FROM notes").fetchone() == (ROWS + 10,)


async def test_sqlite__commits_leave_checkpoints_to_the_database_own_thread(
    tmp_path: Path,
) -> None:
    db = wiring.open_database(test_settings(tmp_path, database_url=None))  # SQLite in either pass
    try:
        assert db.checkpointer is not None
        async with db.tx(write=True) as writer:
            autocheckpoint = await writer.session.scalar(text("PRAGMA wal_autocheckpoint"))
            assert autocheckpoint == 0  # no commit on the event loop copies the log back
            await writer.session.execute(text("CREATE TABLE notes (body BLOB)"))
            await writer.commit()
            for _ in range(200):
                await writer.session.execute(text("INSERT INTO notes VALUES (randomblob(3000))"))
                await writer.commit()
        path = Path(db.checkpointer.path)
        deadline = asyncio.get_running_loop().time() + 10
        while _size(path) < 200 * 3000:  # the thread copies the log back
            assert asyncio.get_running_loop().time() < deadline, "nothing was checkpointed"
            await asyncio.sleep(0.05)
        async with db.tx(write=False) as reader:
            assert await reader.session.scalar(text("SELECT count(*) FROM notes")) == 200
    finally:
        await db.dispose()
