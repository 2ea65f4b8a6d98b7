"""Builders shared by the tests (repositories, policies, versions); tests.conftest holds the fixtures."""
