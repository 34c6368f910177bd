"""Helpers of the test suite (not tests): import as ``from support.<module> import …``."""
