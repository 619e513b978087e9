"""The network edge of the realtime core: the websocket transport, the edge checks, the shared
port, HTTP connection limits, metrics. Asks the cluster only through the ClusterSide protocol;
knows the store only as StoreBackend.
"""
