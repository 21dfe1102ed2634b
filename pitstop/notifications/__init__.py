"""Notifications: intake (form, API, later CSV), the people in each incident, screening and clocks."""
