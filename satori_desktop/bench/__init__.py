"""The benchmarks behind `satori-desktop bench ...`: each measures ratios side by side in one run."""
