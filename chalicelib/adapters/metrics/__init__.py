"""Figures written out for monitoring systems: Prometheus' text exposition format."""
