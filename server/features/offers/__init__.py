"""The site's offers: the signup book and the HTTP routes."""
