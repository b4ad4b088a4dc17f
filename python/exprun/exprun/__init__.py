"""exprun results in Python: `load` (a tidy pandas frame of every curve), `to_xarray` (a Dataset
run x view x step, NaN-padded), `index` (the /index table), `histograms` (2-D series such as the
Hessian's spectral density per log point). `exprun.oracle` serves a Python model to exprun (the
`external` model kind).

The readers are imported on first use, so `import exprun.oracle` (in a model's process) needs
numpy alone, not pandas or h5py."""

__all__ = ["histograms", "index", "load", "to_xarray"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        from . import reader
        return getattr(reader, name)
    raise AttributeError(f"module 'exprun' has no attribute {name!r}")
