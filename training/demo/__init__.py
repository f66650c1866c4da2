"""The seeded demo world: catalog, warehouses, stock, demand history and labeled orders."""

from training.demo.orders import DEFAULT_RATES, DefectRates
from training.demo.world import generate_world

__all__ = ["DEFAULT_RATES", "DefectRates", "generate_world"]
