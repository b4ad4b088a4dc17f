"""exprun results in Python: `load` (a tidy pandas frame of every curve), `to_xarray` (a Dataset
run x view x step, NaN-padded), `index` (the /index table)."""
from .reader import index, load, to_xarray

__all__ = ["index", "load", "to_xarray"]
__version__ = "0.1.0"
