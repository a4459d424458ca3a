"""Metering: meters, readings over MQTT, units, validation and daily usage."""
