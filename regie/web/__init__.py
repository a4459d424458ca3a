"""The web layer: controllers by audience, rendering pages and their HTMX blocks."""
