"""Persistence behind one protocol (StoreBackend): SQLite, Redis, what both share, the choice
between them and the chat writer. Imports server.base and server.domain only.
"""
