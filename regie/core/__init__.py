"""The core every package may import: database access and households."""
