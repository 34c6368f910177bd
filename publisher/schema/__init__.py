"""The JSON Schema of the serialised model, shipped with the package."""
