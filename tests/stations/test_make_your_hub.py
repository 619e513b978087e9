"""docs/make-your-hub.md followed step by step, with real processes: the commands of its first
two sections are read from the guide and run as written (in a temporary home): a new site
folder, its build, its content check and a smoke run of the hub serving it; then the talk
studio on its script, and a typo that the check names in one line."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from world.site import PROJECT_ROOT, load_site

GUIDE = PROJECT_ROOT / "docs" / "make-your-hub.md"
HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")


def guide_commands(section_prefixes: tuple[str, ...]) -> list[str]:
    """The ``hubtwin`` lines of the code blocks in the guide's sections with these titles."""
    text = GUIDE.read_text(encoding="utf-8")
    commands = []
    for section in re.split(r"\n## ", text):
        if not section.startswith(section_prefixes):
            continue
        for block in re.findall(r"```\n(.*?)```", section, re.S):
            commands += [line.strip() for line in block.splitlines() if line.startswith("hubtwin")]
    return commands


def run(command: str, home: Path) -> subprocess.CompletedProcess[str]:
    words = [w.replace("~", str(home), 1) if w.startswith("~") else w for w in shlex.split(command)]
    assert words[0] == "hubtwin"
    return subprocess.run(
        [HUBTWIN, *words[1:]],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=home,
    )


def test_the_guide_from_a_new_folder_to_a_serving_hub(tmp_path: Path) -> None:
    commands = guide_commands(("1. ", "2. "))
    assert commands[0].startswith("hubtwin site new ~/hub-bochum --name")
    assert any("--smoke" in c for c in commands)
    outputs = []
    for command in commands:
        if command.startswith("hubtwin serve ") and "--smoke" not in command:
            continue  # runs until stopped; the smoke run above started and used the same hub
        done = run(command, tmp_path)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        if command.startswith("hubtwin world build"):  # the new folder is right as it stands
            said = [line for line in done.stderr.splitlines() if "changed" not in line]
            assert said == [], done.stderr
        outputs.append(done.stdout)
    site = load_site(tmp_path / "hub-bochum")
    assert site.id == "oeko-hub-bochum" and site.branding.name["de"] == "Öko.HUB Bochum"
    assert (tmp_path / "hub-bochum-data" / "world" / "hub.glb").is_file()
    checked = next(out for out in outputs if "stations OK" in out)
    assert checked.strip() == (
        "1 stations OK (1 with a quiz, 1 with an experiment) in 1 topics; 1 calculator"
    )
    programme = next(out for out in outputs if "series OK" in out)
    assert programme.strip().endswith("programme.toml: 0 workshops and 1 series OK")
    smoke = next(out for out in outputs if "smoke:" in out)
    assert "joined room 'foyer'" in smoke and "smoke: FAILED" not in smoke

    talks = run(
        "hubtwin talks --site ~/hub-bochum --data-dir ~/hub-bochum-data build-samples", tmp_path
    )
    assert talks.returncode == 0, talks.stderr
    assert "1 talks in" in talks.stdout

    building = tmp_path / "hub-bochum" / "building.toml"
    text = building.read_text(encoding="utf-8")
    building.write_text(text.replace('rooms = ["foyer", "lab"]', 'rooms = ["foyer", "labb"]'))
    line = text[: text.index('rooms = ["foyer", "lab"]')].count("\n") + 1
    refused = run("hubtwin content check --site ~/hub-bochum", tmp_path)
    assert refused.returncode == 3
    assert refused.stderr.strip() == (
        f"hubtwin: {building}:{line}: doors[1]: rooms: unknown room 'labb' "
        "(did you mean 'lab'? rooms: foyer, lab)"
    )


def test_a_new_site_refuses_an_existing_folder_and_bad_names(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    done = run('hubtwin site new ~/taken --name "Öko.HUB Bochum"', tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"hubtwin: {tmp_path / 'taken'} already exists and is not empty: choose a new folder"
    )
    done = run('hubtwin site new ~/hub --name "!!!"', tmp_path)
    assert done.returncode == 2
    assert "give one with --id" in done.stderr
    done = run('hubtwin site new ~/hub --name "Hub" --colour green', tmp_path)
    assert done.stderr.strip() == (
        'hubtwin: --colour \'green\' must be written "#rrggbb", e.g. "#2f7d4f"'
    )
    assert not (tmp_path / "hub").exists()
