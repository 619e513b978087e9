"""``hubtwin offers``: list the hub's offers, change them, export their sign-ups.

Works on the hub's store directly (a running hub answers with the change at once: the
edits are read from the store on each request). The offers come from the site's
``offers.toml``; ``put`` lays offers over it from a file of ``[[offer]]`` tables in the same
format (an offer with a new id is added), ``remove`` takes one out, ``restore`` goes back to
the file's version::

    hubtwin offers check                    # the site's offers.toml, each mistake file:line
    hubtwin offers list --topic klimabilanz --place online
    hubtwin offers put neues-angebot.toml
    hubtwin offers remove austauschreihe-maerz
    hubtwin offers signups klimabilanz-grundlagen --csv anmeldungen.csv
    hubtwin offers signups --csv -          # every offer's sign-ups to standard output
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from server.app.cli_site import add_site_options
from server.base.settings import load_settings
from server.domain.offers import PLACES, OfferFilter, filtered, load_offer_file
from server.features.offers.book import OfferBook, read_offers
from server.store.factory import run_on_store
from world.errors import InputFileError, UsageError
from world.site import load_site

T = TypeVar("T")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "offers", help="the hub's offers: list, change, export sign-ups"
    )
    add_site_options(parser, data_dir=True)
    parser.add_argument("--redis", dest="redis_url", help="redis://… when the hub runs on Redis")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="read and check the site's offers.toml")
    check.set_defaults(handler=check_offers)
    listing = actions.add_parser("list", help="the offers in force (filters optional)")
    listing.add_argument("--topic")
    listing.add_argument("--audience")
    listing.add_argument("--place", choices=PLACES)
    listing.set_defaults(handler=list_offers)
    show = actions.add_parser("show", help="one offer as JSON (the form 'put' and the API take)")
    show.add_argument("id")
    show.set_defaults(handler=show_offer)
    put = actions.add_parser("put", help="add or change offers from a file of [[offer]] tables")
    put.add_argument("file", type=Path)
    put.set_defaults(handler=put_offers)
    remove = actions.add_parser("remove", help="take an offer out of the list")
    remove.add_argument("id")
    remove.set_defaults(handler=remove_offer)
    restore = actions.add_parser("restore", help="forget the changes: the file's offer again")
    restore.add_argument("id")
    restore.set_defaults(handler=restore_offer)
    signups = actions.add_parser("signups", help="who signed up (one offer, or all) as CSV")
    signups.add_argument("id", nargs="?")
    signups.add_argument(
        "--csv", type=Path, default=Path("-"), help="write the CSV here ('-': standard output)"
    )
    signups.set_defaults(handler=export_signups)


def _run(args: argparse.Namespace, work: Callable[[OfferBook], Awaitable[T]]) -> T:
    overrides = {"site": args.site, "data_dir": args.data_dir, "redis_url": args.redis_url}
    settings = load_settings(overrides)
    site = load_site(settings.site)
    return run_on_store(settings, lambda store: work(OfferBook(site, store)))


def check_offers(args: argparse.Namespace) -> int:
    site = load_site(load_settings({"site": args.site}).site)
    checked = read_offers(site)
    vocab = checked.vocabulary
    print(
        f"{len(checked.offers)} offers OK ({sum(o.signup for o in checked.offers)} with a "
        f"sign-up) in {len(vocab.topics)} topics for {len(vocab.audiences)} audiences"
    )
    return 0


def list_offers(args: argparse.Namespace) -> int:
    async def work(book: OfferBook) -> int:
        vocab = book.file.vocabulary
        for name, value, known in (
            ("topic", args.topic, vocab.topics),
            ("audience", args.audience, vocab.audiences),
        ):
            if value and value not in known:
                raise UsageError(f"--{name} {value!r} is not one of {', '.join(known)}")
        wanted = OfferFilter(args.topic or "", args.audience or "", args.place or "")
        for offer in filtered(await book.offers(), wanted):
            when = (
                datetime.fromtimestamp(offer.starts, book.site.zone).strftime("%Y-%m-%d %H:%M")
                if offer.starts is not None
                else "laufend"
            )
            seats = ""
            if offer.signup:
                taken = len(await book.store.offer_signups(offer.id))
                seats = f"  {taken}/{offer.seats}" if offer.seats else f"  {taken}"
            title = offer.title[book.site.default_language]
            print(f"{offer.id}  {when}  {offer.kind}  {offer.place}{seats}  {title}")
        return 0

    return _run(args, work)


def show_offer(args: argparse.Namespace) -> int:
    async def work(book: OfferBook) -> int:
        offer = await book.offer(args.id)
        print(json.dumps(offer.as_dict(book.site.zone), ensure_ascii=False, indent=2))
        return 0

    return _run(args, work)


def put_offers(args: argparse.Namespace) -> int:
    async def work(book: OfferBook) -> int:
        given = load_offer_file(
            args.file, book.site.languages, book.site.zone, book.file.vocabulary
        )
        if not given.offers:
            raise InputFileError(f"{args.file}: no [[offer]] table in it")
        for offer in given.offers:
            await book.put(offer.as_dict(book.site.zone))
            print(f"{offer.id}: gespeichert / saved")
        return 0

    return _run(args, work)


def remove_offer(args: argparse.Namespace) -> int:
    async def work(book: OfferBook) -> int:
        await book.remove(args.id)
        print(f"{args.id}: entfernt / removed")
        return 0

    return _run(args, work)


def restore_offer(args: argparse.Namespace) -> int:
    async def work(book: OfferBook) -> int:
        await book.restore(args.id)
        print(f"{args.id}: wie in offers.toml / as in offers.toml")
        return 0

    return _run(args, work)


def export_signups(args: argparse.Namespace) -> int:
    async def work(book: OfferBook) -> str:
        return await book.csv(args.id)

    text = _run(args, work)
    if str(args.csv) == "-":
        sys.stdout.write(text)
    else:
        try:
            args.csv.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise InputFileError(f"{args.csv}: cannot write ({exc.strerror})") from None
    return 0
