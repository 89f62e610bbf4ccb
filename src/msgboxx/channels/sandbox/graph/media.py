"""Media in the double: Meta's ``GET /{media-id}`` and its download URLs, and their controls.

``POST /control/media`` puts bytes on the shelf (a customer's photo, say) and
answers the id a webhook would carry; ``GET /{version}/{media-id}`` answers as
Meta does (``url``, ``mime_type``, ``sha256``, ``file_size``); the URL serves
the bytes to the same bearer token until it expires. Faults for tests: the next
downloads fail with a 5xx, an id is forgotten (Meta's error 100), a shelf item
reports a sha256 that is not its bytes'.
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#retrieve-media-url
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from msgboxx.channels.sandbox.graph import payloads
from msgboxx.channels.sandbox.graph.schemas import MediaFaults
from msgboxx.channels.sandbox.graph.state import Double, double_of
from msgboxx.channels.sandbox.graph.tokens import check_token

router = APIRouter()

DOWNLOAD_PATH = "/whatsapp_business/attachments/"


# The download comes first: its path would otherwise read as /{version}/{media_id}.
@router.get(DOWNLOAD_PATH)
async def download(request: Request) -> Response:
    """A lookaside URL: the bytes, to the bearer token, while the URL lasts."""
    double = double_of(request)
    refused = check_token(double, request)
    if refused is not None:
        return refused
    shelf = double.media
    query = request.query_params
    held = shelf.by_signed(
        mid=query.get("mid", ""), ext=query.get("ext", ""), hash_=query.get("hash", "")
    )
    if held is None:  # Meta's lookaside host answers an expired or bad URL with a bare 404
        return Response("URL signature expired", status_code=404, media_type="text/plain")
    if shelf.download_fails():
        return Response("Service Unavailable", status_code=shelf.failing_status)
    shelf.downloads += 1
    return Response(held.data, media_type=held.mime_type)


@router.get("/{version}/{media_id}")
async def retrieve(version: str, media_id: str, request: Request) -> Response:
    """Meta's media metadata, with a download URL good for ``url_seconds``."""
    double = double_of(request)
    refused = check_token(double, request)
    if refused is not None:
        return refused
    held = double.media.items.get(media_id)
    if held is None:
        return payloads.error(
            100,
            status=400,
            message=(
                f"Unsupported get request. Object with ID '{media_id}' does not exist,"
                " cannot be loaded due to missing permissions, or does not support this operation"
            ),
        )
    url = request.url.replace(path=DOWNLOAD_PATH, query="").include_query_params(
        **double.media.signed_query(media_id)
    )
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "url": str(url),
            "mime_type": held.mime_type,
            "sha256": held.sha256,
            "file_size": held.file_size,
            "id": held.id,
        }
    )


@router.post("/control/media")
async def put_media(request: Request, double: Double) -> Response:
    """Hold bytes: a multipart ``file`` (and ``type``), or the raw body with its Content-Type.

    ``?sha256=`` makes ``GET /{media-id}`` report that hash instead of the bytes' own.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return JSONResponse({"detail": "a multipart body needs a file"}, status_code=400)
        data = await upload.read()
        declared = form.get("type")
        mime_type = (declared if isinstance(declared, str) else None) or upload.content_type
    else:
        data = await request.body()
        mime_type = content_type.split(";")[0].strip()
    if not data or not mime_type:
        return JSONResponse({"detail": "send some bytes and their type"}, status_code=400)
    held = double.media.add(data, mime_type, sha256=request.query_params.get("sha256"))
    return JSONResponse(
        {"id": held.id, "mimeType": held.mime_type, "sha256": held.sha256, "size": held.file_size},
        status_code=201,
    )


@router.post("/control/media/faults", status_code=204)
async def media_faults(faults: MediaFaults, double: Double) -> Response:
    shelf = double.media
    shelf.failing_downloads, shelf.failing_status = faults.failDownloads, faults.status
    if faults.urlSeconds is not None:
        shelf.url_seconds = faults.urlSeconds
    return Response(status_code=204)


@router.delete("/control/media/{media_id}", status_code=204)
async def forget_media(media_id: str, double: Double) -> Response:
    """Forget an id: Meta answers it with error 100 from now on (expired, or never was)."""
    double.media.items.pop(media_id, None)
    return Response(status_code=204)
