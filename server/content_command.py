"""``hubtwin content check``: read a site's files and report every problem.

It reads ``site.toml``, the anchors of ``building.toml``, the calculators and the station
files. Each problem is one line, ``file:line: what is wrong``, the same lines the server
refuses to start with. The anchors come from the site's ``building.toml``, so the check needs
no built world. Exit code 0 when everything is fine, 3 when there are problems.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from server.content_reader import ContentProblem
from server.stations import StationCatalogue, places_from_building, read_catalogue
from world.errors import InputFileError
from world.site import load_site


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "content", help="check a site's learning-station content"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="report every content error with file and line")
    check.add_argument(
        "--site", type=Path, help="site folder (default: the sample hub in assets/sites)"
    )
    check.set_defaults(handler=check_content)


def check_site(site_path: Path | None) -> tuple[StationCatalogue, list[ContentProblem]]:
    """The catalogue and every problem of the site's station content."""
    site = load_site(site_path)
    return read_catalogue(site, places_from_building(site))


def check_content(args: argparse.Namespace) -> int:
    catalogue, problems = check_site(args.site)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        count = len(problems)
        raise InputFileError(f"{count} content problem{'s' if count != 1 else ''} found")
    for anchor in catalogue.unused_anchors:
        print(f"note: station anchor {anchor!r} has no station yet", file=sys.stderr)
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
