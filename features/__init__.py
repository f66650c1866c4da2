"""OrderSight features layer."""
