"""Media through the Cloud API adapter and the double over HTTP: upload, send by id, statuses."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from tests.channels.conftest import ACCESS_TOKEN, CloudTenant, Graph
from tests.channels.test_cloud_api_e2e import accepted_statuses
from tests.media import samples
from tests.support import assert_problem, fresh_number, wait_for_status


async def upload(cloud: CloudTenant, content: bytes, kind: str, name: str) -> dict[str, str]:
    reply = await cloud.api.post(
        "/media",
        data={"type": kind, "apiAccountId": cloud.account_id},
        files={"file": (name, content, "application/octet-stream")},
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


async def test_media__uploaded_sent_by_id_and_read(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    content = samples.pdf()
    pdf = await upload(cloud, content, "document", "terms.pdf")
    reply = await cloud.api.post(
        "/message",
        json={
            "apiAccountId": cloud.account_id,
            "contactId": contact_id,
            "message": "Our terms",
            "media": {"type": "document", "mediaId": pdf["mediaId"], "filename": "Terms.pdf"},
        },
    )
    assert reply.status_code == 201, reply.text
    read = await wait_for_status(cloud.api, f"/message/{reply.json()['messageId']}", "Read")
    assert read["media"]["mediaId"] == pdf["mediaId"]
    [sent] = [s for s in graph.double.sent if s["body"]["to"] == customer]
    assert sent["body"]["type"] == "document"
    document = sent["body"]["document"]
    assert document["caption"] == "Our terms" and document["filename"] == "Terms.pdf"
    uploaded = graph.double.uploads[document["id"]]
    assert uploaded.phone_number_id == cloud.phone_number_id
    assert uploaded.mime_type == "application/pdf"
    assert uploaded.sha256 == hashlib.sha256(content).hexdigest() == pdf["sha256"]
    assert sorted(accepted_statuses(graph, sent["id"])) == ["delivered", "read", "sent"]


async def test_media__sticker_and_audio_go_without_caption(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    customer = fresh_number()
    contact_id = await cloud.customer_writes(graph, customer)
    for content, kind in ((samples.webp_lossy(), "sticker"), (samples.ogg_opus(), "audio")):
        media = await upload(cloud, content, kind, f"a.{kind}")
        reply = await cloud.api.post(
            "/message",
            json={
                "apiAccountId": cloud.account_id,
                "contactId": contact_id,
                "media": {"type": kind, "mediaId": media["mediaId"]},
            },
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["message"] == ""
        await wait_for_status(cloud.api, f"/message/{reply.json()['messageId']}", "Read")
    sent = [s["body"] for s in graph.double.sent if s["body"]["to"] == customer]
    assert [body["type"] for body in sent] == ["sticker", "audio"]
    assert all("caption" not in body[body["type"]] for body in sent)


async def test_double__refuses_like_meta(graph: Graph) -> None:
    """The double's own answers, as the adapter meets them: Meta's codes for bad media."""
    auth = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with httpx.AsyncClient(base_url=graph.base_url, headers=auth) as meta:
        missing = await meta.post(
            "/v21.0/123/media", data={"messaging_product": "whatsapp", "type": "image/png"}
        )
        assert missing.status_code == 400 and missing.json()["error"]["code"] == 100
        liar = await meta.post(
            "/v21.0/123/media",
            data={"messaging_product": "whatsapp", "type": "application/pdf"},
            files={"file": ("a.pdf", samples.png(), "application/pdf")},
        )
        assert liar.status_code == 400 and liar.json()["error"]["code"] == 131053
        unknown = await meta.post(
            "/v21.0/123/messages",
            json={
                "messaging_product": "whatsapp",
                "to": "447700900000",
                "type": "image",
                "image": {"id": "404404"},
            },
        )
        assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 100
        good = await meta.post(
            "/v21.0/123/media",
            data={"messaging_product": "whatsapp", "type": "image/png"},
            files={"file": ("a.png", samples.png(), "image/png")},
        )
        assert good.status_code == 200 and good.json()["id"]
    async with httpx.AsyncClient(base_url=graph.base_url) as stranger:
        denied = await stranger.post(
            "/v21.0/123/media",
            data={"messaging_product": "whatsapp", "type": "image/png"},
            files={"file": ("a.png", samples.png(), "image/png")},
            headers={"Authorization": "Bearer wrong"},
        )
        assert denied.status_code == 401 and denied.json()["error"]["code"] == 190


async def test_broadcast__template_with_an_image_header_sends_the_upload(
    cloud: CloudTenant, graph: Graph, clean_faults: None
) -> None:
    name = f"new_in_store_{uuid.uuid4().hex[:8]}"
    created = await cloud.api.post(
        "/template",
        json={
            "apiAccountId": cloud.account_id,
            "name": name,
            "templateText": "Hello {{1}}, look what arrived.",
            "headerType": "image",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["headerType"] == "image"
    template_id = created.json()["templateId"]
    await wait_for_status(cloud.api, f"/template/{template_id}", "Approved")
    [submitted] = [t for t in graph.double.templates if t.name == name]
    customer = fresh_number()
    contact = await cloud.api.post(
        "/contact", json={"mobileNumber": customer, "apiAccountId": cloud.account_id}
    )
    photo = await upload(cloud, samples.png(), "image", "arrivals.png")
    broadcast = {
        "apiAccountId": cloud.account_id,
        "contactId": contact.json()["contactId"],
        "templateId": template_id,
        "parameters": ["Ana"],
    }
    assert_problem(await cloud.api.post("/broadcast", json=broadcast), 422)
    wrong = {**broadcast, "media": {"type": "video", "mediaId": photo["mediaId"]}}
    assert_problem(await cloud.api.post("/broadcast", json=wrong), 422)
    reply = await cloud.api.post(
        "/broadcast", json={**broadcast, "media": {"type": "image", "mediaId": photo["mediaId"]}}
    )
    assert reply.status_code == 201, reply.text
    await wait_for_status(cloud.api, f"/broadcast/{reply.json()['broadcastId']}", "Read")
    [sent] = [s for s in graph.double.sent if s["body"]["to"] == customer]
    header, body = sent["body"]["template"]["components"]
    assert header["type"] == "header"
    [image] = header["parameters"]
    assert image["type"] == "image"
    assert graph.double.uploads[image["image"]["id"]].sha256 == photo["sha256"]
    assert body == {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}
    assert submitted.id  # the double took the template with its header
