"""A frozen copy of the ``metrics`` transform as it was before its speed work (commit 88ff215).

``bench/metrics_throughput.py`` times it in the same process as the current
``publisher.transforms.metrics`` and reports the ratio.  Never edit these files:
they are the reference the speed-up is measured against (only the imports of
``publisher.model`` were made absolute).
"""
