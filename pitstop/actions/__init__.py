"""Actions agreed at meetings, chased to completion across meetings."""
