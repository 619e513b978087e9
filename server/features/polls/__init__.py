"""Workshop polls: the realtime part and the poll service."""
