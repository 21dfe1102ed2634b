"""The daily agenda: placing screened notifications, ordering with reasons, carry-over and adjustments."""
