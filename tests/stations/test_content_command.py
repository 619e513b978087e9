"""``hubtwin content check``: one line per problem with file and line, exit code 3."""

from __future__ import annotations

import pytest
from station_files import GOOD_STATION, SiteFolder, line_of

from server.app.cli import main


def test_check_passes_on_the_dortmund_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("15 stations OK")


def test_check_reports_each_problem_with_file_and_line(
    site_folder: SiteFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    site_folder.write("ghg.md", GOOD_STATION)
    assert main(["content", "check", "--site", str(site_folder.root)]) == 0
    captured = capsys.readouterr()
    assert "1 stations OK (1 with a quiz, 1 with an experiment) in 2 topics" in captured.out
    assert "warning: station 'foyer-1' in room 'foyer' (Empfang) has no content" in captured.err

    broken = GOOD_STATION.replace('anchor = "lab-1"', 'anchor = "lab-99"').replace(
        'title.en = "Carbon accounting"\n', ""
    )
    path = site_folder.write("ghg.md", broken)
    assert main(["content", "check", "--site", str(site_folder.root)]) == 3
    lines = capsys.readouterr().err.splitlines()
    expected = f"ghg.md:{line_of(broken, 'lab-99')}: unknown anchor 'lab-99': not a station "
    assert expected in lines[0]
    assert "station anchors: foyer-1, foyer-2, lab-1" in lines[0]
    assert str(path.name) in lines[1] and "missing translation: title.en" in lines[1]
    assert lines[-1] == "hubtwin: 2 content problems found"


def test_check_of_a_missing_site_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check", "--site", "/nonexistent/site"]) == 3
    assert "site folder not found" in capsys.readouterr().err
