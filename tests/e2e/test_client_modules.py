"""The web client's pure modules, run in the real browser against the server's definitions.

No hub server is needed: the page is served from the web-client folder by request
interception, and the Python side (msgpack, server/protocol/table.py) is the reference.
"""

from __future__ import annotations

import math
import mimetypes
import re
import struct
from collections.abc import Iterator
from typing import Any

import msgpack
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Route

from server.protocol import table as protocol
from server.protocol.appearance import CHOICES
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

ORIGIN = "http://client.test"
WEB_CLIENT = PROJECT_ROOT / "web-client"
THREE = PROJECT_ROOT / "node_modules" / "three"
#: a blank page of the client's origin, with index.html's import map (three)
BLANK_PAGE = (
    "<!doctype html><title>t</title><script type=importmap>"
    '{"imports": {"three": "/vendor/three/build/three.module.js"}}</script>'
)


def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        file = WEB_CLIENT / "index.html"
    elif path.startswith("/app/"):
        file = WEB_CLIENT / path.removeprefix("/app/")
    elif path.startswith("/vendor/three/"):
        file = THREE / path.removeprefix("/vendor/three/")
    else:
        route.fulfill(status=404, body="not here")
        return
    if not file.is_file():
        route.fulfill(status=404, body="not here")
        return
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    route.fulfill(status=200, body=file.read_bytes(), headers={"Content-Type": kind})


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.route(f"{ORIGIN}/**", _serve)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # A blank page of this origin, so module imports resolve against it.
    tab.route(f"{ORIGIN}/blank", lambda r: r.fulfill(body=BLANK_PAGE))
    tab.goto(f"{ORIGIN}/blank")
    try:
        yield tab
        assert errors == []
    finally:
        context.close()


