"""Drop-in compatibility layers for code written against other renderers' APIs.

- ``softrecon.compat.softras``: SoftRas' ``soft_renderer`` package (Liu et al., ICCV
  2019; github.com/ShichenLiu/SoftRas), on CPU and CUDA, on top of softrecon's renderer.
  ``import softrecon.compat.softras as sr`` replaces ``import soft_renderer as sr``.

These modules only adapt signatures, defaults and conventions; the math lives in the
native packages (``softrecon.renderer``, ``geometry``, ``losses``, ``io``, ``voxel``).
See docs/MIGRATING.md.
"""
