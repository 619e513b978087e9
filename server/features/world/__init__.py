"""The served world: swapping in a new world version while the hub runs, world updates to clients,
and the world editor's HTTP routes and undo.
"""
