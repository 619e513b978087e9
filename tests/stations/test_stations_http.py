"""The stations' REST API over real sockets (aiohttp TestServer), including a restart."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from station_files import GOOD_STATION, PLACES, SiteFolder

from server.base.identity import Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.features.stations.catalogue import read_catalogue
from server.features.stations.desk import StationDesk
from server.features.stations.http import station_routes
from server.store.sqlite import Store
from server.web.http import HttpContext, make_http_app
from server.web.sessions import SessionIssuer

SECRET = "test-secret-of-enough-length"
RIGHT = {"q1": "a", "q2": ["a", "b"]}
WRONG = {"q1": "b", "q2": ["c"]}
_FRONT, _BODIES = GOOD_STATION.split("+++\n\n+++ de", 1)
PLAIN = _FRONT.split("[quiz]")[0].replace("lab-1", "lab-2") + "+++\n\n+++ de" + _BODIES


class Api:
    """A running HTTP app with the stations feature, and helpers to sign people in."""

    def __init__(self, client: TestClient, store: Store, rooms: dict[str, set[str]]) -> None:
        self.client = client
        self.store = store
        self.rooms = rooms

    async def guest(self, name: str) -> tuple[str, dict[str, str]]:
        response = await self.client.post("/api/session", json={"name": name})
        assert response.status == 200
        session = await response.json()
        return session["identity"]["id"], {"Authorization": f"Bearer {session['token']}"}

    async def account(self, username: str, role: Role) -> tuple[str, dict[str, str]]:
        identity = await self.store.create_account(username, "a-long-password", role, username)
        response = await self.client.post(
            "/api/session", json={"username": username, "password": "a-long-password"}
        )
        assert response.status == 200
        token = (await response.json())["token"]
        return identity.id, {"Authorization": f"Bearer {token}"}

    async def json(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        body = await response.read()
        assert response.status == status, body
        return orjson.loads(body)


async def start(tmp_path: Path, site_folder: SiteFolder, rooms: dict[str, set[str]]) -> Api:
    site_folder.write("ghg.md", GOOD_STATION)
    site_folder.write("plain.md", PLAIN)
    catalogue, problems = read_catalogue(site_folder.site, PLACES)
    assert problems == []
    settings = Settings(data_dir=tmp_path, secret=SECRET)
    store = await Store.open(tmp_path / "hub.sqlite3")
    world = tmp_path / "hub.glb"

    async def health() -> dict[str, Any]:
        return {"ready": True, "checks": {}}

    def members(room: str) -> Collection[str] | None:
        return rooms.get(room)

    context = HttpContext(
        settings=settings,
        site=site_folder.site,
        store=store,
        sessions=SessionIssuer(settings, TokenSigner(SECRET), store),
        world_file=lambda: world,
        world_digest=lambda: "abc",
        protocol_version=1,
        protocol_description=lambda: {},
        ws_port=lambda: 1,
        metrics=lambda: "",
        health=health,
    )
    app = make_http_app(context, features=[station_routes(StationDesk(catalogue), members)])
    client = TestClient(TestServer(app))
    await client.start_server()
    return Api(client, store, rooms)


async def stop(api: Api) -> None:
    await api.client.close()
    await api.store.close()


@pytest.fixture
async def api(tmp_path: Path, site_folder: SiteFolder) -> AsyncIterator[Api]:
    running = await start(tmp_path, site_folder, {"lab": set()})
    try:
        yield running
    finally:
        await stop(running)


# --- content -------------------------------------------------------------------------------


async def test_list_and_one_station_are_public_and_hold_no_answers(api: Api) -> None:
    listing = await api.json("GET", "/api/stations?lang=en")
    assert listing["language"] == "en"
    assert [s["id"] for s in listing["stations"]] == ["ghg", "plain"]
    assert listing["topics"][0] == {"id": "carbon", "title": "Carbon accounting"}
    one = await api.json("GET", "/api/stations/ghg")
    assert one["title"] == "Klimabilanz"  # the site's default language
    assert one["quiz"]["questions"][0]["options"][0] == {"id": "a", "text": "Scope 1"}
    for text in (orjson.dumps(listing).decode(), orjson.dumps(one).decode()):
        assert "correct" not in text and "Direkte Emissionen" not in text
    src = one["body_html"].split('<img src="', 1)[1].split('"', 1)[0]
    image = await api.client.get(src)
    assert image.status == 200 and image.headers["Content-Type"] == "image/svg+xml"


async def test_content_refusals(api: Api) -> None:
    error = await api.json("GET", "/api/stations/nope", status=404)
    assert error["error"]["code"] == "station_unknown"
    error = await api.json("GET", "/api/stations?lang=fr", status=400)
    assert error["error"]["code"] == "language_unknown"


# --- a visitor at a station ----------------------------------------------------------------


async def test_actions_need_a_session(api: Api) -> None:
    for path in ("/api/stations/ghg/open", "/api/stations/ghg/quiz"):
        error = await api.json("POST", path, status=401, json={})
        assert error["error"]["code"] == "token_missing"
    assert (await api.json("GET", "/api/me/stations", status=401))["error"]


async def test_open_answer_experiment_and_passport(api: Api) -> None:
    _, auth = await api.guest("Ada")
    opened = await api.json("POST", "/api/stations/ghg/open", headers=auth)
    assert opened["station"]["id"] == "ghg"
    assert opened["progress"]["quiz_attempts"] == 0

    wrong = await api.json(
        "POST", "/api/stations/ghg/quiz", headers=auth, json={"answers": WRONG, "lang": "en"}
    )
    assert not wrong["passed"] and wrong["score"] == 0
    assert wrong["questions"][0]["explanation"] == "Direct emissions are scope 1."
    right = await api.json("POST", "/api/stations/ghg/quiz", headers=auth, json={"answers": RIGHT})
    assert right["passed"] and right["score"] == 2

    bad = await api.json(
        "POST",
        "/api/stations/ghg/experiment",
        status=422,
        headers=auth,
        json={"inputs": {"electricity_kwh": "viel"}, "lang": "de"},
    )
    assert bad["error"]["code"] == "inputs_invalid"
    assert bad["error"]["fields"] == {
        "electricity_kwh": "Bitte eine Zahl eingeben (z. B. 1.200 oder 0,25)."
    }
    ran = await api.json(
        "POST",
        "/api/stations/ghg/experiment",
        headers=auth,
        json={"inputs": {"electricity_kwh": 100000}},
    )
    assert ran["figures"][5]["name"] == "scope2_location" and ran["figures"][5]["value"] == 36.3
    assert ran["figures"][5]["text"] == "36,3 t CO2/a"

    passport = await api.json("GET", "/api/me/stations?lang=en", headers=auth)
    assert passport["display_name"] == "Ada"
    assert passport["stations"] == {"opened": 1, "total": 2}
    assert passport["quizzes"] == {"passed": 1, "total": 1}
    assert passport["experiments"] == {"done": 1, "total": 1}
    ghg = passport["stamps"][0]
    assert ghg["complete"] and ghg["quiz_attempts"] == 2


async def test_quiz_and_experiment_refusals(api: Api) -> None:
    _, auth = await api.guest("Ada")
    error = await api.json(
        "POST", "/api/stations/plain/quiz", 404, headers=auth, json={"answers": RIGHT}
    )
    assert error["error"]["code"] == "quiz_missing"
    error = await api.json(
        "POST", "/api/stations/plain/experiment", 404, headers=auth, json={"inputs": {}}
    )
    assert error["error"]["code"] == "experiment_missing"
    error = await api.json(
        "POST", "/api/stations/ghg/quiz", 400, headers=auth, json={"answers": {"q1": "a"}}
    )
    assert error["error"]["message"] == "question q2 has no answer; answer every question"
    error = await api.json("POST", "/api/stations/ghg/quiz", 400, headers=auth, data=b"[1]")
    assert error["error"]["code"] == "json_invalid"


async def test_experiment_numbers_are_read_in_the_visitors_language(api: Api) -> None:
    _, auth = await api.guest("Ada")
    path = "/api/stations/ghg/experiment"

    async def scope2(lang_in_body: str | None, typed: str, query: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"inputs": {"electricity_kwh": typed}}
        if lang_in_body is not None:
            body["lang"] = lang_in_body
        ran = await api.json("POST", path + query, headers=auth, json=body)
        return next(f for f in ran["figures"] if f["name"] == "scope2_location")

    german = await scope2("de", "50.000")
    assert (german["value"], german["text"]) == (18.15, "18,15 t CO2/a")
    english = await scope2("en", "50,000")
    assert (english["value"], english["text"]) == (18.15, "18.15 t CO2/a")
    assert (await scope2(None, "2.000,5"))["value"] == 0.73  # the site's default: German
    assert (await scope2(None, "2,000.5", "?lang=en"))["value"] == 0.73

    unclear = await api.json(
        "POST",
        path,
        422,
        headers=auth,
        json={"inputs": {"electricity_kwh": "50.000"}, "lang": "en"},
    )
    assert unclear["error"] == {
        "code": "numbers_unclear",
        "message": "Please check what the marked numbers are meant to be.",
        "fields": {
            "electricity_kwh": "'50.000' is unclear: type 50,000 if you mean thousands, "
            "or 50 if the point marks decimals."
        },
        "reasons": {"electricity_kwh": "number_ambiguous"},
        "language": "en",
    }
    other = await api.json(
        "POST", path, 422, headers=auth, json={"inputs": {"electricity_kwh": "1.5"}, "lang": "de"}
    )
    assert other["error"]["reasons"] == {"electricity_kwh": "number_other_language"}
    assert other["error"]["fields"]["electricity_kwh"].startswith("„1.5“ ist englisch")
    garbage = await api.json(
        "POST", path, 422, headers=auth, json={"inputs": {"car_km": "1e5"}, "lang": "de"}
    )
    assert garbage["error"]["code"] == "inputs_invalid"
    assert garbage["error"]["fields"] == {
        "car_km": "Bitte eine Zahl eingeben (z. B. 1.200 oder 0,25)."
    }
    missing = await api.json("POST", path, 422, headers=auth, json={"inputs": "50.000"})
    assert missing["error"]["reasons"] == {"_": "inputs_missing"}
    unknown = await api.json(
        "POST", path, 400, headers=auth, json={"inputs": {"car_km": "1"}, "lang": "fr"}
    )
    assert unknown["error"]["code"] == "language_unknown"
    passport = await api.json("GET", "/api/me/stations", headers=auth)
    assert passport["experiments"]["done"] == 1  # refused runs are not counted


async def test_summary_download(api: Api) -> None:
    _, auth = await api.guest("Ada")
    await api.json("POST", "/api/stations/plain/open", headers=auth)
    response = await api.client.get("/api/me/stations/summary?lang=de", headers=auth)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="oekohub-dortmund-lernpass.txt"' in response.headers["Content-Disposition"]
    text = await response.text()
    assert text.startswith("Öko.HUB – Lernpass von Ada")
    assert "Besuchte Lernstationen: 1 von 2" in text


async def test_progress_survives_a_server_restart(tmp_path: Path, site_folder: SiteFolder) -> None:
    first = await start(tmp_path, site_folder, {})
    try:
        _, auth = await first.guest("Ada")
        await first.json("POST", "/api/stations/ghg/quiz", headers=auth, json={"answers": RIGHT})
    finally:
        await stop(first)
    second = await start(tmp_path, site_folder, {})
    try:
        passport = await second.json("GET", "/api/me/stations", headers=auth)
        assert passport["quizzes"] == {"passed": 1, "total": 1}
    finally:
        await stop(second)


# --- facilitators and staff ----------------------------------------------------------------


async def test_facilitator_lookup_and_room_view(api: Api) -> None:
    ada_id, ada = await api.guest("Ada")
    bob_id, _ = await api.guest("Bob")
    await api.json("POST", "/api/stations/ghg/quiz", headers=ada, json={"answers": RIGHT})
    fac_id, fac = await api.account("lena", Role.FACILITATOR)

    error = await api.json(
        "POST", "/api/station-progress/lookup", 403, headers=ada, json={"identities": [bob_id]}
    )
    assert error["error"]["code"] == "forbidden"
    found = await api.json(
        "POST",
        "/api/station-progress/lookup",
        headers=fac,
        json={"identities": [ada_id, bob_id, "g-unknown"]},
    )
    people = {p["identity"]: p for p in found["people"]}
    assert set(people) == {ada_id, bob_id}
    assert people[ada_id]["quizzes"]["passed"] == 1 and people[bob_id]["stations"]["opened"] == 0
    error = await api.json(
        "POST", "/api/station-progress/lookup", 400, headers=fac, json={"identities": "everyone"}
    )
    assert error["error"]["code"] == "identities_invalid"

    error = await api.json("GET", "/api/station-progress/rooms/lab", 403, headers=fac)
    assert error["error"]["code"] == "not_in_room"
    api.rooms["lab"] = {fac_id, ada_id}
    room = await api.json("GET", "/api/station-progress/rooms/lab?lang=en", headers=fac)
    assert room["room"] == "lab"
    assert [p["display_name"] for p in room["people"]] == ["Ada"]
    error = await api.json("GET", "/api/station-progress/rooms/cellar", 404, headers=fac)
    assert error["error"]["code"] == "room_unknown"


async def test_staff_csv_export(api: Api) -> None:
    ada_id, ada = await api.guest("Ada")
    await api.json("POST", "/api/stations/ghg/open", headers=ada)
    _, fac = await api.account("lena", Role.FACILITATOR)
    _, staff = await api.account("sam", Role.STAFF)
    response = await api.client.get("/api/station-progress/export.csv", headers=fac)
    assert response.status == 403
    response = await api.client.get("/api/station-progress/export.csv", headers=staff)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = await response.text()
    assert ada_id not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:4] == ["1", "Ada", "ghg", "Klimabilanz"]


async def test_station_actions_are_rate_limited_per_person(api: Api) -> None:
    _, ada = await api.guest("Ada")
    _, bob = await api.guest("Bob")
    statuses = []
    for _ in range(40):
        response = await api.client.post("/api/stations/plain/open", headers=ada)
        statuses.append(response.status)
    assert statuses[:30] == [200] * 30 and 429 in statuses[30:]
    assert (await api.client.post("/api/stations/plain/open", headers=bob)).status == 200
