"""The offers in force for one site, read from its ``offers.toml`` and the store's staff
edits, and what staff and visitors do with them (edit, remove, sign up, export). Both the
REST API (``server/features/offers/http.py``) and ``hubtwin offers`` work through it, so a change
made on either side is the same change; with several processes the edits live in the
store, so every process answers alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.base.live_state import LiveStateChange
from server.domain.offers import (
    EDIT_KIND,
    OFFERS_FILE,
    Offer,
    OfferFile,
    OfferInvalid,
    OfferSignup,
    catalogue,
    load_offer_file,
    parse_offer,
    plain_field,
    signup_from,
    signups_csv,
)
from server.store.backend import StoreBackend
from world.site import Site


class OfferUnknown(OfferInvalid):
    """No offer has that id."""

    exit_code = 4


class OfferFull(OfferInvalid):
    """Every seat of the offer is taken."""

    exit_code = 5


def read_offers(site: Site) -> OfferFile:
    """The site's ``offers.toml``, checked (``InputFileError`` with file and line)."""
    return load_offer_file(site.path / OFFERS_FILE, site.languages, site.zone)


class OfferBook:
    """One site's offers over one store."""

    def __init__(self, site: Site, store: StoreBackend, file: OfferFile | None = None) -> None:
        self.site = site
        self.store = store
        self.file: OfferFile = read_offers(site) if file is None else file

    async def offers(self) -> list[Offer]:
        """Every offer in force, sorted by start (ongoing ones last)."""
        edits = await self.store.live_states(EDIT_KIND)
        return catalogue(self.file, edits, self.site.languages, self.site.zone)

    async def offer(self, offer_id: str) -> Offer:
        found = next((o for o in await self.offers() if o.id == offer_id), None)
        if found is None:
            raise OfferUnknown(f"no offer {offer_id!r} (hubtwin offers list)", "id")
        return found

    async def put(self, data: Mapping[str, Any]) -> Offer:
        """Add or change one offer (the whole offer, as its JSON form)."""
        offer = parse_offer(
            data, self.file.vocabulary, self.site.languages, plain_field, self.site.zone
        )
        await self.store.save_live_states(
            [LiveStateChange(EDIT_KIND, offer.id, offer.as_dict(self.site.zone))]
        )
        return offer

    async def remove(self, offer_id: str) -> None:
        """Take an offer out of the list (its sign-ups stay exportable)."""
        await self.offer(offer_id)
        await self.store.save_live_states([LiveStateChange(EDIT_KIND, offer_id, {"removed": True})])

    async def restore(self, offer_id: str) -> None:
        """Forget staff's edit of an offer: the file's version is in force again."""
        await self.store.save_live_states([LiveStateChange(EDIT_KIND, offer_id, None)])

    async def sign_up(
        self, offer_id: str, identity_id: str, body: Mapping[str, Any], now: float
    ) -> tuple[Offer, OfferSignup, bool]:
        """Sign a person up; True if new, False if they had signed up before."""
        offer = await self.offer(offer_id)
        signup = signup_from(offer, identity_id, body, now)
        result = await self.store.sign_up_for_offer(signup, offer.limit)
        if result == "full":
            if offer.waiting_list:
                raise OfferFull(
                    "alle Plätze und die Warteliste sind vergeben / every seat and the whole "
                    "waiting list are taken",
                    "seats",
                )
            raise OfferFull("alle Plätze sind vergeben / every seat is taken", "seats")
        if result == "erased":
            raise OfferInvalid("this person's data was erased; sign in anew", "identity")
        return offer, signup, result == "added"

    async def csv(self, offer_id: str | None) -> str:
        """The sign-ups of one offer, or of all (in the offers' order) as CSV."""
        ids = [offer_id] if offer_id is not None else [o.id for o in await self.offers()]
        if offer_id is not None:
            await self.offer(offer_id)
        signups = [s for one in ids for s in await self.store.offer_signups(one)]
        offers = {o.id: o for o in await self.offers()}
        return signups_csv(signups, self.site.zone, offers)
