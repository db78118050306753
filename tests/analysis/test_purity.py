"""The analysis library imports no web framework, database or other part of Engage."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import engage.analysis

PACKAGE = Path(engage.analysis.__file__).parent


def test_importing_every_module_pulls_in_no_flask_or_sqlalchemy():
    names = [f"engage.analysis.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE)]) if m.name != "__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_module_imports_outside_the_library():
    pattern = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)
    for path in sorted(PACKAGE.glob("*.py")):
        for module in pattern.findall(path.read_text(encoding="utf-8")):
            root = module.split(".")[0]
            assert root not in {"flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug"}, (path.name, module)
            if root == "engage":
                assert module == "engage.analysis" or module.startswith("engage.analysis."), (path.name, module)
