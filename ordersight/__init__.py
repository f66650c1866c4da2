"""OrderSight domain core: order schema, channel adapters, reference data, gazetteer, rules."""

__version__ = "0.1.0"
