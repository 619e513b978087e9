"""Several hub processes as one: Redis bus, leases, occupancy, the process registry, grace state,
the cross-process realtime side. May import server.net.
"""
