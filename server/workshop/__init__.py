"""The workshop context every workshop tool runs in: facilitation, moderation, formation and
grouping, attendance, invitations, the programme, the workshop service and its HTTP routes.
"""
