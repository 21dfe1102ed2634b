"""Database access: the embedded server, the pool, migrations and row mapping."""
