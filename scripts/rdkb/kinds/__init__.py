"""Record kinds, one module each (see rdkb.kinds.base for what a kind declares; rdkb.registry lists them)."""
