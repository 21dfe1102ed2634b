"""Agency information: what each agency knows about an agenda item (DOMAIN.md, "Agency contributions")."""
