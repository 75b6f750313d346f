"""A stand-in for autograd under which autograd's own test suite runs against ad_compiler:
`autograd.numpy` (and `.random`, `.linalg`, `.fft`) and `autograd.scipy` are NumPy and
SciPy themselves, the transforms are ad_compiler's, and `autograd.test_util.check_grads`
checks ad_compiler's derivatives (see `test_util`)."""

import builtins
import sys

import numpy
import numpy.fft
import numpy.linalg
import numpy.random
import scipy
import scipy.integrate
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

import ad_compiler

for _name, _module in {"numpy": numpy, "numpy.random": numpy.random, "numpy.linalg": numpy.linalg,
                       "numpy.fft": numpy.fft, "scipy": scipy, "scipy.special": scipy.special,
                       "scipy.stats": scipy.stats, "scipy.linalg": scipy.linalg, "scipy.signal": scipy.signal,
                       "scipy.integrate": scipy.integrate}.items():
    sys.modules[f"autograd.{_name}"] = _module
for _name in ("norm", "t", "multivariate_normal", "gamma", "beta", "poisson", "dirichlet", "chi2"):
    sys.modules[f"autograd.scipy.stats.{_name}"] = getattr(scipy.stats, _name)

grad = ad_compiler.grad
jacobian = ad_compiler.jacrev
hessian = ad_compiler.hessian
value_and_grad = ad_compiler.value_and_grad
tuple, list, dict, isinstance = builtins.tuple, builtins.list, builtins.dict, builtins.isinstance
