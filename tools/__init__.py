"""Staff asset tools: import, check, place, publish and roll back the world."""
