"""What the agent shows of its reasoning, and what it says in it."""
