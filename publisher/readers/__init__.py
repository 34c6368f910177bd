"""Readers: one module per input format, registered as ``publisher.readers`` entry points."""
