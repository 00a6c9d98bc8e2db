"""End-to-end workflows over all stages: the transfer-learning study and the demo."""
