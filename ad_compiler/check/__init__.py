"""Checking derivatives against independent baselines: numerical differentiation
(`numeric`), with the symbolic baseline and the side-by-side report to come."""
