"""The append-only audit trail: who viewed, changed or downloaded what, and when."""
