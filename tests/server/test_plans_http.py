"""Teams and action plans through a real ``hubtwin serve`` (HTTP, SQLite): who may see and
change a plan (a non-member gets nothing, whatever the route; a facilitator of a workshop
the team shares may), joining with the link and on an invitation by name, leaving, a
station calculator's result put into a measure and recomputed, the CSV and PDF exports
field by field, and a person's teams in their data export and gone after erasure.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import HubProcess, Visitor

from server.features.board.plan_export import CSV_COLUMNS
from world.builder import build_world
from world.site import PROJECT_ROOT, load_site

PASSWORD = "ein-langes-passwort"
STATION = """\
+++
anchor = "hall-1"
topic = "general"
order = 1
reviewed = 2026-11-01

title.de = "Licht umrüsten"
title.en = "Retrofit the lighting"
intro.de = "Ob sich LED rechnet."
intro.en = "Whether LED pays off."

[[sources]]
publisher = "Umweltbundesamt"
title = "Strommix"
year = 2024

[experiment]
calculator = "lighting-retrofit"
+++

+++ de
Text.

+++ en
Text.
"""
ANCHOR = """
[[anchors]]
id = "hall-1"
kind = "station"
room = "hall"
at = [5.0, 1.5]
facing = "south"
title = { de = "Licht", en = "Light" }
"""
LIGHT = {
    "luminaires": 40,
    "old_watts": 110,
    "new_watts": 50,
    "hours_per_year": 3000,
    "price_per_kwh": 0.3,
    "cost_per_luminaire": 150,
}


def plans_site(folder: Path) -> tuple[Path, Path]:
    """The benchmark hall with one station whose experiment is the lighting calculator."""
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    with (site / "building.toml").open("a", encoding="utf-8") as building:
        building.write(ANCHOR)
    (site / "stations" / "licht.md").write_text(STATION, encoding="utf-8")
    (site / "calculators").mkdir()
    shutil.copy(
        PROJECT_ROOT / "assets/sites/oekohub-dortmund/calculators/lighting-retrofit.toml",
        site / "calculators",
    )
    world = folder / "world"
    build_world(load_site(site), world / "hub.glb", quiet=True)
    return site, world


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return plans_site(tmp_path_factory.mktemp("plans-site"))


def hubtwin(site: Path, data: Path, *args: str, stdin: str = "") -> None:
    program = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
    done = subprocess.run(
        [program, args[0], "--site", str(site), "--data-dir", str(data), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def hub(site: tuple[Path, Path], tmp_path: Path) -> Iterator[HubProcess]:
    """One process on its own SQLite file; Fritz leads a workshop, Gerda leads none."""
    process = HubProcess(*site, tmp_path, redis_url="")
    data = tmp_path / "data"
    shutil.copytree(site[1], data / "world")
    for name in ("fritz", "gerda"):
        hubtwin(site[0], data, "accounts", "add", name, "--name", name.capitalize(),
                "--role", "facilitator", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    starts = datetime.fromtimestamp(time.time() + 86400, ZoneInfo("Europe/Berlin"))
    hubtwin(site[0], data, "workshops", "add", "--title", "Austausch", "--room", "entrance",
            "--starts", starts.strftime("%Y-%m-%dT%H:%M"), "--minutes", "90",
            "--facilitator", "fritz")  # fmt: skip
    process.start()
    process.wait_ready()
    yield process
    process.stop()


def http(
    hub: HubProcess, method: str, path: str, who: str | None, body: Any = None
) -> tuple[int, bytes, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def call(hub: HubProcess, method: str, path: str, who: str | None, body: Any = None) -> Any:
    status, raw, _ = http(hub, method, path, who, body)
    return status, json.loads(raw) if raw else None


def guest(hub: HubProcess, name: str) -> tuple[str, str]:
    status, answer = call(hub, "POST", "/api/session", None, {"name": name})
    assert status == 200
    return answer["token"], answer["identity"]["id"]


def account(hub: HubProcess, username: str) -> tuple[str, str]:
    status, answer = call(
        hub, "POST", "/api/session", None, {"username": username, "password": PASSWORD}
    )
    assert status == 200, answer
    return answer["token"], answer["identity"]["id"]


def workshop_id(hub: HubProcess, who: str) -> str:
    status, answer = call(hub, "GET", "/api/workshops", who)
    assert status == 200
    return str(answer["workshops"][0]["id"])


def pdf_text(body: bytes) -> str:
    """The text of every page of a PDF, as a reader of it gets it (the wider gaps between
    the words of a justified line read as one space)."""
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    return re.sub(r" {2,}", " ", text)


def test_only_members_and_facilitators_of_a_shared_workshop_see_and_change_a_plan(
    hub: HubProcess,
) -> None:
    ada, ada_id = guest(hub, "Ada")
    bob, bob_id = guest(hub, "Bob")
    eve, _ = guest(hub, "Eve")
    fritz, _ = account(hub, "fritz")
    gerda, gerda_id = account(hub, "gerda")

    status, team = call(
        hub, "POST", "/api/teams", ada, {"name": "  Grüne  Backstube ", "firm": "Grün GmbH"}
    )
    assert status == 201
    assert (team["name"], team["firm"], team["me"]) == (
        "Grüne Backstube",
        "Grün GmbH",
        {"member": True, "lead": True},
    )
    tid, link = team["id"], team["link"]
    assert call(hub, "POST", "/api/teams", ada, {"name": ""})[0] == 400
    assert call(hub, "GET", f"/api/teams/{tid}", None)[0] == 401
    status, measure = call(hub, "POST", f"/api/teams/{tid}/measures", ada, {"title": "LED"})
    assert status == 201
    mid = measure["id"]

    # a stranger, and a facilitator whose workshop the team does not share: nothing at all
    for stranger in (eve, fritz, gerda):
        for method, path, body in (
            ("GET", f"/api/teams/{tid}", None),
            ("PATCH", f"/api/teams/{tid}", {"name": "Meins"}),
            ("POST", f"/api/teams/{tid}/measures", {"title": "Fremd"}),
            ("PATCH", f"/api/teams/{tid}/measures/{mid}", {"status": "done"}),
            ("DELETE", f"/api/teams/{tid}/measures/{mid}", None),
            (
                "POST",
                f"/api/teams/{tid}/measures/{mid}/calculation",
                {"station": "licht", "inputs": LIGHT},
            ),
            ("POST", f"/api/teams/{tid}/measures/{mid}/recompute", None),
            ("GET", f"/api/teams/{tid}/plan.csv", None),
            ("GET", f"/api/teams/{tid}/plan.pdf", None),
            ("POST", f"/api/teams/{tid}/invite", {"username": "gerda"}),
            ("POST", f"/api/teams/{tid}/join", {"link": "falsch"}),
            ("POST", f"/api/teams/{tid}/join", {}),
            ("POST", f"/api/teams/{tid}/leave", None),
        ):
            status, answer = call(hub, method, path, stranger, body)
            assert (status, answer["error"]["code"]) == (404, "team_unknown") or (
                status == 404 and answer["error"]["code"] == "team_link_invalid"
            ), (method, path, status, answer)
        assert call(hub, "GET", "/api/teams", stranger)[1]["teams"] == []
    status, plan = call(hub, "GET", f"/api/teams/{tid}", ada)
    assert [(m["title"], m["status"]) for m in plan["measures"]] == [("LED", "idea")]
    assert plan["name"] == "Grüne Backstube"

    # Bob joins with the link; the link shown to members only
    status, joined = call(hub, "POST", f"/api/teams/{tid}/join", bob, {"link": link})
    assert status == 200 and [m["name"] for m in joined["members"]] == ["Ada", "Bob"]
    assert joined["me"] == {"member": True, "lead": False}
    status, _ = call(
        hub,
        "PATCH",
        f"/api/teams/{tid}/measures/{mid}",
        bob,
        {"owner": bob_id, "status": "planned"},
    )
    assert status == 200
    assert (
        call(hub, "PATCH", f"/api/teams/{tid}", bob, {"name": "X"})[1]["error"]["code"]
        == "team_not_lead"
    )
    assert (
        call(hub, "PATCH", f"/api/teams/{tid}/measures/{mid}", bob, {"owner": "id-nobody"})[0]
        == 400
    )
    assert (
        call(hub, "PATCH", f"/api/teams/{tid}/measures/{mid}", bob, {"status": "fertig"})[0] == 400
    )
    # a new link: the old one stops
    status, fresh = call(hub, "POST", f"/api/teams/{tid}/link", ada)
    assert status == 200 and fresh["link"] != link
    assert (
        call(hub, "POST", f"/api/teams/{tid}/join", eve, {"link": link})[1]["error"]["code"]
        == "team_link_invalid"
    )

    # invited by name: Gerda sees the invitation, not the plan, until she joins
    assert call(hub, "POST", f"/api/teams/{tid}/invite", ada, {"username": "GERDA"})[0] == 200
    assert call(hub, "POST", f"/api/teams/{tid}/invite", ada, {"username": "niemand"})[0] == 404
    listed = call(hub, "GET", "/api/teams", gerda)[1]
    assert listed["teams"] == [] and listed["invitations"] == [
        {"id": tid, "name": "Grüne Backstube", "firm": "Grün GmbH"}
    ]
    assert call(hub, "GET", f"/api/teams/{tid}", gerda)[0] == 404
    status, joined = call(hub, "POST", f"/api/teams/{tid}/join", gerda, {})
    assert status == 200 and gerda_id in [m["id"] for m in joined["members"]]
    assert call(hub, "POST", f"/api/teams/{tid}/leave", gerda)[1]["left"] is True
    assert call(hub, "GET", f"/api/teams/{tid}", gerda)[0] == 404

    # shared with Fritz's workshop: he sees and changes it; unshared: no more
    wid = workshop_id(hub, fritz)
    assert call(hub, "POST", f"/api/teams/{tid}/workshops", bob, {"workshop": wid})[0] == 403
    assert call(hub, "POST", f"/api/teams/{tid}/workshops", ada, {"workshop": "w-none"})[0] == 404
    assert call(hub, "POST", f"/api/teams/{tid}/workshops", ada, {"workshop": wid})[0] == 200
    status, seen = call(hub, "GET", f"/api/teams/{tid}", fritz)
    assert status == 200 and seen["link"] is None and seen["me"]["member"] is False
    assert (
        call(
            hub,
            "POST",
            f"/api/teams/{tid}/measures",
            fritz,
            {"title": "Jobrad", "area": "mobility"},
        )[0]
        == 201
    )
    assert [t["id"] for t in call(hub, "GET", "/api/teams", fritz)[1]["teams"]] == [tid]
    assert call(hub, "GET", f"/api/teams/{tid}", gerda)[0] == 404
    # the series' view side by side: only with the team's consent, only for its facilitators
    progress = f"/api/workshops/{wid}/plans-progress"
    assert call(hub, "GET", progress, fritz)[1] == {"workshop": wid, "teams": []}
    assert call(hub, "PATCH", f"/api/teams/{tid}", ada, {"show_progress": "ja"})[0] == 400
    assert call(hub, "PATCH", f"/api/teams/{tid}", ada, {"show_progress": True})[0] == 200
    call(hub, "PATCH", f"/api/teams/{tid}/measures/{mid}", ada, {"status": "done", "co2e_kg": 40})
    assert call(hub, "GET", progress, fritz)[1]["teams"] == [
        {"team": tid, "name": "Grüne Backstube", "firm": "Grün GmbH", "measures": 2, "done": 1,
         "co2e_kg_planned": 40.0, "co2e_kg_done": 40.0, "energy_kwh_planned": 0.0,
         "energy_kwh_done": 0.0, "money_eur_planned": 0.0, "money_eur_done": 0.0}
    ]  # fmt: skip
    assert call(hub, "GET", progress, gerda)[0] == 403
    assert call(hub, "GET", progress, ada)[0] == 403
    call(hub, "POST", f"/api/teams/{tid}/workshops", ada, {"workshop": wid, "shared": False})
    assert call(hub, "GET", progress, fritz)[1]["teams"] == []
    assert call(hub, "GET", f"/api/teams/{tid}", fritz)[0] == 404

    # guessing the link is slowed down: too many tries are refused
    tries = {
        call(hub, "POST", f"/api/teams/{tid}/join", eve, {"link": f"x{i}"})[0] for i in range(45)
    }
    assert 429 in tries and tries <= {404, 429}

    # Bob leaves: his measure keeps no owner, he sees nothing
    assert call(hub, "POST", f"/api/teams/{tid}/leave", bob)[1] == {
        "team": tid,
        "left": True,
        "ended": False,
    }
    assert call(hub, "GET", f"/api/teams/{tid}", bob)[0] == 404
    plan = call(hub, "GET", f"/api/teams/{tid}", ada)[1]
    assert plan["measures"][0]["owner"] is None and [m["id"] for m in plan["members"]] == [ada_id]
    # the last one out ends the team
    assert call(hub, "POST", f"/api/teams/{tid}/leave", ada)[1]["ended"] is True
    assert call(hub, "GET", f"/api/teams/{tid}", ada)[0] == 404


def test_a_calculator_result_in_a_measure_recomputed_exported_and_erased(
    hub: HubProcess,
) -> None:
    ada, ada_id = guest(hub, "Ada")
    tid = call(hub, "POST", "/api/teams", ada, {"name": "Bäckerei Grün", "firm": "Grün GmbH"})[1][
        "id"
    ]
    fields = {
        "title": "LED in der Backstube",
        "area": "energy",
        "owner": ada_id,
        "due": "2027-03-31",
        "status": "in_progress",
        "note": "Angebot liegt vor",
    }
    mid = call(hub, "POST", f"/api/teams/{tid}/measures", ada, fields)[1]["id"]
    base = f"/api/teams/{tid}/measures/{mid}"

    bad = call(
        hub,
        "POST",
        f"{base}/calculation",
        ada,
        {"station": "licht", "inputs": {**LIGHT, "old_watts": -5}},
    )
    assert bad[0] == 422 and bad[1]["error"]["code"] == "inputs_invalid"
    assert (
        call(hub, "POST", f"{base}/calculation", ada, {"station": "nirgends", "inputs": LIGHT})[0]
        == 404
    )
    status, measure = call(
        hub, "POST", f"{base}/calculation", ada, {"station": "licht", "inputs": LIGHT, "lang": "de"}
    )
    assert status == 200, measure
    # 40 luminaires x 60 W less x 3,000 h = 7,200 kWh; x 0.363 kg/kWh; x 0.30 €/kWh
    assert measure["energy_kwh"] == pytest.approx(7200)
    assert measure["co2e_kg"] == pytest.approx(7200 * 0.363, abs=1)
    assert measure["money_eur"] == pytest.approx(2160)
    source = measure["source"]
    assert (source["kind"], source["station"], source["calculator"]) == (
        "calculator",
        "licht",
        "lighting-retrofit",
    )
    assert {k: v for k, v in source["inputs"].items() if v is not None} == {
        k: float(v) for k, v in LIGHT.items()
    }
    assert [(f["id"], f["value"]) for f in source["factors"]] == [("grid_electricity", 0.363)]
    assert source["use"] == {
        "energy_kwh": "saved_kwh",
        "money_eur": "saved_eur",
        "co2e_kg": "saved_co2",
    }
    calculated = (measure["co2e_kg"], measure["energy_kwh"], measure["money_eur"])

    # changed by hand, then recomputed through the calculator from the kept inputs
    changed = call(hub, "PATCH", base, ada, {"co2e_kg": 1})[1]
    assert changed["co2e_kg"] == 1 and changed["source"]["overridden"] is True
    status, again = call(hub, "POST", f"{base}/recompute", ada)
    assert status == 200
    assert again["before"]["co2e_kg"] == 1 and again["factors_changed"] is False
    after = again["measure"]
    assert (after["co2e_kg"], after["energy_kwh"], after["money_eur"]) == calculated
    assert "overridden" not in after["source"]
    other = call(
        hub,
        "POST",
        f"/api/teams/{tid}/measures",
        ada,
        {"title": "=Jobrad", "area": "mobility", "source_text": "Schätzung der Personalabteilung"},
    )[1]
    assert call(hub, "POST", f"/api/teams/{tid}/measures/{other['id']}/recompute", ada)[0] == 409

    # CSV, field by field
    status, raw, kind = http(hub, "GET", f"/api/teams/{tid}/plan.csv?lang=de", ada)
    assert status == 200 and kind.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["Nr / No"] == "1"
    assert first["Maßnahme / Measure"] == "LED in der Backstube"
    assert first["Bereich / Area"] == "Energie"
    assert first["Verantwortlich / Owner"] == "Ada"
    assert first["Fällig / Due"] == "2027-03-31"
    assert first["Stand / Status"] == "In Umsetzung"
    assert first["CO2e kg/Jahr / CO2e kg/year"] == f"{calculated[0]:.6f}".rstrip("0").rstrip(
        "."
    ).replace(".", ",")
    assert first["Energie kWh/Jahr / Energy kWh/year"] == "7200"
    assert first["Euro/Jahr / Euro/year"] == "2160"
    assert (
        first["Herkunft der Zahlen / Source of the figures"]
        == "Stationsrechner licht (lighting-retrofit)"
    )
    assert first["Rechner / Calculator"] == "lighting-retrofit"
    assert (
        "luminaires=40" in first["Eingaben / Inputs"]
        and "price_per_kwh=0,3" in first["Eingaben / Inputs"]
    )
    assert first["Faktoren / Factors"].startswith("grid_electricity=0,363 kg CO2/kWh (")
    assert first["Notiz / Note"] == "Angebot liegt vor"
    second = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert second["Maßnahme / Measure"] == "'=Jobrad"  # never a formula in a spreadsheet
    assert (second["Bereich / Area"], second["Stand / Status"]) == ("Mobilität", "Idee")
    assert (
        second["Herkunft der Zahlen / Source of the figures"] == "Schätzung der Personalabteilung"
    )
    english = list(
        csv.reader(
            io.StringIO(http(hub, "GET", f"/api/teams/{tid}/plan.csv?lang=en", ada)[1].decode())
        )
    )
    assert (english[1][2], english[1][5], english[1][6]) == (
        "Energy",
        "In progress",
        f"{calculated[0]:.6f}".rstrip("0").rstrip("."),
    )

    # PDF: the site's name, the team, each measure with its figures and their source
    for lang, words in (
        (
            "de",
            [
                "Lasttest",
                "Maßnahmenplan: Bäckerei Grün",
                "Unternehmen: Grün GmbH",
                "LED in der Backstube",
                "Energie | In Umsetzung",
                "Verantwortlich: Ada",
                "fällig: 2027-03-31",
                "7200 kWh",
                "2160 €",
                "kg CO₂e",
                "Faktoren: grid_electricity=0,363",
            ],
        ),
        (
            "en",
            [
                "Action plan: Bäckerei Grün",
                "Company: Grün GmbH",
                "Energy | In progress",
                "Owner: Ada",
                "Factors: grid_electricity=0.363",
                "Inputs: luminaires=40",
            ],
        ),
    ):
        status, body, kind = http(hub, "GET", f"/api/teams/{tid}/plan.pdf?lang={lang}", ada)
        assert status == 200 and kind == "application/pdf" and body.startswith(b"%PDF-")
        text = pdf_text(body)
        for word in words:
            assert word in text, (lang, word)

    # the data export names the team; erasure takes Ada out and the team (she was alone) goes
    status, exported = call(hub, "GET", "/api/me/export", ada)
    assert status == 200
    mine = exported["teams"]
    assert [(t["team"], t["name"], t["role"]) for t in mine] == [(tid, "Bäckerei Grün", "lead")]
    assert [m["title"] for m in mine[0]["measures_owned"]] == ["LED in der Backstube"]
    assert call(hub, "DELETE", "/api/me", ada)[0] == 200
    again_ada, _ = guest(hub, "Ada")
    assert call(hub, "GET", f"/api/teams/{tid}", again_ada)[0] == 404


async def test_over_the_websocket_only_those_who_may_see_a_plan_watch_it(hub: HubProcess) -> None:
    ada, _ = guest(hub, "Ada")
    bob, _ = guest(hub, "Bob")
    eve, _ = guest(hub, "Eve")
    tid = call(hub, "POST", "/api/teams", ada, {"name": "Grüne Backstube"})[1]["id"]
    call(hub, "POST", f"/api/teams/{tid}/measures", ada, {"title": "LED"})
    link = call(hub, "GET", f"/api/teams/{tid}", ada)[1]["link"]
    assert call(hub, "POST", f"/api/teams/{tid}/join", bob, {"link": link})[0] == 200
    watcher, stranger = Visitor("Bob", token=bob), Visitor("Eve", token=eve)
    try:
        await watcher.enter(hub.ws_url, room="entrance")
        await stranger.enter(hub.ws_url, room="entrance")
        for team in (tid, "t-none"):
            await stranger.send("plan_watch", team=team)
            refused = await stranger.next(("error",))
            assert refused["code"] == "team_unknown", refused
        await watcher.send("plan_watch", team=tid)
        state = await watcher.next(("plan_state",), team=tid)
        assert [m["title"] for m in state["plan"]["measures"]] == ["LED"]
        assert state["plan"]["me"] == {"member": True, "lead": False}

        await asyncio.to_thread(
            call, hub, "POST", f"/api/teams/{tid}/measures", ada, {"title": "Jobrad"}
        )
        state = await watcher.next(("plan_state",), team=tid)
        assert [m["title"] for m in state["plan"]["measures"]] == ["LED", "Jobrad"]
        # the stranger's connection carries nothing of it
        await stranger.send("plan_watch", team="")
        assert not [m for m in stranger.messages if m.get("t") == "plan_state"]

        await asyncio.to_thread(call, hub, "POST", f"/api/teams/{tid}/leave", bob)
        gone = await watcher.next(("plan_state",), team=tid)
        assert gone["plan"] is None
        await asyncio.to_thread(
            call, hub, "POST", f"/api/teams/{tid}/measures", ada, {"title": "Wasser"}
        )
        await watcher.send("plan_watch", team=tid)
        assert (await watcher.next(("error",)))["code"] == "team_unknown"
        assert not [m for m in watcher.messages if m.get("t") == "plan_state"]
    finally:
        await watcher.close()
        await stranger.close()


@pytest.fixture
def live_hub(site: tuple[Path, Path], tmp_path: Path) -> Iterator[HubProcess]:
    """One process; Fritz leads a workshop in the entrance that began a minute ago, Gerda
    leads none."""
    process = HubProcess(*site, tmp_path, redis_url="")
    data = tmp_path / "data"
    shutil.copytree(site[1], data / "world")
    for name in ("fritz", "gerda"):
        hubtwin(site[0], data, "accounts", "add", name, "--name", name.capitalize(),
                "--role", "facilitator", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    starts = datetime.fromtimestamp(time.time() - 60, ZoneInfo("Europe/Berlin"))
    hubtwin(site[0], data, "workshops", "add", "--title", "Austausch", "--room", "entrance",
            "--starts", starts.strftime("%Y-%m-%dT%H:%M"), "--minutes", "90",
            "--facilitator", "fritz")  # fmt: skip
    process.start()
    process.wait_ready()
    yield process
    process.stop()


async def test_the_facilitator_shows_the_consenting_teams_progress_on_the_room_screen(
    live_hub: HubProcess,
) -> None:
    hub = live_hub
    fritz, _ = account(hub, "fritz")
    gerda, _ = account(hub, "gerda")
    ada, _ = guest(hub, "Ada")
    wid = workshop_id(hub, fritz)
    shown_tid = call(hub, "POST", "/api/teams", ada, {"name": "Backstube", "firm": "Grün GmbH"})
    tid = shown_tid[1]["id"]
    quiet = call(hub, "POST", "/api/teams", ada, {"name": "Ohne Zustimmung"})[1]["id"]
    elsewhere = call(hub, "POST", "/api/teams", ada, {"name": "Nicht geteilt"})[1]["id"]
    for team in (tid, quiet):
        assert call(hub, "POST", f"/api/teams/{team}/workshops", ada, {"workshop": wid})[0] == 200
    for team in (tid, elsewhere):
        assert call(hub, "PATCH", f"/api/teams/{team}", ada, {"show_progress": True})[0] == 200
    call(hub, "POST", f"/api/teams/{tid}/measures", ada, {"title": "LED", "co2e_kg": 300})
    lead, other = Visitor("Fritz", token=fritz), Visitor("Gerda", token=gerda)
    member, late, away = Visitor("Ada", token=ada), Visitor("Lea"), Visitor("Hanna")
    people = (lead, other, member, late, away)
    try:
        await lead.enter(hub.ws_url, room="entrance")
        await lead.send("plans_show", on=True)
        assert (await lead.next(("error",), about="plans_show"))["code"] == "workshop_not_live"
        await lead.send("workshop_start", workshop=wid)
        await lead.next(("workshop_state",))
        for person in (other, member):
            await person.enter(hub.ws_url, room="entrance")
        await away.enter(hub.ws_url, room="hall")
        for person in (other, member):
            await person.send("plans_show", on=True)
            assert (await person.next(("error",), about="plans_show"))["code"] == "not_facilitator"
        await away.send("plans_show", on=True)
        assert (await away.next(("error",), about="plans_show"))["code"] == "workshop_not_live"
        assert not [m for p in people for m in p.messages if m.get("t") == "plans_progress"]

        await lead.send("plans_show", on=True)
        for person in (lead, other, member):
            shown = await person.next(("plans_progress",))
            assert shown["workshop"] == wid
            assert [(t["team"], t["measures"], t["done"]) for t in shown["teams"]] == [(tid, 1, 0)]
            assert shown["teams"][0]["co2e_kg_planned"] == 300.0
            assert shown["teams"][0]["co2e_kg_done"] == 0.0
        # a measure done: the screen is drawn again for everyone
        mid = call(hub, "GET", f"/api/teams/{tid}", ada)[1]["measures"][0]["id"]
        await asyncio.to_thread(
            call, hub, "PATCH", f"/api/teams/{tid}/measures/{mid}", ada, {"status": "done"}
        )
        for person in (lead, member):
            while True:
                shown = await person.next(("plans_progress",))
                if shown["teams"][0]["done"] == 1:
                    break
            assert shown["teams"][0]["co2e_kg_done"] == 300.0
        # whoever comes in while it is shown gets it; the hall does not
        await late.enter(hub.ws_url, room="entrance")
        assert [t["team"] for t in (await late.next(("plans_progress",)))["teams"]] == [tid]
        assert not [m for m in away.messages if m.get("t") == "plans_progress"]

        await lead.send("plans_show", on=False)
        for person in (member, late):
            while (await person.next(("plans_progress",)))["teams"] is not None:
                pass
    finally:
        for person in people:
            await person.close()


def test_sharing_a_session_of_a_series_shares_every_session_to_come(hub: HubProcess) -> None:
    fritz, _ = account(hub, "fritz")
    gerda, _ = account(hub, "gerda")
    ada, _ = guest(hub, "Ada")
    status, made = call(
        hub,
        "POST",
        "/api/workshop-series",
        fritz,
        {"title": "Austauschreihe", "room": "hall", "first": time.time() + 2 * 86400,
         "minutes": 60, "repeat": "weekly", "count": 2},
    )  # fmt: skip
    assert status in (200, 201), made
    listed = call(hub, "GET", "/api/workshops", fritz)[1]["workshops"]
    sessions = sorted(
        (w for w in listed if w.get("series") and w["title"] == "Austauschreihe"),
        key=lambda w: w["starts"],
    )
    assert len(sessions) == 2
    first, second = (w["id"] for w in sessions)
    single = workshop_id(hub, fritz)
    tid = call(hub, "POST", "/api/teams", ada, {"name": "Backstube"})[1]["id"]
    call(hub, "PATCH", f"/api/teams/{tid}", ada, {"show_progress": True})
    call(hub, "POST", f"/api/teams/{tid}/measures", ada, {"title": "LED", "co2e_kg": 120})
    assert call(hub, "POST", f"/api/teams/{tid}/workshops", ada, {"workshop": first})[0] == 200
    assert sorted(call(hub, "GET", f"/api/teams/{tid}", ada)[1]["workshops"]) == sorted(
        [first, second]
    )
    for session in (first, second):
        shown = call(hub, "GET", f"/api/workshops/{session}/plans-progress", fritz)[1]
        assert [(t["team"], t["co2e_kg_planned"]) for t in shown["teams"]] == [(tid, 120.0)]
    # a workshop of no series shares only itself; another facilitator sees nothing
    assert call(hub, "GET", f"/api/workshops/{single}/plans-progress", fritz)[1]["teams"] == []
    assert call(hub, "GET", f"/api/teams/{tid}", gerda)[0] == 404
    # stopping with one session stops with the series
    body = {"workshop": second, "shared": False}
    assert call(hub, "POST", f"/api/teams/{tid}/workshops", ada, body)[0] == 200
    assert call(hub, "GET", f"/api/teams/{tid}", ada)[1]["workshops"] == []
    assert call(hub, "GET", f"/api/teams/{tid}", fritz)[0] == 404


async def test_two_teams_in_breakout_groups_each_see_only_their_own_plan(
    live_hub: HubProcess,
) -> None:
    hub = live_hub
    fritz, _ = account(hub, "fritz")
    wid = workshop_id(hub, fritz)
    tokens = {name: guest(hub, name)[0] for name in ("Ada", "Bob", "Cem", "Dora")}
    team_a = call(hub, "POST", "/api/teams", tokens["Ada"], {"name": "Backstube"})[1]
    team_b = call(hub, "POST", "/api/teams", tokens["Cem"], {"name": "Tischlerei"})[1]
    for joiner, team, lead in (("Bob", team_a, "Ada"), ("Dora", team_b, "Cem")):
        link = call(hub, "GET", f"/api/teams/{team['id']}", tokens[lead])[1]["link"]
        body = {"link": link}
        assert call(hub, "POST", f"/api/teams/{team['id']}/join", tokens[joiner], body)[0] == 200
    a, b = team_a["id"], team_b["id"]
    lead = Visitor("Fritz", token=fritz)
    people = {name: Visitor(name, token=tok) for name, tok in tokens.items()}
    try:
        await lead.enter(hub.ws_url, room="entrance")
        await lead.send("workshop_start", workshop=wid)
        await lead.next(("workshop_state",))
        for person in people.values():
            await person.enter(hub.ws_url, room="entrance")
        groups = [[people["Ada"].session, people["Bob"].session]]
        groups.append([people["Cem"].session, people["Dora"].session])
        await lead.send("breakout", groups=2, mode="chosen", minutes=10, assign=groups)
        rooms = {}
        for name, person in people.items():
            joined = await person.next(("joined",))
            rooms[name] = (joined["room"], joined["instance"])
        assert rooms["Ada"] == rooms["Bob"] != rooms["Cem"] == rooms["Dora"]
        assert rooms["Ada"][1] != 0 and rooms["Cem"][1] != 0

        # in the breakout rooms neither team can see the other's plan
        for person, other in ((people["Ada"], b), (people["Cem"], a)):
            await person.send("plan_watch", team=other)
            assert (await person.next(("error",), about="plan_watch"))["code"] == "team_unknown"
        assert call(hub, "GET", f"/api/teams/{b}", tokens["Ada"])[0] == 404
        assert (
            call(hub, "POST", f"/api/teams/{b}/measures", tokens["Bob"], {"title": "X"})[0] == 404
        )
        assert (
            call(hub, "POST", f"/api/teams/{a}/measures", tokens["Dora"], {"title": "X"})[0] == 404
        )

        # each team works on its own plan, and only its members get it
        await people["Bob"].send("plan_watch", team=a)
        await people["Dora"].send("plan_watch", team=b)
        assert (await people["Bob"].next(("plan_state",), team=a))["plan"]["measures"] == []
        assert (await people["Dora"].next(("plan_state",), team=b))["plan"]["measures"] == []
        await asyncio.to_thread(
            call, hub, "POST", f"/api/teams/{a}/measures", tokens["Ada"], {"title": "LED"}
        )
        await asyncio.to_thread(
            call, hub, "POST", f"/api/teams/{b}/measures", tokens["Cem"], {"title": "Späne heizen"}
        )
        seen_a = await people["Bob"].next(("plan_state",), team=a)
        seen_b = await people["Dora"].next(("plan_state",), team=b)
        assert [m["title"] for m in seen_a["plan"]["measures"]] == ["LED"]
        assert [m["title"] for m in seen_b["plan"]["measures"]] == ["Späne heizen"]
        for name, foreign in (("Ada", b), ("Bob", b), ("Cem", a), ("Dora", a)):
            got = [m for m in people[name].messages if m.get("t") == "plan_state"]
            assert not [m for m in got if m["team"] == foreign], name
    finally:
        await lead.close()
        for person in people.values():
            await person.close()
