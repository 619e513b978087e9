"""People to meet: profiles' HTTP routes, contact cards and contact exchange (in one process and
through Redis), presence across processes.
"""
