"""User data becomes a Task: reading files, column kinds, the target, the input schema."""
