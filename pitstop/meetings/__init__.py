"""Meeting series, the meetings they generate, single-meeting changes, states and attendance."""
