"""Training: completions to code, sandboxed unit tests, rewards, fine-tuning, evaluation."""
