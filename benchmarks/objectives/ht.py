"""Hand tracking (ADBench's HT, the simple variant): the residuals between observed 3D
points and the vertices of a skinned hand mesh they correspond to, as a function of 26
pose parameters, and their Jacobian (3 x n_points rows, 26 columns).

The pose parameters are a global rotation (angle-axis, 3), a global translation (3) and
20 joint angles, 4 for each of the 5 fingers (two at the knuckle, one at each other
joint). They set a row of Euler angles per bone; bone i's posed transform is its rest
transform relative to its parent times that rotation, bones are composed from the root
out, and each vertex is a weighted sum of the vertex moved by every bone (linear blend
skinning); then the global rotation and translation apply.

ADBench's model has 22 bones (a root, the palm, 4 per finger) and a mesh of about 500
vertices read from files; here a model of the same sizes is generated with a fixed seed.
ADBench's instances have 100 to 100000 correspondences.
"""

from __future__ import annotations

import numpy as np

ARGNUMS = 0
DERIVATIVE = "jacobian"
SIZES = {"small": dict(points=100), "medium": dict(points=1600)}
N_VERTICES = 544


def to_pose_params(theta, n_bones):
    """One row per bone after three rows for the global rotation, scale and translation;
    the root, the palm and each fingertip are not posed."""
    rows = [theta[0:3], np.ones(3), theta[3:6], np.zeros(3), np.zeros(3)]
    i = 6
    for _finger in range(5):
        rows.append(np.array([theta[i], theta[i + 1], 0.0]))
        rows.append(np.array([theta[i + 2], 0.0, 0.0]))
        rows.append(np.array([theta[i + 3], 0.0, 0.0]))
        rows.append(np.zeros(3))
        i = i + 4
    return np.stack(rows)


def euler_rotation(xzy):
    tx, tz, ty = xzy[0], xzy[1], xzy[2]
    rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(tx), -np.sin(tx)], [0.0, np.sin(tx), np.cos(tx)]])
    ry = np.array([[np.cos(ty), 0.0, np.sin(ty)], [0.0, 1.0, 0.0], [-np.sin(ty), 0.0, np.cos(ty)]])
    rz = np.array([[np.cos(tz), -np.sin(tz), 0.0], [np.sin(tz), np.cos(tz), 0.0], [0.0, 0.0, 1.0]])
    return rz @ ry @ rx


def angle_axis_rotation(angle_axis):
    norm = np.sqrt(np.sum(angle_axis * angle_axis))
    if norm < 0.0001:
        return np.eye(3)
    x, y, z = angle_axis[0] / norm, angle_axis[1] / norm, angle_axis[2] / norm
    s, c = np.sin(norm), np.cos(norm)
    return np.array([
        [x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
        [x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s],
        [x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c]])


def skinned_vertices(pose, parents, base_relatives, inverse_base_absolutes, base_positions,
                     weights):
    """The posed mesh, (3, n_vertices)."""
    absolutes = []
    for i, parent in enumerate(parents):
        rotation = euler_rotation(pose[i + 3])
        # base_relatives[i] @ [[rotation, 0], [0, 1]]
        relative = np.concatenate(
            [base_relatives[i][:, :3] @ rotation, base_relatives[i][:, 3:]], axis=1)
        if parent == -1:
            absolutes.append(relative)
        else:
            absolutes.append(absolutes[parent] @ relative)
    positions = np.zeros((3, base_positions.shape[1]))
    for i in range(len(parents)):
        transform = absolutes[i] @ inverse_base_absolutes[i]
        positions = positions + (transform[:3, :] @ base_positions) * weights[i]
    rotation = angle_axis_rotation(pose[0]) * pose[1][None, :]
    return rotation @ positions + pose[2][:, None]


def objective(theta, parents, base_relatives, inverse_base_absolutes, base_positions,
              weights, correspondences, points):
    """The residuals, (n_points, 3): each observed point minus its vertex."""
    pose = to_pose_params(theta, len(parents))
    vertices = skinned_vertices(pose, parents, base_relatives, inverse_base_absolutes,
                                base_positions, weights)
    return points - vertices[:, correspondences].T


hand = None     # see benchmarks/README.md: checked against central differences instead


def _rigid(rng, length):
    """A 4x4 rest transform: a small rotation, then a step of `length` along y."""
    a, b, c = 0.2 * rng.standard_normal(3)
    rotation = euler_rotation(np.array([a, b, c]))
    transform = np.eye(4)
    transform[:3, :3] = rotation
    transform[:3, 3] = [0.0, length, 0.0]
    return transform


def make_data(size="small", seed=0):
    """A hand of 22 bones (root, palm, five fingers of four) and N_VERTICES vertices, each
    near a bone and weighted on it and its parent; correspondences to random vertices of
    the hand posed by a random theta, plus noise; the evaluation point is another theta.
    Returns the arguments of ``objective``."""
    rng = np.random.default_rng(seed)
    parents = [-1, 0]
    relatives = [_rigid(rng, 0.0), _rigid(rng, 1.0)]
    for finger in range(5):
        for joint in range(4):
            parents.append(1 if joint == 0 else len(parents) - 1)
            relatives.append(_rigid(rng, 0.3 if joint else 0.8 + 0.1 * finger))
    parents = tuple(parents)
    n_bones = len(parents)
    absolutes = []
    for i, parent in enumerate(parents):
        absolutes.append(relatives[i] if parent == -1 else absolutes[parent] @ relatives[i])
    inverse_base_absolutes = np.stack([np.linalg.inv(a) for a in absolutes])
    bone_of_vertex = rng.integers(0, n_bones, N_VERTICES)
    base_positions = np.ones((4, N_VERTICES))
    weights = np.zeros((n_bones, N_VERTICES))
    for v, bone in enumerate(bone_of_vertex):
        local = np.array([0.1, 0.15, 0.1]) * rng.standard_normal(3) + [0.0, 0.15, 0.0]
        base_positions[:3, v] = absolutes[bone][:3, :3] @ local + absolutes[bone][:3, 3]
        share = rng.random() * 0.5 if parents[bone] != -1 else 0.0
        weights[bone, v] = 1.0 - share
        if share:
            weights[parents[bone], v] = share
    model = (parents, np.stack(relatives), inverse_base_absolutes, base_positions, weights)
    n_points = SIZES[size]["points"]
    correspondences = rng.integers(0, N_VERTICES, n_points)
    true_theta = 0.3 * rng.standard_normal(26)
    posed = objective(true_theta, *model, correspondences, np.zeros((n_points, 3)))
    points = -posed + 0.01 * rng.standard_normal((n_points, 3))
    theta = true_theta + 0.1 * rng.standard_normal(26)
    return (theta, *model, correspondences, points)
