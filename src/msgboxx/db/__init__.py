"""Database access: the engine pair, sessions, the model base, migrations."""

from msgboxx.db.base import Base, UTCDateTime, new_id, utcnow
from msgboxx.db.engine import Database
from msgboxx.db.tx import Tx, Work

__all__ = ["Base", "Database", "Tx", "UTCDateTime", "Work", "new_id", "utcnow"]
