"""The wire protocol: message specifications, the one protocol table (encode, decode, the message
types), every feature's message module and the generated protocol document. Imports server.base
and server.domain.
"""
