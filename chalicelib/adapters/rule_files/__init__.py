"""Operator files under rules/ read into domain values, every problem with its file and line."""
