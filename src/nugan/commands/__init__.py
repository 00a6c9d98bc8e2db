"""CLI command modules; each exposes ``register(app)``. Keep them thin: parse, call the library, print."""
