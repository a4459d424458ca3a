"""régie: the shell (settings, database, households, web app, CLI, scheduler, broker)."""
