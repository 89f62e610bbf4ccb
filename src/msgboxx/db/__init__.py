"""Database access: the engine pair, sessions, the model base, migrations."""

from msgboxx.db.base import Base, UTCDateTime, new_id, utcnow
from msgboxx.db.engine import Database

__all__ = ["Base", "Database", "UTCDateTime", "new_id", "utcnow"]
