"""Who holds a dispatcher's leases: a name that outlives the process, held by one at a time.

A lease names its owner so that a dead process's claims can be told apart. With
a fresh name per process, a restarted server had to wait out its own previous
claims (``MSGBOXX_DISPATCH_LEASE_SECONDS``) before sending them. So a
dispatcher takes a numbered slot in its data folder instead: the lowest one no
live process holds, kept by an exclusive ``flock`` on the slot's file that the
operating system drops when the process ends, however it ends. The owner name
is the host, the data folder's own id (made once, kept in the folder) and the
slot number, so the same process restarted gets the same name, two live
processes never share one, and a name's earlier claims belong to a process
that is gone: the new holder may take them back at once.

Where the data folder cannot be written, the name is a fresh one per process,
and earlier claims wait out their lease as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from msgboxx.core.loop import owner_id

log = logging.getLogger(__name__)
SLOTS = 1000  # more dispatchers than this on one data folder get fresh names


@dataclass(slots=True)
class OwnerSlot:
    """A lease owner name, and the lock that makes it this process's alone."""

    owner: str
    # The open slot file whose lock proves the name; None for a fresh name.
    handle: int | None = None

    @property
    def reclaims(self) -> bool:
        """Whether claims already under this name were left by a process now gone."""
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            os.close(self.handle)  # closing the file drops the lock
            self.handle = None


def take(data_dir: Path) -> OwnerSlot:
    """The lowest slot of ``data_dir`` no live process holds, or a fresh name."""
    try:
        folder = data_dir / "dispatchers"
        folder.mkdir(parents=True, exist_ok=True)
        instance = _instance_id(folder)
        for number in range(SLOTS):
            handle = os.open(folder / f"{number}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                continue
            host = socket.gethostname()[:40]
            return OwnerSlot(f"{host}:{instance}:{number}", handle)
    except OSError as exc:
        log.warning("no lasting dispatcher name in the data folder", extra={"error": str(exc)})
    return OwnerSlot(owner_id())


def _instance_id(folder: Path) -> str:
    """The data folder's own id, made once (atomically, as the secret key is)."""
    path = folder / "instance"
    if not path.exists():
        tmp = path.with_name(f".instance.{os.getpid()}")
        tmp.write_text(uuid.uuid4().hex[:12])
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # the first process to get here wins
        tmp.unlink()
    return path.read_text().strip()
