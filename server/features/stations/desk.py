"""What happens at a learning station, without I/O: open it, answer its quiz, run its experiment.

``StationDesk`` is the one object both the REST API and the realtime hub call. Each action
returns what to show the visitor and the ``ProgressRecord`` to persist; the caller sends the one
and hands the other to ``Store.record_progress``. Refusals are ``StationRefused`` with a code,
a sentence and an HTTP-like status, so every caller can answer them the same way.

>>> desk = StationDesk(catalogue)                                        # doctest: +SKIP
>>> view, record = desk.open(identity, "ghg-scopes", "de", time.time())  # doctest: +SKIP
>>> await store.record_progress([record])                                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.base.identity import Identity
from server.domain.station_progress import ProgressEvent, ProgressRecord
from server.features.stations.calculators import Calculator, CalculatorResult, InputRejected
from server.features.stations.catalogue import Station, StationCatalogue
from server.features.stations.number_text import NumberProblem
from server.features.stations.quiz import AnswerRejected, QuizResult


class StationRefused(Exception):
    """A station action that cannot be done.

    For experiment inputs, ``fields`` maps each bad input to a message, ``reasons`` to a code
    (``server.features.stations.calculators.INPUT_PROBLEMS``), and ``language`` says whose number
    writing was read.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        reasons: dict[str, str] | None = None,
        language: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.reasons = reasons
        self.language = language

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        if self.reasons:
            error["reasons"] = self.reasons
        if self.language:
            error["language"] = self.language
        return {"error": error}


UNCLEAR_NUMBERS = {NumberProblem.AMBIGUOUS.value, NumberProblem.OTHER_LANGUAGE.value}
UNCLEAR_MESSAGE = {
    "de": "Bitte prüfen Sie, wie die markierten Zahlen gemeint sind.",
    "en": "Please check what the marked numbers are meant to be.",
}
INVALID_MESSAGE = {
    "de": "Bitte prüfen Sie die markierten Eingaben.",
    "en": "Please check the marked inputs.",
}


class StationDesk:
    """The learning stations of one site, ready to be opened, answered and experimented with."""

    def __init__(
        self, catalogue: StationCatalogue, calculators: Mapping[str, Calculator] | None = None
    ) -> None:
        self.catalogue = catalogue
        self._calculators = calculators if calculators is not None else catalogue.calculators

    # --- reading ---------------------------------------------------------------------------

    def language(self, requested: str | None) -> str:
        """The language to answer in: the requested one, or the site's default."""
        if requested is None or requested == "":
            return self.catalogue.default_language
        if requested not in self.catalogue.languages:
            raise StationRefused(
                400,
                "language_unknown",
                f"language {requested!r} is not offered "
                f"(offered: {', '.join(self.catalogue.languages)})",
            )
        return requested

    def station(self, station_id: str) -> Station:
        station = self.catalogue.get(station_id)
        if station is None:
            raise StationRefused(404, "station_unknown", f"there is no station {station_id!r}")
        return station

    def listing(self, lang: str) -> dict[str, Any]:
        """Every station with its content, for one language."""
        return {
            "language": lang,
            "topics": [
                {"id": topic.id, "title": topic.title[lang]} for topic in self.catalogue.topics
            ],
            "stations": [self.view(station.id, lang) for station in self.catalogue.stations],
        }

    def view(self, station_id: str, lang: str) -> dict[str, Any]:
        """One station as the client shows it: content, the quiz without answers, the form."""
        station = self.station(station_id)
        topic = self.catalogue.topic(station.topic)
        place = station.place
        experiment = None
        if station.experiment is not None:
            calculator = self._calculators[station.experiment.calculator]
            experiment = calculator.describe(lang)
            if station.experiment.intro is not None:
                experiment["intro"] = station.experiment.intro[lang]
        return {
            "id": station.id,
            "anchor": station.anchor,
            "room": place.room_id if place else None,
            "position": list(place.position) if place else None,
            "yaw": place.yaw if place else None,
            "topic": {"id": station.topic, "title": topic.title[lang] if topic else station.topic},
            "title": station.title[lang],
            "intro": station.intro[lang],
            "body_html": station.html[lang],
            "reviewed": station.reviewed.isoformat(),
            "sources": [source.as_dict() for source in station.sources],
            "quiz": station.quiz.public(lang) if station.quiz else None,
            "experiment": experiment,
        }

    # --- actions ---------------------------------------------------------------------------

    def open(
        self, who: Identity, station_id: str, lang: str, now: float
    ) -> tuple[dict[str, Any], ProgressRecord]:
        """A visitor opens a station (by walking up to it or clicking it)."""
        view = self.view(station_id, lang)
        return view, self._record(who, station_id, ProgressEvent.OPENED, now)

    def answer(
        self, who: Identity, station_id: str, answers: object, lang: str, now: float
    ) -> tuple[QuizResult, ProgressRecord]:
        """Mark a visitor's quiz answers; a failed try is recorded too (retries are fine)."""
        station = self.station(station_id)
        if station.quiz is None:
            raise StationRefused(404, "quiz_missing", f"station {station_id!r} has no quiz")
        try:
            result = station.quiz.check(answers, lang)
        except AnswerRejected as exc:
            raise StationRefused(400, "answers_invalid", str(exc)) from None
        event = ProgressEvent.QUIZ_PASSED if result.passed else ProgressEvent.QUIZ_FAILED
        return result, self._record(who, station_id, event, now)

    def run_experiment(
        self, who: Identity, station_id: str, inputs: object, lang: str, now: float
    ) -> tuple[CalculatorResult, ProgressRecord]:
        """Run a station's calculator on a visitor's inputs (which are not kept).

        Typed inputs are read as ``lang`` writes numbers. When every refusal is a number that
        could mean something else (``number_ambiguous``, ``number_other_language``), the code
        is ``numbers_unclear``: the visitor is asked which number they mean.
        """
        station = self.station(station_id)
        if station.experiment is None:
            raise StationRefused(
                404, "experiment_missing", f"station {station_id!r} has no experiment"
            )
        calculator = self._calculators[station.experiment.calculator]
        try:
            result = calculator.run(inputs, lang)
        except InputRejected as exc:
            unclear = set(exc.codes.values()) <= UNCLEAR_NUMBERS
            code = "numbers_unclear" if unclear else "inputs_invalid"
            messages = UNCLEAR_MESSAGE if unclear else INVALID_MESSAGE
            message = messages.get(lang, messages["en"])
            raise StationRefused(
                422, code, message, exc.for_language(lang), dict(exc.codes), lang
            ) from None
        return result, self._record(who, station_id, ProgressEvent.EXPERIMENT_DONE, now)

    @staticmethod
    def _record(who: Identity, station_id: str, event: ProgressEvent, now: float) -> ProgressRecord:
        return ProgressRecord(who.id, who.name, who.guest, station_id, event, now)
