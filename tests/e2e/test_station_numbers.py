"""The browser reads and writes numbers exactly as the server does: number-text.js against the
shared case table (tests/stations/number_cases.json) and experiment-inputs.js against the
server's messages for the same typed text, in real Chromium.

No hub server is needed: the page is served from the web-client folder by request
interception (as in test_client_modules.py).
"""

from __future__ import annotations

import json
import mimetypes
import random
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from server.features.stations.calculator_file import read_calculators
from server.features.stations.calculators import InputRejected
from server.features.stations.number_text import format_number, read_number
from world.site import DEFAULT_SITE, PROJECT_ROOT

pytestmark = pytest.mark.e2e

CALCULATORS, _ = read_calculators(DEFAULT_SITE, ("de", "en"))

ORIGIN = "http://numbers.test"
WEB_CLIENT = PROJECT_ROOT / "web-client"
CASES = json.loads(
    (PROJECT_ROOT / "tests" / "stations" / "number_cases.json").read_text(encoding="utf-8")
)


def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/blank":
        route.fulfill(body="<!doctype html><title>numbers</title>", content_type="text/html")
        return
    file = WEB_CLIENT / path.removeprefix("/app/")
    if not path.startswith("/app/") or not file.is_file():
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
    tab.goto(f"{ORIGIN}/blank")
    try:
        yield tab
        assert errors == []
    finally:
        context.close()


def test_the_browser_reads_every_case_of_the_shared_table_as_the_server(page: Page) -> None:
    answers = page.evaluate(
        f"""async (cases) => {{
            const m = await import('{ORIGIN}/app/js/number-text.js');
            return cases.map((c) => m.readNumber(c.text, c.lang));
        }}""",
        CASES["reading"],
    )
    assert len(answers) == len(CASES["reading"]) > 50
    for case, answer in zip(CASES["reading"], answers, strict=True):
        if "value" in case:
            expected = {"value": case["value"], "problem": None, "choices": []}
        else:
            expected = {"value": None, "problem": case["problem"], "choices": case["choices"]}
        assert answer == expected, case


def test_the_browser_writes_every_case_of_the_shared_table_as_the_server(page: Page) -> None:
    texts = page.evaluate(
        f"""async (cases) => {{
            const m = await import('{ORIGIN}/app/js/number-text.js');
            return cases.map((c) => m.formatNumber(c.value, c.lang, c.decimals));
        }}""",
        CASES["writing"],
    )
    assert texts == [case["text"] for case in CASES["writing"]]


def _random_numbers(count: int) -> list[float]:
    """Numbers of every size people type, with 0 to 17 significant digits."""
    rng = random.Random(20261204)
    numbers = []
    for _ in range(count):
        magnitude = 10.0 ** rng.randint(-6, 15)
        value = rng.uniform(-1, 1) * magnitude
        numbers.append(round(value, rng.randint(0, 8)) if rng.random() < 0.5 else value)
    return numbers


def test_random_numbers_are_written_alike_and_read_back_in_the_browser(page: Page) -> None:
    numbers = _random_numbers(2000)
    cases = [
        {"value": v, "lang": lang, "decimals": decimals}
        for v in numbers
        for lang in ("de", "en")
        for decimals in (None, 2)
    ]
    answers = page.evaluate(
        f"""async (cases) => {{
            const m = await import('{ORIGIN}/app/js/number-text.js');
            return cases.map((c) => {{
                const text = m.formatNumber(c.value, c.lang, c.decimals);
                return [text, m.readNumber(text, c.lang).value];
            }});
        }}""",
        cases,
    )
    for case, (text, value) in zip(cases, answers, strict=True):
        assert text == format_number(case["value"], case["lang"], case["decimals"]), case
        assert value == read_number(text, case["lang"]).value, case
        if case["decimals"] is None:
            assert value == case["value"], case


TYPED: list[tuple[str, str, str, str]] = [
    # (calculator, input, lang, typed)
    ("carbon-footprint", "electricity_kwh", "de", "50.000"),
    ("carbon-footprint", "electricity_kwh", "de", "2.000,5"),
    ("carbon-footprint", "electricity_kwh", "de", ""),
    ("carbon-footprint", "electricity_kwh", "de", "50,000"),
    ("carbon-footprint", "electricity_kwh", "de", "1.5"),
    ("carbon-footprint", "electricity_kwh", "de", "sehr viel"),
    ("carbon-footprint", "electricity_kwh", "de", "-5"),
    ("carbon-footprint", "electricity_kwh", "en", "50,000.5"),
    ("carbon-footprint", "electricity_kwh", "en", "50.000"),
    ("carbon-footprint", "electricity_kwh", "en", "2.000,5"),
    ("carbon-footprint", "electricity_kwh", "en", "1e5"),
    ("carbon-footprint", "supplier_g_per_kwh", "en", " "),
    ("lighting-retrofit", "luminaires", "de", "2,5"),
    ("lighting-retrofit", "luminaires", "de", "200.000"),
    ("lighting-retrofit", "luminaires", "en", "200,000"),
    ("motor-retrofit", "rated_kw", "de", "0,1"),
    ("motor-retrofit", "rated_kw", "en", "1.125"),
]


def _server_says(calculator: str, name: str, lang: str, typed: str) -> dict[str, str] | None:
    try:
        CALCULATORS[calculator].validate({name: typed}, lang)
    except InputRejected as refused:
        return {"code": refused.codes[name], "message": refused.for_language(lang)[name]}
    return None


def test_the_browser_refuses_typed_inputs_with_the_servers_code_and_message(page: Page) -> None:
    checks: list[dict[str, Any]] = []
    for calculator, name, lang, typed in TYPED:
        form = CALCULATORS[calculator].describe(lang)
        spec = next(i for i in form["inputs"] if i["name"] == name)
        checks.append({"input": spec, "lang": lang, "typed": typed})
    answers = page.evaluate(
        f"""async (checks) => {{
            const i18n = await import('{ORIGIN}/app/js/ui/i18n.js');
            const m = await import('{ORIGIN}/app/js/ui/experiment-inputs.js');
            return checks.map((c) => {{
                i18n.setLanguage(c.lang);
                return m.inputProblem(c.input, c.typed, c.lang);
            }});
        }}""",
        checks,
    )
    expected = [_server_says(*typed) for typed in TYPED]
    assert sum(1 for e in expected if e is None) == 5  # the cases that must pass
    for typed, answer, server in zip(TYPED, answers, expected, strict=True):
        assert answer == server, typed
