"""Rewrites the README's catalogue section from `exprun list --markdown` (the declarations)."""
import pathlib
import subprocess
import sys

exprun = sys.argv[1] if len(sys.argv) > 1 else ".build/release/exprun"
readme = pathlib.Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
start, end = "<!-- catalogue:start -->", "<!-- catalogue:end -->"
table = subprocess.run([exprun, "list", "--markdown"], check=True, capture_output=True, text=True).stdout.strip()
head, rest = text.split(start)
_, tail = rest.split(end)
readme.write_text(head + start + "\n" + table + "\n" + end + tail)
