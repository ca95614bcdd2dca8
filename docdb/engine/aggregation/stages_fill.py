"""$densify and $fill."""
