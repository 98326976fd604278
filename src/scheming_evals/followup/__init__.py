"""Follow-up interviews after a detected covert action, and their grading."""
