"""Every table of every domain, imported once so metadata is complete."""

from msgboxx.accounts import models as _accounts  # noqa: F401
from msgboxx.auth import models as _auth  # noqa: F401
from msgboxx.broadcasts import models as _broadcasts  # noqa: F401
from msgboxx.campaigns import models as _campaigns  # noqa: F401
from msgboxx.contacts import models as _contacts  # noqa: F401
from msgboxx.conversations import models as _conversations  # noqa: F401
from msgboxx.db.base import Base
from msgboxx.dispatch import models as _dispatch  # noqa: F401
from msgboxx.idempotency import models as _idempotency  # noqa: F401
from msgboxx.media import models as _media  # noqa: F401
from msgboxx.messages import models as _messages  # noqa: F401
from msgboxx.templates import models as _templates  # noqa: F401
from msgboxx.webhooks import models as _webhooks  # noqa: F401

metadata = Base.metadata
