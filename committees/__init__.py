"""Committees: colleges, proposals, votes, decision rules and the decision log."""
