"""Builds chatframe._core; the package metadata is in pyproject.toml.

The extension is the C API binding (python/src) compiled together with the
framing sources (framing/src), as the CMake build compiles it.
"""
import glob

from setuptools import Extension, setup

core = Extension(
    "chatframe._core",
    sources=sorted(glob.glob("python/src/*.cpp")) + sorted(glob.glob("framing/src/*.cpp")),
    include_dirs=["framing/include"],
    depends=sorted(glob.glob("python/src/*.hpp") + glob.glob("framing/include/chatframe/**/*.hpp",
                                                                  recursive=True)),
    extra_compile_args=["-std=c++20", "-O3", "-fvisibility=hidden", "-fvisibility-inlines-hidden",
                        "-fno-plt"],
    language="c++",
)

setup(ext_modules=[core],
      # Out of the way of the CMake build folders.
      options={"build": {"build_base": "build/setuptools"}})
