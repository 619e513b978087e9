"""Session tokens: round trip, expiry, tampering, garbage, revocation by generation."""

from __future__ import annotations

import base64

import orjson
import pytest

from server.base.identity import Identity, Role
from server.base.tokens import TokenError, TokenSigner

ADA = Identity("g-1", "Ada Lovelace", Role.VISITOR, guest=True)


def test_round_trip_keeps_identity() -> None:
    signer = TokenSigner("a-secret-of-enough-length")
    token = signer.issue(ADA, ttl_s=60, now=1000)
    assert signer.verify(token, now=1059) == ADA
    assert signer.expiry(token) == 1060


def test_expired_token_is_refused_unless_within_leeway() -> None:
    signer = TokenSigner("a-secret-of-enough-length")
    token = signer.issue(ADA, ttl_s=60, now=1000)
    with pytest.raises(TokenError) as caught:
        signer.verify(token, now=1061)
    assert caught.value.code == "token_expired"
    assert signer.verify(token, now=1061, leeway_s=10) == ADA


def test_token_from_another_secret_is_invalid() -> None:
    token = TokenSigner("the-first-secret-xxxx").issue(ADA, ttl_s=60, now=0)
    with pytest.raises(TokenError) as caught:
        TokenSigner("the-other-secret-yyyy").verify(token, now=1)
    assert caught.value.code == "token_invalid"


def test_changed_role_breaks_the_signature() -> None:
    signer = TokenSigner("a-secret-of-enough-length")
    token = signer.issue(ADA, ttl_s=60, now=0)
    payload, signature = token.split(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    with pytest.raises(TokenError):
        signer.verify(f"{forged_payload}.{signature}", now=1)


@pytest.mark.parametrize(
    "garbage", ["", ".", "abc", "abc.def", "x" * 5000, None, 42, "ünï.cödé", "%%%.%%%"]
)
def test_garbage_is_invalid(garbage: object) -> None:
    with pytest.raises(TokenError) as caught:
        TokenSigner("a-secret-of-enough-length").verify(garbage, now=0)
    assert caught.value.code == "token_invalid"


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenSigner("short")


def test_roles_rank() -> None:
    assert Role.STAFF.at_least(Role.FACILITATOR)
    assert not Role.VISITOR.at_least(Role.FACILITATOR)


def test_a_token_of_an_older_generation_is_revoked_and_still_readable() -> None:
    signer = TokenSigner("a-secret-of-enough-length")
    old = signer.issue(ADA, ttl_s=60, now=0)
    signer.generations[ADA.id] = 1
    with pytest.raises(TokenError) as caught:
        signer.verify(old, now=1)
    assert caught.value.code == "token_revoked"
    claims = signer.claims(old)
    assert (claims.identity, claims.generation, signer.revoked(claims)) == (ADA, 0, True)
    fresh = signer.issue(ADA, ttl_s=60, now=0)
    assert signer.verify(fresh, now=1) == ADA
    assert signer.claims(fresh).generation == 1
    # someone else's tokens are untouched
    bob = Identity("g-2", "Bob", Role.VISITOR, guest=True)
    assert signer.verify(signer.issue(bob, ttl_s=60, now=0), now=1) == bob


def test_a_token_from_before_generations_counts_as_generation_zero() -> None:
    signer = TokenSigner("a-secret-of-enough-length")
    body = {"sub": ADA.id, "name": ADA.name, "role": "visitor", "guest": True, "exp": 100}
    payload = base64.urlsafe_b64encode(orjson.dumps(body)).rstrip(b"=").decode()
    token = f"{payload}.{signer._sign(payload)}"
    assert signer.verify(token, now=1) == ADA
    signer.generations[ADA.id] = 1
    with pytest.raises(TokenError):
        signer.verify(token, now=1)
