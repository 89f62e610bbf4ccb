"""The demo organisation of the embedded default, created once.

It mirrors the original documentation's example (account ``+447777123156``,
contact ``+447902111123``), so the README's walk-through reads like the page
users already know.
"""

from __future__ import annotations

import logging

from msgboxx import intake
from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.auth.roles import Role
from msgboxx.channels.base import InboundText
from msgboxx.contacts import service as contacts
from msgboxx.contacts.status import ContactStatus
from msgboxx.db import Database, utcnow
from msgboxx.messages import window
from msgboxx.templates import service as templates
from msgboxx.templates.status import TemplateStatus

log = logging.getLogger(__name__)

EMAIL = "demo@msgboxx.local"
PASSWORD = "demo-password"
ACCOUNT_NUMBER = "+447777123156"
CONTACT_NUMBER = "+447902111123"
TEMPLATE_TEXT = "Hi {{1}}, thanks for your interest in {{2}}. Shall we book a call this week?"


async def ensure(db: Database) -> None:
    """Create the demo once; on later starts only reopen the contact's window."""
    async with db.tx(write=True) as tx:
        user = await auth.get_user_by_email(tx, email=EMAIL)
        if user is None:
            organisation = await auth.create_organisation(tx, name="Demo Company")
            admin = auth.principal_of(
                await auth.create_user(
                    tx, org_id=organisation.id, email=EMAIL, password=PASSWORD, role=Role.admin
                )
            )
            account, _inbox = await accounts.create(
                tx, org_id=organisation.id, phone_number=ACCOUNT_NUMBER, name="My Company"
            )
            await templates.create(
                tx,
                account=account,
                name="follow_up",
                text=TEMPLATE_TEXT,
                example="Hi John, thanks for your interest in the msgboxx platform. ...",
                status=TemplateStatus.approved,
            )
            await contacts.create(
                tx,
                admin,
                account_id=account.id,
                mobile_number=CONTACT_NUMBER,
                name="Test Customer",
                status=ContactStatus.subscribed,
                email="customer@somewhere.com",
            )
            await tx.commit()
            log.info("demo organisation created", extra={"user": EMAIL})
        demo_account = await accounts.find_by_phone_number(tx, ACCOUNT_NUMBER)
        if demo_account is None:
            return
        contact, _ = await contacts.get_or_create_for_inbound(
            tx, account=demo_account, number=CONTACT_NUMBER, profile_name="Test Customer"
        )
        if window.is_open(contact.last_inbound_at, now=utcnow()):
            await tx.commit()
            return
        await intake.apply(
            tx,
            [
                InboundText(
                    to_number=ACCOUNT_NUMBER,
                    from_number=CONTACT_NUMBER,
                    provider_message_id=f"wamid.sandbox.demo.{utcnow().timestamp():.0f}",
                    text="Hi! I'd like to hear more about your plans.",
                    at=utcnow(),
                    profile_name="Test Customer",
                )
            ],
        )
        await tx.commit()
