"""The media package's problems, in the one problem tree of ``core/errors.py``.

ProblemError (core)
├── NotFound (core)
│   └── MediaNotFound          404: no stored object under that key
├── PayloadTooLarge (core)
│   └── MediaTooLarge          413: over WhatsApp's limit for the kind, or the limit given to put
├── Conflict (core)
│   └── MediaNotStored         409: the media is pending or failed: its bytes are not here
├── UnsupportedMediaType       415: the content is no type WhatsApp takes for the declared kind
└── MediaStoreUnavailable      503: the store itself failed (disk, network, S3); worth retrying

``UnsupportedMediaType`` lives here because ``core/errors.py`` has no 415 yet;
it belongs there once a second domain needs it.
"""

from __future__ import annotations

from msgboxx.core.errors import Conflict, NotFound, PayloadTooLarge, ProblemError


class MediaNotFound(NotFound):
    slug = "media-not-found"


class MediaTooLarge(PayloadTooLarge):
    slug = "media-too-large"

    def __init__(self, detail: str, *, max_bytes: int, size: int | None = None) -> None:
        extra: dict[str, object] = {"maxBytes": max_bytes}
        if size is not None:
            extra["size"] = size
        super().__init__(detail, extra=extra)
        self.max_bytes = max_bytes
        self.size = size


class UnsupportedMediaType(ProblemError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"

    def __init__(self, detail: str, *, kind: str, accepted: tuple[str, ...]) -> None:
        super().__init__(detail, extra={"kind": kind, "accepted": list(accepted)})
        self.kind = kind
        self.accepted = accepted


class MediaStoreUnavailable(ProblemError):
    status, title, slug = 503, "Service Unavailable", "media-store-unavailable"


class MediaNotStored(Conflict):
    slug = "media-not-stored"
