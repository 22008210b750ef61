"""XPS: the core-level library, energy referencing and quantification."""
