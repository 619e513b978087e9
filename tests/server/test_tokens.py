"""Session tokens: round trip, expiry, tampering, garbage."""

from __future__ import annotations

import pytest

from server.identity import Identity, Role
from server.tokens import TokenError, TokenSigner

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
