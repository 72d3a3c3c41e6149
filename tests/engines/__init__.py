"""Tests of the engine boundary."""
