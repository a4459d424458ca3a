"""Scheduled jobs, one module per package they serve; each job calls services, never tables."""
