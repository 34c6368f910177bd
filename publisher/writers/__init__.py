"""Writers: one module per output format, registered as ``publisher.writers`` entry points."""
