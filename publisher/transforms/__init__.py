"""Transforms: pure functions that enrich the model (``publisher.transforms`` entry points)."""
