"""``hubtwin content check``: read a site's files and report every problem.

It reads ``site.toml``, the station anchors, the calculators and the station files. Each
problem is one line, ``file:line: what is wrong``, the same lines the server refuses to start
with. The anchors are those of the draft (``building.toml`` with staff's ``layout.toml``) and
of the published world version (``--data-dir``), so the check needs no built world; every
placed station without content gets a warning naming it and its room. Exit code 0 when
everything is fine (warnings included), 3 when there are problems.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from server.app.cli_site import add_site_options
from server.base.settings import load_settings
from server.features.stations.catalogue import STATIONS_FOLDER, StationCatalogue, read_catalogue
from server.features.stations.content import PlacedStation, placed_stations
from server.features.stations.content_reader import ContentProblem
from world.errors import InputFileError
from world.site import load_site


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "content", help="check a site's learning-station content"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="report every content error with file and line")
    add_site_options(check)
    check.add_argument(
        "--data-dir",
        type=Path,
        help="data folder whose published world counts too (default: var/SITE)",
    )
    check.set_defaults(handler=check_content)


def check_site(
    site_path: Path | None, data_dir: Path | None = None
) -> tuple[StationCatalogue, list[ContentProblem], list[PlacedStation]]:
    """The catalogue, every problem of the site's station content, and the placed stations."""
    settings = load_settings({"site": site_path, "data_dir": data_dir})
    site = load_site(settings.site)
    placed = placed_stations(site, settings.world_dir)
    catalogue, problems = read_catalogue(site, [station.place for station in placed])
    return catalogue, problems, placed


def check_content(args: argparse.Namespace) -> int:
    catalogue, problems, placed = check_site(args.site, args.data_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        count = len(problems)
        raise InputFileError(f"{count} content problem{'s' if count != 1 else ''} found")
    used = {station.anchor for station in catalogue.stations}
    for station in placed:
        if station.anchor not in used:
            print(
                f"warning: station {station.anchor!r} in {station.where()} has no content: "
                f"write {STATIONS_FOLDER}/{station.anchor}.md or use "
                "„Inhalt bearbeiten / Edit content“ in the browser's edit mode",
                file=sys.stderr,
            )
    used = {s.experiment.calculator for s in catalogue.stations if s.experiment}
    for calculator in sorted(set(catalogue.calculators) - used):
        print(f"note: calculator {calculator!r} is used by no station yet", file=sys.stderr)
    with_quiz = sum(1 for s in catalogue.stations if s.quiz)
    with_experiment = sum(1 for s in catalogue.stations if s.experiment)
    calculators = len(catalogue.calculators)
    print(
        f"{len(catalogue.stations)} stations OK ({with_quiz} with a quiz, "
        f"{with_experiment} with an experiment) in {len(catalogue.topics)} topics; "
        f"{calculators} calculator{'s' if calculators != 1 else ''}"
    )
    return 0
