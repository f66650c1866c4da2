"""OrderSight training layer."""
