"""Régulation des usages: overconsumption rules, daily detection and the cases they open."""
