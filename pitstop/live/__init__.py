"""The live meeting screen: what changed in a meeting, told to every process and stream."""
