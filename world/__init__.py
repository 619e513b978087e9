"""The digital twin of a hub: its glTF model, the site folder it is built from, spatial queries."""
