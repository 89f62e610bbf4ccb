"""Answering: a write commits first (with Idempotency-Key, once only); a read as it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from msgboxx.auth.service import Principal
from msgboxx.db.tx import Tx
from msgboxx.idempotency import service as idempotency

JSON = "application/json"


async def commit_and_answer(
    request: Request,
    tx: Tx,
    principal: Principal,
    *,
    payload: BaseModel,
    produce: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
) -> Response:
    """Run ``produce``, commit, and only then answer: an accepted write is durable.

    With an ``Idempotency-Key`` the answer is stored in the same transaction, so
    a repeat finds either the committed answer or nothing at all.
    """
    key = request.headers.get("idempotency-key")
    fingerprint = None
    if key is not None:
        key = idempotency.check_key(key)
        fingerprint = idempotency.fingerprint(
            method=request.method,
            path=request.url.path.rstrip("/"),
            body=payload.model_dump_json().encode(),
        )
        stored = await idempotency.replay(
            tx, user_id=principal.user_id, key=key, fingerprint=fingerprint
        )
        if stored is not None:
            return _replayed(stored)
    body = (await produce()).model_dump_json().encode()
    if key is not None and fingerprint is not None:
        idempotency.remember(
            tx,
            user_id=principal.user_id,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
        )
    try:
        await tx.commit()
    except IntegrityError:
        if key is None or fingerprint is None:
            raise
        # A concurrent request with the same key committed first: answer as it did.
        await tx.rollback()
        stored = await idempotency.replay(
            tx, user_id=principal.user_id, key=key, fingerprint=fingerprint
        )
        if stored is None:
            raise
        return _replayed(stored)
    return Response(body, status_code=status_code, media_type=JSON)


def answer(view: BaseModel, *, status_code: int = 200) -> Response:
    """A view the service built from stored values, encoded once.

    FastAPI would validate a returned model against ``response_model`` again
    before encoding it; for a view made of stored, already valid values that is
    work for nothing on the busiest reads (the route keeps ``response_model``
    for the API's description).
    """
    return Response(view.model_dump_json().encode(), status_code=status_code, media_type=JSON)


def _replayed(stored: idempotency.StoredResponse) -> Response:
    return Response(
        stored.body,
        status_code=stored.status_code,
        media_type=JSON,
        headers={"Idempotent-Replayed": "true"},
    )
