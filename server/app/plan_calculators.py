"""The learning stations' calculators as the plans' measures use them: the station desk's
station, its experiment's calculator, the inputs checked and the figures computed, a refusal
told in the plans' terms. Wiring between two features, so it lives in the composition root."""

from __future__ import annotations

from server.features.board.plans_http import CalculationRefused, CalculatorRun
from server.features.stations.calculators import InputRejected
from server.features.stations.desk import StationDesk, StationRefused


class StationCalculators:
    """``StationCalculators`` of the plans (``server/features/board/plans_http.py``) over the
    station desk."""

    def __init__(self, desk: StationDesk) -> None:
        self.desk = desk

    def run(self, station_id: str, inputs: object, lang: str) -> CalculatorRun:
        try:
            return self._run(station_id, inputs, lang)
        except StationRefused as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
            message = f"{exc.message}: {detail}" if detail else exc.message
            raise CalculationRefused(exc.status, exc.code, message) from None

    def _run(self, station_id: str, inputs: object, lang: str) -> CalculatorRun:
        station = self.desk.station(station_id)
        if station.experiment is None:
            raise StationRefused(
                404, "experiment_missing", f"station {station_id!r} has no experiment"
            )
        calculator = self.desk.catalogue.calculators.get(station.experiment.calculator)
        if calculator is None:
            raise StationRefused(
                404, "calculator_unknown", f"the calculator of station {station_id!r} is gone"
            )
        try:
            values = calculator.validate(inputs, lang)
            result = calculator.compute(values)
        except InputRejected as exc:
            raise StationRefused(
                422, "inputs_invalid", "the inputs cannot be used", exc.for_language(lang)
            ) from None
        return CalculatorRun(
            calculator=calculator.id,
            inputs=values,
            figures=[figure.as_dict(lang) for figure in result.figures],
            factors=[factor.as_dict(lang) for factor in calculator.factors],
        )
