"""Sinks: where outputs are published (``publisher.sinks`` entry points).

Each sink is a :class:`publisher.sinks.base.Sink` (its contract is there).
"""
