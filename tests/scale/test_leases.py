"""Room-instance leases: the book (no I/O) and the scripts against a real redis-server:
acquire, renew, release, expiry, takeover after the holder stops renewing, restoring after
Redis lost them, and exactly one winner under concurrent acquires."""

from __future__ import annotations

import asyncio

import pytest

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.leases import (
    InstanceKey,
    LeaseBook,
    LeaseStore,
    RenewResult,
    process_of,
)
from server.cluster.process_registry import ProcessInfo, ProcessRegistry

FOYER = InstanceKey("foyer", 0)
TTL = 1.2  # long enough that a busy machine never lets a renewed lease lapse


# --- no I/O -----------------------------------------------------------------------------


def test_instance_keys_print_and_parse() -> None:
    assert str(InstanceKey("werk:statt", 12)) == "werk:statt#12"
    assert InstanceKey.parse("werk:statt#12") == InstanceKey("werk:statt", 12)
    assert InstanceKey.parse("a#b#3") == InstanceKey("a#b", 3)
    for bad in ("foyer", "#1", "foyer#", "foyer#-1", "foyer#x"):
        with pytest.raises(ValueError):
            InstanceKey.parse(bad)


def test_tokens_are_new_each_time_and_name_their_process() -> None:
    book = LeaseBook("host.12.ab", ttl_s=5.0)
    first, second = book.next_token(), book.next_token()
    assert first != second and first.startswith("host.12.ab/")
    assert process_of(first) == "host.12.ab"
    with pytest.raises(ValueError):
        LeaseBook("a/b", ttl_s=5.0)


def test_the_book_keeps_confirmations_and_forgets_lost_leases() -> None:
    book = LeaseBook("p1", ttl_s=5.0)
    lab = InstanceKey("lab", 0)
    book.took(FOYER, book.next_token(), sent_at=10.0)
    book.took(lab, book.next_token(), sent_at=10.0)
    assert book.unconfirmed(now=14.9) == []
    assert book.unconfirmed(now=15.0) == [FOYER, lab]
    lost = book.renewed({FOYER: RenewResult.EXTENDED, lab: RenewResult.LOST}, sent_at=14.0)
    assert lost == [lab]
    assert book.held_keys() == [FOYER]
    held = book.held(FOYER)
    assert held is not None and held.confirmed_at == 14.0
    book.renewed({FOYER: RenewResult.RESTORED}, sent_at=13.0)  # an older answer
    assert held.confirmed_at == 14.0
    assert book.dropped(FOYER) is held and book.held_keys() == []


# --- against Redis ------------------------------------------------------------------------


@pytest.fixture
def leases(link: RedisLink, names: RedisNames) -> LeaseStore:
    return LeaseStore(link, names)


@pytest.mark.scale
async def test_acquire_then_the_other_process_learns_the_owner_and_url(
    link: RedisLink, names: RedisNames, leases: LeaseStore
) -> None:
    a, b = LeaseBook("pa", TTL), LeaseBook("pb", TTL)
    await ProcessRegistry(link, names).beat(ProcessInfo("pa", "wss://hub/ws/pa"), ttl_s=5.0)
    token = a.next_token()
    won = await leases.acquire(FOYER, token, TTL, a.token_prefix)
    assert won.won and won.owner is None
    lost = await leases.acquire(FOYER, b.next_token(), TTL, b.token_prefix)
    assert not lost.won and lost.owner is not None
    assert (lost.owner.process_id, lost.owner.token, lost.owner.ws_url) == (
        "pa",
        token,
        "wss://hub/ws/pa",
    )
    assert 0 < lost.owner.expires_in_s <= TTL
    owner = await leases.owner(FOYER)
    assert owner is not None
    assert (owner.process_id, owner.token, owner.ws_url) == ("pa", token, "wss://hub/ws/pa")
    assert await leases.owner(InstanceKey("lab", 0)) is None


@pytest.mark.scale
async def test_an_owner_without_registry_entry_has_no_url(leases: LeaseStore) -> None:
    await leases.acquire(FOYER, "gone/1", TTL, "gone/")
    answer = await leases.acquire(FOYER, "pb/1", TTL, "pb/")
    assert answer.owner is not None and answer.owner.ws_url is None


