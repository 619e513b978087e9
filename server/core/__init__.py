"""The sans-I/O realtime core: rooms, sessions, chat, sync, effects, the hooks features plug into,
room rules, the world view, an instance's workshop context. No network, web, store or cluster
code.
"""
