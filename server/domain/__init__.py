"""The features' records and the rules over them, without network, store or cluster code (some read
the site's files): workshops and their records, registrations, station progress, action plans,
boards, polls, consulting, offers, profiles, playback, breakout groups, and the talk files with
their subtitles. The store keeps them; the features decide with them; the tools read talk files
with them (server.api). Imports only server.base.
"""
