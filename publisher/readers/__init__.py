"""Readers: one module per input format, registered as ``publisher.readers`` entry points.

Each reader is a :class:`publisher.readers.base.Reader` (its contract is there); all of
them decode text through :mod:`publisher.readers.source`.
"""
