"""The managers' dashboard: timeliness, volumes, outcomes and actions, as figures with no personal data."""
