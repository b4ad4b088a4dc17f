"""exprun results in Python: `load` (a tidy pandas frame of every curve), `to_xarray` (a Dataset
run x view x step, NaN-padded), `index` (the /index table), `histograms` (2-D series such as the
Hessian's spectral density per log point)."""
from .reader import histograms, index, load, to_xarray

__all__ = ["histograms", "index", "load", "to_xarray"]
__version__ = "0.1.0"
