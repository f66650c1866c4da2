"""OrderSight models layer."""
