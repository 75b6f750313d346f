"""Checking derivatives against independent baselines: numerical differentiation
(`numeric`) and SymPy's symbolic derivative (`symbolic`, with the optional extra); the
side-by-side report is still to come."""
