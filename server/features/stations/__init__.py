"""Learning stations: the catalogue, content, quizzes, calculators and formulas, proximity, the
station desk, realtime part and HTTP routes.
"""
