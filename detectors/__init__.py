"""Scanners of our own: checks that run offline, without an external tool."""
