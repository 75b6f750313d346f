"""Checking derivatives against independent baselines: numerical differentiation
(`numeric`), SymPy's symbolic derivative (`symbolic`, with the optional extra), and the
side-by-side report (`report`). The package root exports the function `check` under this
package's name (`ad_compiler.check(f, *args)`), so import its modules with
`from ad_compiler.check import numeric`."""
