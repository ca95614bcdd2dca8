"""$setWindowFields."""
