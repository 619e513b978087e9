"""The shared board of a workshop and the action plans made from it: realtime parts, the board and
plans services, exports and HTTP routes.
"""
