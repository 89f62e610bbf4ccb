"""Wire shapes of the shared inbox: a conversation as the list shows it, notes, canned replies."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from msgboxx.conversations.models import ConversationStatus
from msgboxx.core.wire import ApiModel, Timestamp
from msgboxx.messages.schemas import Direction
from msgboxx.messages.status import MessageStatus

PREVIEW_CHARS = 120
NOTE_MAX = 4096
SHORTCUT = r"^[a-z0-9_-]{1,40}$"

Show = Literal["all", "unread", "window_open"]
AssigneeFilter = Literal["all", "mine", "unassigned"]
StatusFilter = Literal["open", "resolved", "all"]


class LastMessage(ApiModel):
    """The thread's newest message, enough for the inbox's preview line."""

    id: uuid.UUID
    direction: Direction
    # The first 120 characters; null for a message without words (erased, or media alone).
    text: str | None
    kind: str
    status: MessageStatus
    at: Timestamp


class ConversationView(ApiModel):
    """A contact's thread in its inbox: the inbox's list item and the conversation's header."""

    model_config = ConfigDict(frozen=True)

    conversationId: uuid.UUID
    contactId: uuid.UUID
    inboxId: uuid.UUID
    accountId: uuid.UUID
    contactName: str | None
    # The mobile number, or the WhatsApp user id of a customer known by it alone.
    contactNumber: str | None
    lastMessage: LastMessage | None
    lastActivityAt: Timestamp | None
    unreadCount: int
    # When the 24-hour window closes; null when it is closed (or never opened).
    windowOpenUntil: Timestamp | None
    status: ConversationStatus
    assigneeId: uuid.UUID | None
    assigneeEmail: str | None


class AssignBody(ApiModel):
    # null: back to the inbox's queue.
    assigneeId: uuid.UUID | None


class NoteCreate(ApiModel):
    body: str = Field(min_length=1, max_length=NOTE_MAX)


class NoteOut(ApiModel):
    """A private note in a thread: agents see it; it is never sent to the customer."""

    noteId: uuid.UUID
    contactId: uuid.UUID
    accountId: uuid.UUID
    # Null once the author's user is deleted.
    authorId: uuid.UUID | None
    body: str
    createdAt: Timestamp


class CannedReplyCreate(ApiModel):
    shortcut: str = Field(pattern=SHORTCUT, description="inserted with /shortcut")
    body: str = Field(min_length=1, max_length=NOTE_MAX)


class CannedReplyUpdate(ApiModel):
    shortcut: str | None = Field(default=None, pattern=SHORTCUT)
    body: str | None = Field(default=None, min_length=1, max_length=NOTE_MAX)


class CannedReplyOut(ApiModel):
    cannedReplyId: uuid.UUID
    shortcut: str
    body: str
    createdAt: Timestamp
    updatedAt: Timestamp
