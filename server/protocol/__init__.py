"""The wire protocol: message specifications and the one protocol table (encode, decode, the
message types, error codes). Features register their messages with it; it imports none of
them, only server.base and server.domain.
"""
