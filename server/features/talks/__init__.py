"""Talks: the screens that play talks (realtime part) and the HTTP routes; the talk files
themselves are read by server.domain.talks.
"""
