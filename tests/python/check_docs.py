"""docs/python.md runs as written: every ```python block of it, in order, in
one session (as a notebook would), from a folder that looks like the
repository root (its experiments/ linked in), so that the walk-through's
outputs land in a temporary folder. A block that raises fails the check, and
so does a page with fewer blocks than the walk-through's sections.
Usage: check_docs.py REPOSITORY
"""
import atexit
import os
import re
import shutil
import sys
import tempfile

repository = os.path.abspath(sys.argv[1])
page = os.path.join(repository, "docs", "python.md")
with open(page) as f:
    text = f.read()
blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
assert len(blocks) >= 10, \
    f"{page}: {len(blocks)} python blocks, expected the walk-through's 10 or more"

work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)
os.symlink(os.path.join(repository, "experiments"), os.path.join(work, "experiments"))
os.chdir(work)
session = {"__name__": "__main__"}
for number, block in enumerate(blocks, 1):
    line = text[: text.index(block)].count("\n") + 1
    print(f"--- docs/python.md block {number} (line {line})", flush=True)
    exec(compile(block, f"{page}:{line} (block {number})", "exec"), session)
print(f"docs/python.md: {len(blocks)} blocks ran")
