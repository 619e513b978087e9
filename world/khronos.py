"""Running the Khronos glTF-Validator (npm ``gltf-validator``) on a model file.

The validator is a JavaScript library; ``khronos_validate.mjs`` next to this module calls
its ``validateBytes`` and prints the report as JSON, which ``validate_file`` reads back.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from world.errors import HubError
from world.site import PROJECT_ROOT

SCRIPT = Path(__file__).with_name("khronos_validate.mjs")
SEVERITIES = {0: "error", 1: "warning", 2: "info", 3: "hint"}


class ValidatorUnavailable(HubError):
    """Node.js or the gltf-validator package is missing."""


@dataclass(frozen=True)
class KhronosMessage:
    severity: str
    code: str
    message: str
    pointer: str

    def __str__(self) -> str:
        where = f" at {self.pointer}" if self.pointer else ""
        return f"{self.code}{where}: {self.message}"


@dataclass(frozen=True)
class KhronosReport:
    errors: int
    warnings: int
    infos: int
    hints: int
    messages: list[KhronosMessage] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    validator_version: str = ""

    @property
    def clean(self) -> bool:
        """No errors and no warnings (infos and hints are advice)."""
        return self.errors == 0 and self.warnings == 0


def validate_file(path: Path | str, timeout: float = 60.0) -> KhronosReport:
    """Validate one .glb/.gltf file; raises ``ValidatorUnavailable`` if it cannot run."""
    node = shutil.which("node")
    if node is None:
        raise ValidatorUnavailable("node (Node.js) not found; run scripts/setup.sh")
    if not (PROJECT_ROOT / "node_modules" / "gltf-validator").is_dir():
        raise ValidatorUnavailable("npm package gltf-validator missing; run scripts/setup.sh")
    try:
        result = subprocess.run(
            [node, str(SCRIPT), str(Path(path).absolute())],  # it runs in PROJECT_ROOT
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ValidatorUnavailable(
            f"the glTF validator took longer than {timeout:.0f} s on {path}"
        ) from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValidatorUnavailable(
            f"the glTF validator failed on {path}: {detail[-1] if detail else 'no output'}"
        )
    report = orjson.loads(result.stdout)
    issues = report.get("issues", {})
    messages = [
        KhronosMessage(
            SEVERITIES.get(m.get("severity", 0), "error"),
            str(m.get("code", "")),
            str(m.get("message", "")),
            str(m.get("pointer", "")),
        )
        for m in issues.get("messages", [])
    ]
    return KhronosReport(
        errors=int(issues.get("numErrors", 0)),
        warnings=int(issues.get("numWarnings", 0)),
        infos=int(issues.get("numInfos", 0)),
        hints=int(issues.get("numHints", 0)),
        messages=messages,
        info=report.get("info", {}),
        validator_version=str(report.get("validatorVersion", "")),
    )
