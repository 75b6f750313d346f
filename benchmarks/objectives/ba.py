"""Bundle adjustment (ADBench's BA): the residuals of n cameras and m points seen in p
observations, and their sparse Jacobian.

A camera has 11 parameters: a rotation as an angle-axis vector (0:3, applied by
Rodrigues' formula), the centre (3:6), the focal length (6), the principal point (7:9)
and two radial distortion coefficients (9:11). Observation i of point X by camera cam,
with weight w and feature feat, has the reprojection residual

    w (project(cam, X) - feat),   project = f distort(Xcam[:2] / Xcam[2]) + x0,
    Xcam = R(cam[0:3]) (X - cam[3:6]),  distort(u) = u (1 + k0 |u|^2 + k1 |u|^4),

and each weight a residual 1 - w^2. Each pair of reprojection rows depends on 15
columns (the camera's 11, the point's 3 and the weight), so the Jacobian is computed as
one 2 x 15 block per observation (plus -2 w for each weight row). ``reproj`` is one
observation, as a per-observation Jacobian or a vmap would use it; ``reproj_all`` is
all of them at once, on the cameras and points already gathered per observation; since
observation i's residual depends only on row i of its arguments, two vector-Jacobian
products of ``reproj_all`` (cotangents picking the u rows, then the v rows) give every
block at once, the way a vectorized tool computes this Jacobian.

ADBench's instances: ba1 n=49 m=7776 p=31843 (small here), ba3 n=161 m=48126 p=182072
(medium) and up to p = 9.1M; its files hold
one camera, point and feature replicated, where here every one is drawn.
"""

from __future__ import annotations

import numpy as np

ARGNUMS = (0, 1, 2)        # of reproj_all: the gathered cameras, points and weights
DERIVATIVE = "ba"
SIZES = {"small": dict(n=49, m=7776, p=31843), "medium": dict(n=161, m=48126, p=182072)}


def rodrigues_rotate(rot, x):
    sqtheta = np.sum(rot * rot)
    if sqtheta != 0.0:
        theta = np.sqrt(sqtheta)
        w = rot / theta
        return (x * np.cos(theta) + np.cross(w, x) * np.sin(theta)
                + w * (np.dot(w, x) * (1.0 - np.cos(theta))))
    return x + np.cross(rot, x)


def reproj(cam, x, w, feat):
    """The reprojection residual of one observation (2 values)."""
    xcam = rodrigues_rotate(cam[0:3], x - cam[3:6])
    u = xcam[0:2] / xcam[2]
    rsq = np.sum(u * u)
    distorted = u * (1.0 + cam[9] * rsq + cam[10] * rsq * rsq)
    return w * (distorted * cam[6] + cam[7:9] - feat)


def reproj_all(cams, xs, w, feats):
    """``reproj`` of every observation at once: cams (p, 11), xs (p, 3), w (p,),
    feats (p, 2) -> (p, 2). A zero rotation takes the first-order formula, as above."""
    rot = cams[:, 0:3]
    y = xs - cams[:, 3:6]
    sqtheta = np.sum(rot * rot, axis=1, keepdims=True)
    theta = np.sqrt(np.where(sqtheta != 0.0, sqtheta, 1.0))
    axis = rot / theta
    cos, sin = np.cos(theta), np.sin(theta)
    rotated = (y * cos + np.cross(axis, y) * sin
               + axis * (np.sum(axis * y, axis=1, keepdims=True) * (1.0 - cos)))
    xcam = np.where(sqtheta != 0.0, rotated, y + np.cross(rot, y))
    u = xcam[:, 0:2] / xcam[:, 2:3]
    rsq = np.sum(u * u, axis=1, keepdims=True)
    distorted = u * (1.0 + cams[:, 9:10] * rsq + cams[:, 10:11] * rsq * rsq)
    return w[:, None] * (distorted * cams[:, 6:7] + cams[:, 7:9] - feats)


def residuals(cams, xs, w, feats, obs):
    """ADBench's objective, all residuals: the reprojection errors (p, 2) and the weight
    errors (p,)."""
    return reproj_all(cams[obs[:, 0]], xs[obs[:, 1]], w, feats), 1.0 - w * w


# What is timed and differentiated: the reprojection residuals of the observations, on
# their cameras and points gathered beforehand (``make_data``). The weight rows, 1 - w^2
# with derivative -2 w, take no differentiation and are left out of both.
objective = reproj_all


