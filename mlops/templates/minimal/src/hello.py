"""Write outputs/hello.txt from params.yaml (standard library only)."""

from pathlib import Path

name = "world"
for line in Path("params.yaml").read_text().splitlines():
    if line.strip().startswith("name:"):
        name = line.split(":", 1)[1].strip()
Path("outputs").mkdir(exist_ok=True)
Path("outputs/hello.txt").write_text(f"hello, {name}\n")
