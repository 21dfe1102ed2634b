"""Partnerships, agencies, users, roles, sign-in and sessions."""
