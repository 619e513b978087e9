"""Consulting desks: the realtime part, advisors, the cluster side, following the world, and the
HTTP routes.
"""
