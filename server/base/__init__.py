"""What every layer may use: settings, identities and tokens, the client's address, logs, rate
limits, the records and live documents the hub keeps, TOML text, Redis names and the Redis link,
the common form of CSV exports. Imports nothing else of the server.
"""
