"""The domain library every function uses."""
