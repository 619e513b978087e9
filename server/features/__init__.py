"""The features, one package each: its realtime part (hooks into the core), its HTTP routes and
services. Features do not import each other.
"""
