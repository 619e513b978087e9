"""``hubtwin site new PATH --name NAME``: a small site folder that builds and serves at once.

Another region starts its own hub here: two rooms (a reception that is the entrance and a
learning room), a door and windows, a board that shows the workshops, a screen for talks, a
learning station with a quiz and a calculator, a talk script, and a logo made from the name.
Every file is the documented format (docs/site-format.md, docs/content-format.md,
docs/talks-format.md) with comments, to be edited from there; docs/make-your-hub.md walks on.

>>> main(["site", "new", "/srv/hub-bochum", "--name", "Öko.HUB Bochum"])   # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from world.errors import UsageError
from world.site import COLOUR, load_site

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
#: a new site's colours until it chooses its own (deliberately not the Dortmund hub's)
DEFAULT_PRIMARY = "#2e5e7e"
DEFAULT_ACCENT = "#e39b2d"
NAME_MAX = 80


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "site", help="start a new site folder (another region's hub)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", help="write a small site folder that builds and serves")
    new.add_argument("path", type=Path, help="the folder to create (must not exist, or be empty)")
    new.add_argument("--name", required=True, help='the hub\'s name, e.g. "Öko.HUB Bochum"')
    new.add_argument("--id", help="the site id (default: made from the name)")
    new.add_argument("--colour", default=DEFAULT_PRIMARY, help="primary colour, #rrggbb")
    new.add_argument("--accent", default=DEFAULT_ACCENT, help="accent colour, #rrggbb")
    new.set_defaults(handler=new_site)


def site_id_from(name: str) -> str:
    """Lower-case letters, digits and dashes: ``Öko.HUB Bochum`` is ``oeko-hub-bochum``."""
    text = name.lower()
    for umlaut, written in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, written)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:48].strip("-")


def initials(name: str) -> str:
    """Up to two letters for the logo: the first of the first and the last word."""
    words = [w for w in re.split(r"[\s.\-_]+", name) if w and w[0].isalnum()]
    if not words:
        return "H"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def logo_svg(name: str, colour: str) -> str:
    letters = html.escape(initials(name))
    title = html.escape(name)
    size = 110 if len(letters) > 1 else 140
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"
     viewBox="0 0 256 256">
  <title>{title}</title>
  <rect width="256" height="256" rx="48" fill="{colour}"/>
  <circle cx="128" cy="128" r="96" fill="none" stroke="#ffffff" stroke-width="10" opacity="0.5"/>
  <text x="128" y="128" dy="0.35em" text-anchor="middle" font-family="DejaVu Sans, sans-serif"
        font-size="{size}" font-weight="700" fill="#ffffff">{letters}</text>
</svg>
"""


def _q(text: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for these texts)."""
    return json.dumps(text, ensure_ascii=False)


def site_toml(site_id: str, name: str, colour: str, accent: str = DEFAULT_ACCENT) -> str:
    short = name if len(name) <= 24 else name[:24].rstrip()
    return f"""# {name}: the hub's id, languages, name, colours and logo.
# Format: docs/site-format.md

[site]
id = {_q(site_id)}
languages = ["de", "en"]
default_language = "de"
time_zone = "Europe/Berlin"

[branding]
name = {{ de = {_q(name)}, en = {_q(name)} }}
short_name = {_q(short)}
tagline.de = "Grüne Transformation gemeinsam gestalten"
tagline.en = "Shaping the green transformation together"
primary_colour = {_q(colour)}
accent_colour = {_q(accent)}
logo = "logo.svg"

[operator]
name = {_q(name)}
"""


def building_toml(name: str) -> str:
    return f"""# The building of {name}: two rooms to start from. Format: docs/site-format.md
# Metres; X east, Z south. Things in a room are placed from its north-west corner.

[building]
name = {{ de = {_q(name)}, en = {_q(name)} }}
entrance = "foyer"        # newcomers arrive here
ground_margin = 8

[[rooms]]
id = "foyer"
names = {{ de = "Empfang", en = "Reception" }}
kind = "foyer"
x = [0, 12]
z = [0, 10]
capacity = 30
floor_material = "terrazzo"
spawns = 6

[[rooms]]
id = "lab"
names = {{ de = "Lernraum", en = "Learning room" }}
kind = "lab"
x = [12, 22]
z = [0, 10]
capacity = 20
floor_material = "lino"
spawns = 4

[[doors]]
rooms = ["foyer", "lab"]
at = 5
width = 1.8
style = "glass"

[[windows]]
room = "foyer"
side = "south"
count = 2

[[windows]]
room = "lab"
side = "north"
count = 2

[[anchors]]
id = "foyer-board"
kind = "board"
shows = "workshops"       # the client lists the next workshops on this board
room = "foyer"
at = [6, 0.175]
elevation = 1.6
size = [3.0, 1.4]
facing = "south"
title = {{ de = "Veranstaltungen & Workshops", en = "Events & workshops" }}

[[anchors]]
id = "foyer-screen"
kind = "screen"           # talks are watched together here
room = "foyer"
at = [0.175, 5]
elevation = 1.8
size = [3.2, 1.8]
facing = "east"

