"""The wire protocol of the job API without any I/O: request builders and response parsers.

Nothing here awaits, opens sockets or reads clocks; both the async and the sync client call into it,
so every rule about the wire lives in one place and is unit-tested without a network.
"""
