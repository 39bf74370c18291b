"""Reading runs back: curves and PARL's reference (results.py) and a grid's tables (aggregate.py)."""