[[anchors]]
id = "lab-1"
kind = "station"
room = "lab"
at = [5, 1.4]
facing = "south"
title = {{ de = "Erste Schritte", en = "First steps" }}

[[furniture]]
type = "table"
room = "lab"
at = [5, 6]
chairs = 4
"""


CALCULATOR = """# A first calculator: what a year's electricity costs and emits.
# Format: docs/content-format.md
title = { de = "Was kostet unser Strom?", en = "What does our electricity cost?" }
summary.de = "Aus dem Jahresverbrauch und dem Preis: die Kosten und das CO2 des Strommixes."
summary.en = "From the yearly use and the price: the cost and the CO2 of the grid mix."

[[inputs]]
name = "electricity_kwh"
label = { de = "Stromverbrauch", en = "Electricity use" }
unit = "kWh/a"
min = 0
max = 1_000_000_000
default = 20_000
help.de = "kWh laut Stromrechnung"
help.en = "kWh as on the electricity bill"

[[inputs]]
name = "price_per_kwh"
label = { de = "Strompreis", en = "Electricity price" }
unit = "€/kWh"
min = 0.01
max = 2
default = 0.25

[[factors]]
name = "grid_electricity"
label = { de = "Strommix Deutschland", en = "German grid mix" }
value = 0.363
unit = "kg CO2/kWh"
source = "Umweltbundesamt (2025): Treibhausgas-Emissionen des deutschen Strommix 1990–2024"
year = 2025

[[results]]
name = "cost"
label = { de = "Stromkosten", en = "Electricity cost" }
formula = "electricity_kwh * price_per_kwh"
unit = "€/a"
decimals = 0

[[results]]
name = "co2"
label = { de = "CO2 (Strommix)", en = "CO2 (grid mix)" }
formula = "electricity_kwh * grid_electricity"
unit = "t CO2/a"
decimals = 2

[[notes]]
text.de = "Mit Ökostrom-Vertrag gilt der CO2-Wert Ihres Versorgers."
text.en = "With a green electricity contract your supplier's CO2 figure applies."
"""

TOPICS = """# The topics stations belong to. Format: docs/content-format.md
[basics]
title.de = "Grundlagen"
title.en = "Basics"
"""


def station_md(today: datetime.date) -> str:
    return f"""+++
anchor = "lab-1"
topic = "basics"
order = 1
reviewed = {today.isoformat()}

title.de = "Erste Schritte"
title.en = "First steps"
intro.de = "Wo ein Betrieb mit dem Klimaschutz anfangen kann: beim Strom."
intro.en = "Where a business can start with climate protection: with electricity."

[[sources]]
publisher = "Umweltbundesamt"
title = "Entwicklung der spezifischen Treibhausgas-Emissionen des deutschen Strommix"
year = 2025
url = "https://www.umweltbundesamt.de/publikationen"

[quiz]
pass_mark = 1

[[quiz.questions]]
kind = "single"
prompt.de = "Wo steht der Stromverbrauch eines Jahres?"
prompt.en = "Where is a year's electricity use written?"
options = [
  {{ de = "Auf der Jahresrechnung", en = "On the yearly bill", correct = true }},
  {{ de = "Im Handelsregister", en = "In the commercial register" }},
]
explanation.de = "Die Jahresrechnung nennt die verbrauchten Kilowattstunden."
explanation.en = "The yearly bill states the kilowatt-hours used."

[experiment]
calculator = "electricity-cost"
+++

+++ de
## Worum es geht

Strom ist oft der einfachste Anfang: Die Zahlen stehen auf der Rechnung. Rechnen Sie aus, was
er kostet und wie viel CO2 der Strommix dafür ausstößt.

+++ en
## What it is about

Electricity is often the easiest start: the figures are on the bill. Work out what it costs
and how much CO2 the grid mix emits for it.
"""


TALK_TOPICS = """# The topics the hub's talks are filed under. Format: docs/talks-format.md
[topics]
grundlagen = { de = "Grundlagen", en = "Basics" }
"""


def talk_script(name: str, today: datetime.date) -> str:
    return f"""# A first talk, produced from this script by `hubtwin talks build-samples`.
# Format: docs/talks-format.md

[talk]
title = {{ de = "Willkommen", en = "Welcome" }}
speaker = {_q(name)}
date = {today.isoformat()}
topics = ["grundlagen"]
language = "de"
summary.de = "Was dieser Hub bietet und wie man sich darin bewegt."
summary.en = "What this hub offers and how to get around in it."

[[slides]]
layout = "title"
title = "Willkommen"
subtitle = {_q(name)}
narration = \"\"\"
Willkommen. Hier treffen sich Betriebe, um gemeinsam die grüne Transformation zu gestalten.
\"\"\"

