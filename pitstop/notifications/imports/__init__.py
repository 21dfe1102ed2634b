"""Importing the police's daily CSV extract: reading it, the mapping, the bulk write, the import record."""
