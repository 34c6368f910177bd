"""Built-in audiences: one folder each, with ``profile.toml`` and templates."""
