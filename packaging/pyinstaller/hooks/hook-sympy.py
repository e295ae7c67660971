"""PyInstaller hook for SymPy, which math_verify's answer checker uses (none exists upstream).

SymPy imports optional libraries inside functions for features the checker never reaches: numpy (lambdify,
array conversions), matplotlib and pyglet (plotting), IPython (interactive sessions), SciPy, lxml (MathML),
the SAT solvers. Import analysis follows those imports, so without this hook numpy's modules would be
collected on SymPy's account (they are in the bundle anyway for llama-cpp-python, which is the only reason
they may be there). SymPy's own test modules are never imported and so never collected.
"""

excludedimports = [
    "numpy",
    "scipy",
    "matplotlib",
    "pyglet",
    "IPython",
    "lxml",
    "pycosat",
    "pysat",
    "tensorflow",
    "torch",
    "jax",
]
