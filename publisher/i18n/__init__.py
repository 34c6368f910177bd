"""Translation: segments, PO catalogs, the finance glossary and pluggable translators.

* :mod:`.segments`: every translatable text of a digest as a segment with a stable id;
* :mod:`.catalog`: PO catalogs (polib): reading, lookups, merging on extraction;
* :mod:`.glossary`: the bundled finance glossary and users' glossaries, exact matches only;
* :mod:`.translate`: settings (``[i18n]`` of a profile), the translator interface and chain;
* :mod:`.translators`: the built-in translators ``glossary``, ``catalog``, ``openai``, ``argos``;
* :mod:`.cache`: the persistent cache of machine translations;
* :mod:`.command`: the ``publisher i18n`` sub-command.
"""
