"""Signed, expiring session tokens.

A token is ``<payload>.<signature>``, both base64url without padding; the payload is JSON
``{"sub", "name", "role", "guest", "exp", "gen"}`` and the signature an HMAC-SHA256 over the
payload with the site's secret. Any process holding the secret can verify a token, which
is what the multi-process mode needs.

Revocation: ``gen`` is the identity's token generation when the token was issued (missing:
0). Revoking an identity's tokens raises its generation in the store; ``generations``
holds every raised one in memory (``server/web/revocation.py`` keeps it current), so checking
costs one dictionary lookup and a token of an older generation is refused as
``token_revoked``.

>>> signer = TokenSigner("secret")
>>> token = signer.issue(Identity("g-1", "Ada", Role.VISITOR, True), ttl_s=60, now=0)
>>> signer.verify(token, now=30).name
'Ada'
>>> signer.generations["g-1"] = 1
>>> signer.verify(token, now=30)
Traceback (most recent call last):
server.base.tokens.TokenError: this sign-in was revoked; please sign in again
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

import orjson

from server.base.identity import Identity, Role

MAX_TOKEN_LENGTH = 1024


class TokenError(Exception):
    """A token that cannot be used; ``code`` is a protocol error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    """What a token with a valid signature says (whether or not it expired or was revoked)."""

    identity: Identity
    expires: int
    generation: int


class TokenSigner:
    """Issues and verifies tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the token secret must be at least 16 characters")
        self._key = hashlib.sha256(b"hubtwin-token:" + secret.encode()).digest()
        #: identity id -> current token generation, for identities revoked at least once
        self.generations: dict[str, int] = {}

    def _sign(self, payload: str) -> str:
        return _b64encode(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, identity: Identity, *, ttl_s: int, now: float) -> str:
        body = {
            "sub": identity.id,
            "name": identity.name,
            "role": identity.role.value,
            "guest": identity.guest,
            "exp": int(now + ttl_s),
            "gen": self.generations.get(identity.id, 0),
        }
        payload = _b64encode(orjson.dumps(body))
        return f"{payload}.{self._sign(payload)}"

    def expiry(self, token: str) -> int:
        """The expiry (epoch seconds) of a token whose signature is valid."""
        return self.claims(token).expires

    def verify(self, token: object, now: float, *, leeway_s: float = 0.0) -> Identity:
        """The identity in a valid token; ``leeway_s`` accepts tokens expired that long ago."""
        claims = self.claims(token)
        if self.revoked(claims):
            raise TokenError("token_revoked", "this sign-in was revoked; please sign in again")
        if claims.expires + leeway_s < now:
            raise TokenError("token_expired", "the session has expired; please sign in again")
        return claims.identity

    def revoked(self, claims: TokenClaims) -> bool:
        """True when the identity's tokens were revoked after this one was issued."""
        return claims.generation < self.generations.get(claims.identity.id, 0)

    def claims(self, token: object) -> TokenClaims:
        """What a token says if its signature is ours (expired or revoked or not);
        ``TokenError`` ``token_invalid`` otherwise."""
        invalid = TokenError("token_invalid", "the session token is not valid")
        if (
            not isinstance(token, str)
            or not 0 < len(token) <= MAX_TOKEN_LENGTH
            or not token.isascii()
        ):
            raise invalid
        payload, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(self._sign(payload), signature):
            raise invalid
        try:
            data = orjson.loads(_b64decode(payload))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            raise invalid from None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("sub"), str)
            or not isinstance(data.get("name"), str)
            or data.get("role") not in {r.value for r in Role}
            or not isinstance(data.get("guest"), bool)
            or not isinstance(data.get("exp"), int)
            or not isinstance(data.get("gen", 0), int)
        ):
            raise invalid
        identity = Identity(data["sub"], data["name"], Role(data["role"]), data["guest"])
        return TokenClaims(identity, data["exp"], data.get("gen", 0))
