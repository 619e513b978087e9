"""Chat text cleaning, history for late joiners, reactions and chat rate limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.base.records import ChatRecord
from server.base.text_rules import ChatRefused, clean_text
from server.core.chat import ChatHistory, ChatLimits, ChatLine, check_emoji


def refused(text: str, limit: int = 20) -> str:
    with pytest.raises(ChatRefused) as info:
        clean_text(text, limit)
    return info.value.code


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Hallo  ", "Hallo"),
        ("<script>x</script>", "<script>x</script>"),
        ("a\x00b\x1bc\x7f", "abc"),
        ("line\r\nbreak\rhere", "line\nbreak\nhere"),
        ("a\n\n\n\n\nb", "a\n\n\nb"),
        ("e\u0301", "\u00e9"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("👨‍👩‍👧 family", "👨‍👩‍👧 family"),
        ("private\ue000use", "privateuse"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw, 100) == clean


def test_empty_and_too_long() -> None:
    assert refused("   \n \x00 ") == "chat_empty"
    assert refused("x" * 21) == "chat_too_long"
    assert clean_text("x" * 20, 20) == "x" * 20


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_cleaned_text_is_never_empty_or_long_and_has_no_controls(text: str) -> None:
    try:
        cleaned = clean_text(text, 40)
    except ChatRefused as exc:
        assert exc.code in {"chat_empty", "chat_too_long"}
        return
    assert cleaned and len(cleaned) <= 40 and cleaned == cleaned.strip()
    assert all(ch == "\n" or ord(ch) >= 0x20 for ch in cleaned)
    assert "\x7f" not in cleaned


def record(i: int, sender: str = "id-a", to: str | None = None) -> ChatRecord:
    return ChatRecord(f"{i:032x}", "foyer", 0, sender, "A", f"m{i}", to, float(i))


def test_history_keeps_the_last_room_messages_only() -> None:
    history = ChatHistory(3)
    for i in range(5):
        history.add(ChatLine(record(i), "s-a", None))
    history.add(ChatLine(record(9, to="id-b"), "s-a", "s-b"))
    assert [line["text"] for line in history.recent()] == ["m2", "m3", "m4"]
    assert len(history) == 3


def test_history_seeding_and_forgetting() -> None:
    history = ChatHistory(10)
    history.seed([record(1), record(2, sender="id-b"), record(3)])
    assert [line["from"] for line in history.recent()] == [None, None, None]
    assert history.forget("id-a") == 2
    assert [line["text"] for line in history.recent()] == ["m2"]
    history.add(ChatLine(record(4), "s", None))
    assert len(history) == 2


def test_emoji_allow_list() -> None:
    assert check_emoji("🌱") == "🌱"
    with pytest.raises(ChatRefused) as info:
        check_emoji("<img>")
    assert info.value.code == "emoji_unknown"


def test_limits_refill() -> None:
    limits = ChatLimits(now=0.0)
    for _ in range(5):
        limits.allow_chat(0.0)
    with pytest.raises(ChatRefused):
        limits.allow_chat(0.0)
    limits.allow_chat(1.0)
    for _ in range(5):
        limits.allow_react(0.0)
    with pytest.raises(ChatRefused):
        limits.allow_react(0.1)