@pytest.mark.scale
async def test_a_process_takes_back_an_older_lease_of_its_own(leases: LeaseStore) -> None:
    await leases.acquire(FOYER, "pa/1", TTL, "pa/")
    again = await leases.acquire(FOYER, "pa/2", TTL, "pa/")
    assert again.won
    owner = await leases.owner(FOYER)
    assert owner is not None and owner.token == "pa/2"


@pytest.mark.scale
async def test_renewal_keeps_a_lease_past_its_ttl(leases: LeaseStore) -> None:
    book = LeaseBook("pa", TTL)
    token = book.next_token()
    await leases.acquire(FOYER, token, TTL, book.token_prefix)
    book.took(FOYER, token, sent_at=0.0)
    for _ in range(4):
        await asyncio.sleep(TTL / 3)
        assert await leases.renew(book.leases(), TTL) == {FOYER: RenewResult.EXTENDED}
    assert not (await leases.acquire(FOYER, "pb/1", TTL, "pb/")).won


@pytest.mark.scale
async def test_when_the_holder_stops_renewing_another_takes_over(leases: LeaseStore) -> None:
    await leases.acquire(FOYER, "pa/1", TTL, "pa/")
    assert not (await leases.acquire(FOYER, "pb/1", TTL, "pb/")).won
    await asyncio.sleep(TTL + 0.1)
    taken = await leases.acquire(FOYER, "pb/2", TTL, "pb/")
    assert taken.won
    book = LeaseBook("pa", TTL)
    book.took(FOYER, "pa/1", sent_at=0.0)
    assert await leases.renew(book.leases(), TTL) == {FOYER: RenewResult.LOST}
    assert not await leases.release(FOYER, "pa/1")  # not the holder any more
    owner = await leases.owner(FOYER)
    assert owner is not None and owner.token == "pb/2"


@pytest.mark.scale
async def test_a_lease_redis_lost_is_restored_by_its_holder(
    link: RedisLink, leases: LeaseStore
) -> None:
    book = LeaseBook("pa", TTL)
    book.took(FOYER, "pa/1", sent_at=0.0)
    await leases.acquire(FOYER, "pa/1", TTL, "pa/")
    await link.client.delete(leases.key(FOYER))
    assert await leases.renew(book.leases(), TTL) == {FOYER: RenewResult.RESTORED}
    owner = await leases.owner(FOYER)
    assert owner is not None and owner.token == "pa/1"


@pytest.mark.scale
async def test_release_frees_the_instance_at_once(leases: LeaseStore) -> None:
    await leases.acquire(FOYER, "pa/1", 30.0, "pa/")
    assert await leases.release(FOYER, "pa/1")
    assert (await leases.acquire(FOYER, "pb/1", TTL, "pb/")).won


@pytest.mark.scale
async def test_concurrent_acquires_from_two_processes_have_one_winner(
    redis_url: str, names: RedisNames
) -> None:
    links = [RedisLink(redis_url), RedisLink(redis_url)]
    try:
        stores = [LeaseStore(link, names) for link in links]
        tries = [stores[n % 2].acquire(FOYER, f"p{n}/1", 5.0, f"p{n}/") for n in range(40)]
        answers = await asyncio.gather(*tries)
        winners = [a for a in answers if a.won]
        assert len(winners) == 1
        assert {a.owner.token for a in answers if a.owner is not None} == {winners[0].token}
    finally:
        for link in links:
            await link.close()


@pytest.mark.scale
async def test_overflow_numbers_are_never_handed_out_twice(
    redis_url: str, names: RedisNames
) -> None:
    links = [RedisLink(redis_url), RedisLink(redis_url)]
    try:
        stores = [LeaseStore(link, names) for link in links]
        await stores[0].acquire(InstanceKey("foyer", 2), "px/1", 5.0, "px/")
        numbers = await asyncio.gather(
            *(stores[n % 2].acquire_lowest_free("foyer", f"p{n}/1", 5.0) for n in range(30))
        )
        assert sorted(n for n in numbers if n is not None) == [1, *range(3, 32)]
        assert await stores[0].acquire_lowest_free("foyer", "py/1", 5.0, last=31) is None
        assert await stores[0].acquire_lowest_free("lab", "py/1", 5.0) == 1
    finally:
        for link in links:
            await link.close()
