"""Fails when a workspace crate declares a dependency its code never names.

Every entry of the root [workspace.dependencies] must be used by a member, and for each
member of the root workspace, every key of [dependencies], [dev-dependencies] and
[build-dependencies] must appear, as a Rust path (dashes become underscores), somewhere in
the crate's own sources: src/, tests/, benches/, examples/ or build.rs. A dependency kept
only to turn on a feature of another is listed with `# kept: <why>` on its line.
"""

import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def sources(crate: pathlib.Path) -> str:
    texts = []
    for folder in ("src", "tests", "benches", "examples"):
        for path in (crate / folder).rglob("*.rs"):
            texts.append(path.read_text(encoding="utf-8"))
    build = crate / "build.rs"
    if build.exists():
        texts.append(build.read_text(encoding="utf-8"))
    return "\n".join(texts)


def kept(manifest_text: str, name: str) -> bool:
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*[.=].*#\s*kept:", re.MULTILINE)
    return bool(pattern.search(manifest_text))


def main() -> int:
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    unused = []
    declared_by_members = set()
    for member in workspace["workspace"]["members"]:
        crate = ROOT / member
        manifest_text = (crate / "Cargo.toml").read_text(encoding="utf-8")
        manifest = tomllib.loads(manifest_text)
        code = sources(crate)
        for section in SECTIONS:
            for name, spec in manifest.get(section, {}).items():
                declared_by_members.add(name)
                package = spec.get("package", name) if isinstance(spec, dict) else name
                rust_name = name.replace("-", "_")
                if re.search(rf"\b{re.escape(rust_name)}\b", code):
                    continue
                if kept(manifest_text, name):
                    continue
                unused.append(f"{member}: [{section}] {name} ({package})")
    for name in workspace["workspace"].get("dependencies", {}):
        if name not in declared_by_members:
            unused.append(f"Cargo.toml: [workspace.dependencies] {name}, which no member uses")
    if unused:
        print("dependencies declared but never used:", file=sys.stderr)
        for line in unused:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("every declared dependency is used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
