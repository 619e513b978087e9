"""The aiohttp application basics: the HTTP app and its helpers, sessions and token revocation, the
site page, downloads, site icons. Features add their routes; the web package imports no feature.
"""
