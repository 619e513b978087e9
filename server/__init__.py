"""Öko.HUB Twin server: realtime rooms, HTTP API, persistence."""