def jacobian_blocks(cams, xs, w, feats):
    """By hand, of ``reproj_all``: the blocks (p, 2, 15), columns in the order camera
    (11), point (3), weight. Chain rule through Xcam = R Y: dXcam/dY = R, and
    dXcam/drot from the angle theta = |rot| and the axis w = rot / theta."""
    p = cams.shape[0]
    rot, y = cams[:, 0:3], xs - cams[:, 3:6]
    theta = np.linalg.norm(rot, axis=1)
    small = theta == 0.0
    theta = np.where(small, 1.0, theta)[:, None]
    axis = rot / theta
    cos, sin = np.cos(theta), np.sin(theta)
    wy = np.sum(axis * y, axis=1, keepdims=True)
    cross = np.cross(axis, y)
    xcam = y * cos + cross * sin + axis * (wy * (1.0 - cos))
    eye = np.eye(3)
    skew_axis = _skew(axis)
    r = (cos[:, :, None] * eye + sin[:, :, None] * skew_axis
         + (1.0 - cos)[:, :, None] * axis[:, :, None] * axis[:, None, :])
    d_theta = -y * sin + cross * cos + axis * (wy * sin)                 # dXcam/dtheta
    d_axis = (-sin[:, :, None] * _skew(y)
              + (1.0 - cos)[:, :, None] * (wy[:, :, None] * eye + axis[:, :, None] * y[:, None, :]))
    projector = (eye - axis[:, :, None] * axis[:, None, :]) / theta[:, :, None]
    d_rot = d_theta[:, :, None] * axis[:, None, :] + d_axis @ projector
    if np.any(small):                         # Xcam = Y + rot x Y
        xcam[small] = y[small] + np.cross(rot[small], y[small])
        r[small] = eye + _skew(rot[small])
        d_rot[small] = -_skew(y[small])
    u = xcam[:, 0:2] / xcam[:, 2:3]
    rsq = np.sum(u * u, axis=1)
    k0, k1, f = cams[:, 9], cams[:, 10], cams[:, 6]
    big_l = 1.0 + k0 * rsq + k1 * rsq * rsq
    du_dxcam = np.zeros((p, 2, 3))
    du_dxcam[:, 0, 0] = du_dxcam[:, 1, 1] = 1.0 / xcam[:, 2]
    du_dxcam[:, :, 2] = -u / xcam[:, 2:3]
    dd_du = (big_l[:, None, None] * np.eye(2)
             + 2.0 * (k0 + 2.0 * k1 * rsq)[:, None, None] * u[:, :, None] * u[:, None, :])
    scale = (w * f)[:, None, None]
    dres_dxcam = scale * (dd_du @ du_dxcam)
    blocks = np.empty((p, 2, 15))
    blocks[:, :, 0:3] = dres_dxcam @ d_rot
    dres_dy = dres_dxcam @ r
    blocks[:, :, 3:6] = -dres_dy
    distorted = u * big_l[:, None]
    blocks[:, :, 6] = w[:, None] * distorted
    blocks[:, :, 7:9] = w[:, None, None] * np.eye(2)
    blocks[:, :, 9] = (w * f * rsq)[:, None] * u
    blocks[:, :, 10] = (w * f * rsq * rsq)[:, None] * u
    blocks[:, :, 11:14] = dres_dy
    blocks[:, :, 14] = distorted * f[:, None] + cams[:, 7:9] - feats
    return blocks


def _skew(v):
    """The cross-product matrices [v]_x of the rows of v."""
    z = np.zeros(v.shape[0])
    return np.stack([np.stack([z, -v[:, 2], v[:, 1]], axis=1),
                     np.stack([v[:, 2], z, -v[:, 0]], axis=1),
                     np.stack([-v[:, 1], v[:, 0], z], axis=1)], axis=1)


hand = jacobian_blocks


def blocks_from_vjps(rows):
    """The blocks (p, 2, 15) from the two vector-Jacobian products of ``reproj_all``
    (cotangents selecting the u rows, then the v rows), each (d cams, d xs, d w)."""
    return np.stack([np.concatenate([np.asarray(d_cams), np.asarray(d_xs),
                                     np.asarray(d_w)[:, None]], axis=1)
                     for d_cams, d_xs, d_w in rows], axis=1)


normalize = blocks_from_vjps      # a tool's result in the layout of ``hand``'s


def hand_reproj(cam, x, w, feat):
    """The 2 x 15 Jacobian of one observation's ``reproj``."""
    return jacobian_blocks(cam[None], x[None], np.array([w]), feat[None])[0]


def gathered(cams, xs, w, feats, obs):
    """The arguments of ``reproj_all``: each observation's camera and point."""
    return cams[obs[:, 0]], xs[obs[:, 1]], w, feats


def make_data(size="small", seed=0):
    """The arguments of ``objective``: ``make_problem``'s, gathered per observation."""
    return gathered(*make_problem(size, seed))


def make_problem(size="small", seed=0):
    """Cameras a few units from the origin looking at points near it (so Xcam[2] stays
    away from 0), small rotations and distortions, weights near 1; observation i is made
    by camera i mod n of point i mod m, as in ADBench. Returns (cams, xs, w, feats, obs)."""
    n, m, p = SIZES[size].values()
    rng = np.random.default_rng(seed)
    cams = np.empty((n, 11))
    cams[:, 0:3] = 0.1 * rng.standard_normal((n, 3))
    cams[:, 3:5] = 0.5 * rng.standard_normal((n, 2))
    cams[:, 5] = -5.0 - rng.random(n)
    cams[:, 6] = 1.0 + rng.random(n)
    cams[:, 7:9] = 0.1 * rng.standard_normal((n, 2))
    cams[:, 9:11] = 0.01 * rng.standard_normal((n, 2))
    xs = rng.standard_normal((m, 3))
    w = 1.0 + 0.1 * rng.standard_normal(p)
    feats = 0.3 * rng.standard_normal((p, 2))
    obs = np.stack([np.arange(p) % n, np.arange(p) % m], axis=1)
    return cams, xs, w, feats, obs
