"""Sinks: where outputs are published (``publisher.sinks`` entry points)."""
