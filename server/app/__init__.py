"""The composition root: the hub application that wires features into the core, the network and web
layers, the command line and its commands, startup and smoke checks, and the followers that keep
features in step with a new world version.
"""
