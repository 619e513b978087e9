"""A browser's WebRTC signal as Janus takes it: a session description or an ICE candidate.
Voice and screen sharing hand their connections' signals on the same way."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class SessionDescription(Protocol):
    """A ``voice_sdp`` or ``share_sdp``: an offer or an answer."""

    @property
    def type(self) -> str: ...

    @property
    def sdp(self) -> str: ...


class IceCandidate(Protocol):
    """A ``voice_ice`` or ``share_ice``: a candidate (None: gathering is done)."""

    @property
    def candidate(self) -> str | None: ...

    @property
    def mid(self) -> str | None: ...

    @property
    def mline(self) -> int | None: ...


def janus_signal(message: SessionDescription | IceCandidate) -> dict[str, Any]:
    """The payload Janus takes for ``message`` (``jsep`` or ``trickle`` candidate)."""
    if isinstance(message, SessionDescription):
        return {"type": message.type, "sdp": message.sdp}
    return {"candidate": message.candidate, "sdpMid": message.mid, "sdpMLineIndex": message.mline}