[[slides]]
title = "So geht es"
points = [
  "Im Lernraum steht eine Station mit Quiz und Rechner",
  "Am Brett im Empfang stehen die nächsten Workshops",
]
narration = \"\"\"
Im Lernraum steht eine Station mit einem Quiz und einem Rechner. Am Brett im Empfang stehen die
nächsten Workshops.
\"\"\"
"""


def offers_toml(today: datetime.date) -> str:
    """One example offer a month from today, with its topics and audiences."""
    day = (today + datetime.timedelta(days=30)).isoformat()
    return f"""# The hub's offers: courses, coaching, funding programmes, events.
# Format: docs/make-your-hub.md ("Offers"). Times are local (the site's time zone).

[topics]
klimabilanz = {{ de = "Klimabilanz", en = "Carbon accounting" }}

[audiences]
kmu = {{ de = "Kleine und mittlere Unternehmen", en = "Small and medium-sized firms" }}
beschaeftigte = {{ de = "Beschäftigte", en = "Employees" }}

[[offer]]
id = "klimabilanz-einstieg"
kind = "course"            # course, coaching, funding or event
title = {{ de = "Klimabilanz: der Einstieg", en = "Carbon accounting: a start" }}
summary = {{ de = "Grundlagen an einem Vormittag", en = "The basics in one morning" }}
topics = ["klimabilanz"]
audience = ["kmu", "beschaeftigte"]
place = "both"             # online, in_person or both
location = {{ de = "Lernraum und online", en = "Learning room and online" }}
starts = {day}T09:00:00
ends = {day}T12:30:00
cost = {{ de = "kostenfrei", en = "free of charge" }}
signup = true              # visitors sign up in the twin (name, contact, consent)
seats = 12                 # leave out for no limit; link = "https://…" for an offer elsewhere
"""


def programme_toml(today: datetime.date) -> str:
    """An exchange series of six monthly sessions, the first on a Tuesday at least two
    weeks from today."""
    soon = today + datetime.timedelta(days=14)
    first = (soon + datetime.timedelta(days=(1 - soon.weekday()) % 7)).isoformat()
    return f"""# The programme the hub starts with: [[workshop]] and [[series]] tables.
# Format: docs/make-your-hub.md ("Programme"). Times are local (Europe/Berlin).
# The hub imports each entry once, when it starts and the facilitators' accounts exist
# (hubtwin accounts add leitung --role facilitator --name "…"); afterwards it is edited
# in the hub.

[[series]]
key = "austauschreihe"          # names the entry for good: a new key imports a new one
title = "Austauschreihe: Wie weit sind wir?"
description = "Betriebe berichten von ihren grünen Maßnahmen und lernen voneinander."
room = "lab"
first = "{first}T17:00"
minutes = 90
repeat = "monthly"              # weekly, biweekly or monthly (the same weekday)
count = 6
facilitators = ["leitung"]      # usernames of facilitator or staff accounts
agenda = [
  {{ title = "Ankommen und Vorstellungsrunde", minutes = 15 }},
  {{ title = "Berichte aus den Betrieben", minutes = 45 }},
  {{ title = "Erste Schritte zur Klimabilanz", minutes = 30, station = "first-steps" }},
]
"""


def site_files(
    name: str, site_id: str, colour: str, today: datetime.date, accent: str = DEFAULT_ACCENT
) -> dict[str, str]:
    """The files of a new site folder, by path inside it."""
    return {
        "site.toml": site_toml(site_id, name, colour, accent),
        "logo.svg": logo_svg(name, colour),
        "building.toml": building_toml(name),
        "offers.toml": offers_toml(today),
        "programme.toml": programme_toml(today),
        "calculators/electricity-cost.toml": CALCULATOR,
        "stations/topics.toml": TOPICS,
        "stations/first-steps.md": station_md(today),
        "talks/topics.toml": TALK_TOPICS,
        "talks/willkommen/script.toml": talk_script(name, today),
    }


def new_site(args: argparse.Namespace) -> int:
    name = " ".join(str(args.name).split())
    if not name or len(name) > NAME_MAX:
        raise UsageError(f"--name must be a name of 1 to {NAME_MAX} characters")
    site_id = args.id or site_id_from(name)
    if not SITE_ID.match(site_id):
        raise UsageError(
            f"site id {site_id!r} must be 2 to 48 lower-case letters, digits and dashes: "
            "give one with --id"
        )
    if not COLOUR.fullmatch(args.colour):
        raise UsageError(f'--colour {args.colour!r} must be written "#rrggbb", e.g. "#2f7d4f"')
    if not COLOUR.fullmatch(args.accent):
        raise UsageError(f'--accent {args.accent!r} must be written "#rrggbb", e.g. "#e39b2d"')
    folder: Path = args.path
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} already exists and is not empty: choose a new folder")
    files = site_files(
        name, site_id, args.colour.lower(), datetime.date.today(), args.accent.lower()
    )
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    load_site(folder)  # what was written reads back
    print(f"created the site {site_id!r} in {folder}:")
    for relative in files:
        print(f"  {relative}")
    print("next (docs/make-your-hub.md):")
    print(f"  hubtwin world build --site {folder}")
    print(f"  hubtwin content check --site {folder}")
    print(f"  hubtwin serve --site {folder}")
    return 0
