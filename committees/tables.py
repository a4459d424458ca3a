"""Tables of the committees package (committees and votes arrive with the committees issue)."""
