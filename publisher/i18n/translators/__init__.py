"""Built-in translators: ``glossary``, ``catalog``, ``openai`` and ``argos`` (one module each)."""
