"""PyInstaller hook for mpmath (SymPy's arbitrary-precision numbers; none exists upstream).

As for SymPy (hook-sympy.py): mpmath imports numpy only to convert numpy scalars and matplotlib (pylab)
only to plot, inside functions the answer checker never calls, so neither is collected on its account.
"""

excludedimports = ["numpy", "matplotlib", "pylab"]
