"""OrderSight serving layer."""
