"""The one build step pyproject.toml cannot declare: ship notebooks/ and templates/ in the wheel.

The repository keeps both folders at its top level; the commands need them wherever the kit is
installed, so the wheel carries a copy as ``salescoach/_shipped/`` (found at run time by
``salescoach/shipped.py``). Everything else about the project is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FOLDERS = ("notebooks", "templates")
# Editor and interpreter leftovers are not part of the kit.
IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


class BuildPyWithShipped(build_py):
    def run(self):
        super().run()
        # An editable install reads the checkout itself, so a trainer's edit shows at once.
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "salescoach" / "_shipped"
        # A build folder reused from an earlier build must not keep a deleted notebook.
        shutil.rmtree(target, ignore_errors=True)
        for folder in FOLDERS:
            source = HERE / folder
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; the wheel would lack it")
            shutil.copytree(source, target / folder, ignore=IGNORE)


setup(cmdclass={"build_py": BuildPyWithShipped})