def run(page: Page, module: str, body: str, arg: Any = None) -> Any:
    """Import /app/js/<module> as m and evaluate body (an expression of m and arg)."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('{ORIGIN}/app/js/{module}'); return {body}; }}",
        arg,
    )


# --- msgpack ------------------------------------------------------------------------------

VALUES: list[Any] = [
    0,
    1,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2**32 - 1,
    2**32,
    2**53 - 1,
    -1,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -(2**31),
    -(2**31) - 1,
    -(2**53) + 1,
    1.5,
    -0.1,
    1e300,
    "",
    "Grüße aus Dortmund ♻️",
    "x" * 31,
    "x" * 32,
    "y" * 255,
    "y" * 256,
    "z" * 70000,
    [],
    list(range(15)),
    list(range(16)),
    list(range(70000)),
    {},
    {f"k{i}": i for i in range(15)},
    {f"k{i}": i for i in range(16)},
    {"t": "chat", "text": "Hallo", "to": None, "nested": {"a": [1, 2.5, True, False, None]}},
    None,
    True,
    False,
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:30])
def test_msgpack_encoding_matches_python(page: Page, value: Any) -> None:
    encoded = run(page, "net/codec.js", "Array.from(m.encode(arg))", value)
    assert msgpack.unpackb(bytes(encoded), raw=False) == value


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:30])
def test_msgpack_decoding_matches_python(page: Page, value: Any) -> None:
    packed = list(msgpack.packb(value, use_bin_type=True))
    assert run(page, "net/codec.js", "m.decode(new Uint8Array(arg))", packed) == value


def test_msgpack_binary_floats_and_big_integers(page: Page) -> None:
    packed = msgpack.packb(
        {"bin": b"\x00\x01\xff", "f32": 0.0, "big": 2**63 + 5, "neg": -(2**62)},
        use_bin_type=True,
        use_single_float=False,
    )
    result = run(
        page,
        "net/codec.js",
        "(() => { const v = m.decode(new Uint8Array(arg)); return "
        "{bin: Array.from(v.bin), big: v.big.toString(), neg: v.neg.toString(), f32: v.f32}; })()",
        list(packed),
    )
    assert result == {"bin": [0, 1, 255], "big": str(2**63 + 5), "neg": str(-(2**62)), "f32": 0}
    single = list(b"\xca" + struct.pack(">f", 1.25))
    assert run(page, "net/codec.js", "m.decode(new Uint8Array(arg))", single) == 1.25
    encoded = run(page, "net/codec.js", "Array.from(m.encode(new Uint8Array([7, 8])))")
    assert msgpack.unpackb(bytes(encoded)) == b"\x07\x08"


@pytest.mark.parametrize(
    "raw",
    [[0xC1], [0x92, 0x01], [0xA3, 0x61], [0x01, 0x02], [0xA2, 0xC3, 0x28]],
    ids=["reserved byte", "short array", "short string", "trailing bytes", "bad utf-8"],
)
def test_msgpack_rejects_broken_input(page: Page, raw: list[int]) -> None:
    result = run(
        page,
        "net/codec.js",
        "(() => { try { m.decode(new Uint8Array(arg)); return 'accepted'; } "
        "catch (e) { return e instanceof m.CodecError ? 'CodecError' : String(e); } })()",
        raw,
    )
    assert result == "CodecError"


# --- binary frames, read from the protocol table ------------------------------------------


def test_pose_frame_is_byte_for_byte_the_servers(page: Page) -> None:
    binary = protocol.describe()["binary"]
    js = run(
        page,
        "net/frames.js",
        "Array.from(new m.FrameCodec(arg).encodePose(65537, 1.5, 0.25, -12.75, 3.0, -0.5))",
        binary,
    )
    assert bytes(js) == protocol.encode_pose(65537, 1.5, 0.25, -12.75, 3.0, -0.5)
    message = protocol.decode_client(bytes(js))
    assert isinstance(message, protocol.Pose)


def test_snapshot_frame_decodes_like_the_server_means_it(page: Page) -> None:
    binary = protocol.describe()["binary"]
    grid = {"origin": [10.0, 0.0, -5.0], "step": 0.01}
    entries = np.zeros(2, dtype=protocol.SNAPSHOT_ENTRY)
    entries[0] = (7, 150, 0, -250, 16384, 127, protocol.ENTRY_SNAP)
    entries[1] = (9, -1000, 300, 0, -32768, -64, protocol.ENTRY_AWAY)
    header = protocol.SNAPSHOT_HEADER.pack(
        protocol.SNAPSHOT_TAG, protocol.SNAPSHOT_FULL, 513, 99, 1700000000.5
    )
    frame = list(header + entries.tobytes())
    snapshot = run(
        page,
        "net/frames.js",
        "(() => { const c = new m.FrameCodec(arg.binary); c.setGrid(arg.grid); "
        "return c.decodeSnapshot(new Uint8Array(arg.frame)); })()",
        {"binary": binary, "grid": grid, "frame": frame},
    )
    assert snapshot["full"] is True and snapshot["far"] is False
    assert (snapshot["serial"], snapshot["tick"], snapshot["time"]) == (513, 99, 1700000000.5)
    first, second = snapshot["entries"]
    assert first["net"] == 7 and first["snap"] is True and first["away"] is False
    assert first["x"] == pytest.approx(11.5) and first["z"] == pytest.approx(-7.5)
    assert first["yaw"] == pytest.approx(math.pi / 2)
    assert first["pitch"] == pytest.approx(math.pi / 2)
    assert second["net"] == 9 and second["away"] is True and second["snap"] is False
    assert second["x"] == pytest.approx(0.0) and second["y"] == pytest.approx(3.0)
    assert second["yaw"] == pytest.approx(-math.pi)


# --- interpolation ------------------------------------------------------------------------


def _sample(page: Page, pushes: list[list[float]], at: float) -> dict[str, float]:
    result: dict[str, float] = run(
        page,
        "interpolation.js",
        "(() => { const b = new m.PoseBuffer(50); for (const p of arg.pushes) b.push(...p); "
        "const out = {}; b.sample(arg.at, out); return {...out, delay: b.delayMs}; })()",
        {"pushes": pushes, "at": at},
    )
    return result


def test_interpolation_runs_between_snapshots(page: Page) -> None:
    pushes = [[1000, 0, 0, 0, 0], [1050, 1, 0, 0, 0], [1100, 2, 0, 0, 0]]
    assert _sample(page, pushes, 1025)["x"] == pytest.approx(0.5)
    assert _sample(page, pushes, 1075)["x"] == pytest.approx(1.5)
    assert _sample(page, pushes, 1025)["delay"] == pytest.approx(100)


def test_interpolation_turns_the_short_way_round(page: Page) -> None:
    pushes = [[0, 0, 0, 0, 3.0], [50, 0, 0, 0, -3.0]]
    yaw = _sample(page, pushes, 25)["yaw"]
    assert abs(math.atan2(math.sin(yaw), math.cos(yaw))) == pytest.approx(math.pi, abs=0.01)


def test_a_teleport_is_not_smeared_across_the_floor(page: Page) -> None:
    snapped = [[0, 0, 0, 0, 0], [50, 0.5, 0, 0, 0, 1]]
    assert _sample(page, snapped, 25)["x"] == 0
    assert _sample(page, snapped, 50)["x"] == 0.5
    far = [[0, 0, 0, 0, 0], [50, 8, 0, 0, 0]]
    assert _sample(page, far, 40)["x"] == 0


def test_an_avatar_that_stood_still_starts_moving_at_once(page: Page) -> None:
    # Standing still for 5 s sends nothing; the first move must not crawl over those 5 s.
    pushes = [[0, 0, 0, 0, 0], [5000, 0.1, 0, 0, 0], [5050, 0.2, 0, 0, 0]]
    assert _sample(page, pushes, 4900)["x"] == 0
    assert _sample(page, pushes, 4975)["x"] == pytest.approx(0.05)


def test_far_avatars_are_shown_further_behind(page: Page) -> None:
    pushes = [[t * 250.0, t * 1.0, 0, 0, 0] for t in range(8)]
    sample = _sample(page, pushes, 1125)
    assert sample["delay"] > 300
    assert sample["x"] == pytest.approx(4.5)


# --- the translation table ----------------------------------------------------------------


def test_every_ui_string_exists_in_german_and_english(page: Page) -> None:
    table = run(page, "ui/strings.js", "m.STRINGS")
    german, english = table["de"], table["en"]
    assert set(german) == set(english)
    for key in german:
        assert german[key].strip() and english[key].strip(), key
        placeholders = [set(re.findall(r"{\w+}", text[key])) for text in (german, english)]
        assert placeholders[0] == placeholders[1], key
    html = (WEB_CLIENT / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-label|-placeholder|-title)?="([^"]+)"', html))
    assert used, "index.html names no strings"
    assert used <= set(german), sorted(used - set(german))
    for source in (WEB_CLIENT / "js").rglob("*.js"):
        for key in re.findall(r'\bt\(\s*"(\w+\.[\w.]+)"', source.read_text(encoding="utf-8")):
            assert key in german, f"{source.name} uses the unknown string {key}"


def test_every_avatar_choice_and_role_of_the_protocol_has_a_name(page: Page) -> None:
    table = run(page, "ui/strings.js", "m.STRINGS")
    prefixes = {"hair_color": "hairColour"}
    for field, choices in CHOICES.items():
        for choice in choices:
            key = f"{prefixes.get(field, field)}.{choice}"
            assert key in table["de"] and key in table["en"], key
    for role in ("visitor", "facilitator", "staff"):
        assert f"role.{role}" in table["de"] and f"role.{role}" in table["en"]


def test_every_key_does_one_thing() -> None:
    """The toolbar's shortcut letters, the voice mute key and the movement keys never
    overlap (a key given twice makes one of the two features unreachable)."""
    page = (WEB_CLIENT / "index.html").read_text(encoding="utf-8")
    toolbar = re.findall(r'data-shortcut="([^"]+)"', page)
    voice = re.findall(r'const MUTE_KEY = "(\w)"', (WEB_CLIENT / "js" / "voice.js").read_text())
    controls = (WEB_CLIENT / "js" / "controls.js").read_text(encoding="utf-8")
    movement = [code.removeprefix("Key").lower() for code in re.findall(r"\bKey[A-Z]\b", controls)]
    assert len(voice) == 1 and len(toolbar) > 10
    keys = [key.lower() for key in toolbar] + voice + sorted(set(movement))
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


# --- building the panels' elements and reading the hub's refusals ---------------------------


def test_el_sets_text_class_properties_and_attributes(page: Page) -> None:
    got = run(
        page,
        "ui/dom.js",
        """(() => {
          const input = m.el("input", {
            type: "checkbox", id: "x", checked: true, disabled: false, hidden: null, value: 7,
            "aria-label": "Wahl", maxlength: 5, dataset: { key: "k" },
          });
          const kids = [m.el("span", {}, "eins"), "zwei"];
          const box = m.el("div", { class: "a b", "aria-hidden": true }, kids);
          const p = m.el("p", { text: "<b>nicht fett</b>" });
          const count = m.el("span", {}, 3);
          const field = m.labelledField("f", "Name", m.el("input"));
          const attr = (name) => input.getAttribute(name);
          return {
            checked: input.checked, disabled: input.hasAttribute("disabled"),
            hidden: input.hasAttribute("hidden"), value: input.value, label: attr("aria-label"),
            maxlength: attr("maxlength"), key: input.dataset.key, type: input.type,
            boxClass: box.className, boxHtml: box.innerHTML,
            ariaHidden: box.getAttribute("aria-hidden"),
            pText: p.textContent, pElements: p.children.length, count: count.textContent,
            field: field.outerHTML,
          };
        })()""",
    )
    assert got == {
        "checked": True,
        "disabled": False,
        "hidden": False,
        "value": "7",
        "label": "Wahl",
        "maxlength": "5",
        "key": "k",
        "type": "checkbox",
        "boxClass": "a b",
        "boxHtml": "<span>eins</span>zwei",
        "ariaHidden": "",
        "pText": "<b>nicht fett</b>",
        "pElements": 0,
        "count": "3",
        "field": '<div class="field"><label for="f">Name</label><input id="f"></div>',
    }


def test_a_refusal_carries_the_servers_code_sentence_inputs_and_reason(page: Page) -> None:
    got = run(
        page,
        "net/fetch-json.js",
        """(async () => {
          const body = { error: {
            code: "bad_input", message: "Nein.", fields: { a: "zu groß" }, reason: "wall",
            problems: [1],
          } };
          const said = await m.refusal(new Response(JSON.stringify(body), { status: 422 }));
          const bare = await m.refusal(new Response("kein JSON", { status: 503 }));
          return [
            [said instanceof m.ApiError, said.status, said.code, said.message, said.fields,
             said.reason, said.problems],
            [bare.status, bare.code, bare.message, bare.fields, bare.reason, bare.problems],
          ];
        })()""",
    )
    assert got == [
        [True, 422, "bad_input", "Nein.", {"a": "zu groß"}, "wall", [1]],
        [503, "http_error", "HTTP 503", None, None, []],
    ]


def test_someone_placed_nearer_an_edge_than_the_margin_walks_out_again(page: Page) -> None:
    """A 4 m floor with a 1 m block cut out of it (furniture). Someone the server put 5 cm
    from the block (inside the client's edge margin) can still walk away from it, along the
    block, and nobody steps into the block itself."""
    result = run(
        page,
        "world/walkable.js",
        """(async () => {
            const THREE = await import("three");
            // squares of 0.5 m over [-2, 2] x [-2, 2], none over the block [0, 1] x [0, 1]
            const corners = [];
            for (let x = -2; x < 2; x += 0.5) for (let z = -2; z < 2; z += 0.5) {
                if (x >= 0 && x < 1 && z >= 0 && z < 1) continue;
                corners.push(x, 0, z, x, 0, z + 0.5, x + 0.5, 0, z);
                corners.push(x + 0.5, 0, z, x, 0, z + 0.5, x + 0.5, 0, z + 0.5);
            }
            const geometry = new THREE.BufferGeometry();
            geometry.setAttribute("position", new THREE.Float32BufferAttribute(corners, 3));
            const floor = new m.WalkableFloor([new THREE.Mesh(geometry)]);
            const walk = (x, z, dx, dz) => {
                const at = new THREE.Vector3(x, 0, z);
                const moved = floor.move(at, dx, dz);
                return {moved, x: at.x, z: at.z};
            };
            return {
                // 5 cm left of the block, walking away from it and along it
                away: walk(-0.05, 0.5, -0.5, 0),
                along: walk(-0.05, 0.5, 0, -0.5),
                // into the block: stops at its edge
                into: walk(-0.05, 0.5, 0.5, 0),
                // in the open, towards the block: stops at the margin as before
                open: walk(-1.0, 0.5, 1.0, 0),
            };
        })()""",
    )
    assert result["away"]["moved"] and result["away"]["x"] == pytest.approx(-0.55, abs=0.01)
    assert result["along"]["moved"] and result["along"]["z"] < 0.1
    assert result["into"]["x"] < 0.0
    assert result["open"]["moved"] and -0.2 < result["open"]["x"] < -0.1
