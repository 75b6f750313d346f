"""k-means (GradBench's ``kmeans``): the cost of centroids C for points P is the sum over
points of the squared distance to the nearest centroid,

    f(P, C) = sum_i min_j |P_i - C_j|^2,

and the derivative asked for is one Newton step's direction, J / H: the gradient with
respect to C divided by the Hessian's diagonal (the Hessian is diagonal: 2 n_j on each
coordinate of centroid j, n_j the number of points nearest to it). Any tool computes H's
diagonal as a Hessian-vector product with a vector of ones.

GradBench's sizes: k in {10, 100, 1000}, n in {1000, 10000, 100000}, d in {8, 16}; points
uniform on [0, 1)^d and the centroids the last k points (so no cluster is empty).
"""

from __future__ import annotations

import numpy as np

ARGNUMS = 1
DERIVATIVE = "newton"
SIZES = {"small": dict(k=10, n=1000, d=8), "medium": dict(k=100, n=1000, d=16)}


def objective(points, centroids):
    diff = points[:, None, :] - centroids[None, :, :]
    return np.sum(np.min(np.sum(diff * diff, axis=2), axis=1))


def hand(points, centroids):
    """J / H = (2 n_j C_j - 2 sum_{i in j} P_i) / (2 n_j): each centroid minus the mean of
    its points."""
    k = centroids.shape[0]
    diff = points[:, None, :] - centroids[None, :, :]
    nearest = np.argmin(np.sum(diff * diff, axis=2), axis=1)
    counts = np.bincount(nearest, minlength=k)
    sums = np.zeros_like(centroids)
    np.add.at(sums, nearest, points)
    return centroids - sums / counts[:, None]


def make_data(size="small", seed=0):
    k, n, d = SIZES[size].values()
    points = np.random.default_rng(seed).random((n, d))
    return points, points[-k:].copy()
