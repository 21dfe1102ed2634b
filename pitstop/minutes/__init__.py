"""Minutes: the meeting's record as a Word document, per-agency copies, approval and circulation."""
