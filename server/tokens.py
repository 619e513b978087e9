"""Signed, expiring session tokens.

A token is ``<payload>.<signature>``, both base64url without padding; the payload is JSON
``{"sub", "name", "role", "guest", "exp"}`` and the signature an HMAC-SHA256 over the
payload with the site's secret. Nothing is stored server-side: any process holding the
secret can verify a token, which is what the multi-process mode needs.

>>> signer = TokenSigner("secret")
>>> token = signer.issue(Identity("g-1", "Ada", Role.VISITOR, True), ttl_s=60, now=0)
>>> signer.verify(token, now=30).name
'Ada'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import orjson

from server.identity import Identity, Role

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


class TokenSigner:
    """Issues and verifies tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the token secret must be at least 16 characters")
        self._key = hashlib.sha256(b"hubtwin-token:" + secret.encode()).digest()

    def _sign(self, payload: str) -> str:
        return _b64encode(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, identity: Identity, *, ttl_s: int, now: float) -> str:
        body = {
            "sub": identity.id,
            "name": identity.name,
            "role": identity.role.value,
            "guest": identity.guest,
            "exp": int(now + ttl_s),
        }
        payload = _b64encode(orjson.dumps(body))
        return f"{payload}.{self._sign(payload)}"

    def expiry(self, token: str) -> int:
        """The expiry (epoch seconds) of a token whose signature is valid."""
        return self._claims(token)[1]

    def verify(self, token: object, now: float, *, leeway_s: float = 0.0) -> Identity:
        """The identity in a valid token; ``leeway_s`` accepts tokens expired that long ago."""
        identity, expires = self._claims(token)
        if expires + leeway_s < now:
            raise TokenError("token_expired", "the session has expired; please sign in again")
        return identity

    def _claims(self, token: object) -> tuple[Identity, int]:
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
        ):
            raise invalid
        identity = Identity(data["sub"], data["name"], Role(data["role"]), data["guest"])
        return identity, data["exp"]
