"""Temporal workflows: deterministic orchestration of a grant's stages; all I/O happens in activities."""
