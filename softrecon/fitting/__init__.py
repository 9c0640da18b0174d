"""Image-based fitting: shape fitting of a template sphere to multi-view silhouettes
(``shape``) and rigid pose fitting under occlusion with annealed blur (``pose``).

The command bodies behind ``scripts/fit_mesh.py`` and ``scripts/fit_pose.py`` are
``run_shape.run_fit_mesh`` and ``run_pose.run_fit_pose``; import them from there (they
pull in the mesh I/O and metrics modules).
"""

from .pose import PoseFitOptions, PoseFitResult, RigidPose, fit_pose, occluder_mask, paint_occluder
from .rotation import axis_angle_to_matrix, geodesic_angle_degrees, random_rotation
from .schedule import geometric_anneal
from .shape import ShapeFitOptions, ShapeFitResult, TemplateDeformation, fit_shape, hard_silhouettes, render_silhouettes
from .views import ViewSet, orbit_views, split_views

__all__ = [
    "PoseFitOptions",
    "PoseFitResult",
    "RigidPose",
    "ShapeFitOptions",
    "ShapeFitResult",
    "TemplateDeformation",
    "ViewSet",
    "axis_angle_to_matrix",
    "fit_pose",
    "fit_shape",
    "geodesic_angle_degrees",
    "geometric_anneal",
    "hard_silhouettes",
    "occluder_mask",
    "orbit_views",
    "paint_occluder",
    "random_rotation",
    "render_silhouettes",
    "split_views",
]
