"""Voice and screen sharing through Janus: hearing sets, the voice and screen features, the bridges
and the Janus client and process.
"""
