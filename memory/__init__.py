"""Working memory, episodic memory and semantic facts."""
