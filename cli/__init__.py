"""The `fragrance` command line (a composition root)."""
