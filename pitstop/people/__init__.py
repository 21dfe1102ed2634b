"""People across notifications: repeat-incident linkage, a person's incidents, confirm, split and merge."""
