"""Examples for API users (not installed with the package)."""
