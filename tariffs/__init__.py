"""Tariffs: the pure tariff engine, tariff versions, bills and billing runs."""
