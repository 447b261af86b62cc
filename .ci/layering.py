"""Fails when the code crosses a layer DESIGN §1 forbids.

- A service's domain (`services/*/src/domain`) names no tonic, prost, sea_orm or jalia_db,
  not even in a comment: it knows nothing of the wire or the database.
- A service never depends on another service's crate; only `services/suite` (the `jalia`
  binary) and the end-to-end tests link them all.
- Nothing in `crates/` depends on anything in `services/`.
"""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN_IN_DOMAIN = re.compile(r"tonic|prost|sea_orm|jalia_db")
LINKS_EVERYTHING = {"jalia", "jalia-e2e"}


def domain_problems() -> list[str]:
    problems = []
    for path in sorted(ROOT.glob("services/*/src/domain/**/*.rs")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN_IN_DOMAIN.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return problems


def dependency_problems() -> list[str]:
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    folder_of = {
        package["name"]: pathlib.Path(package["manifest_path"]).parent.relative_to(ROOT).parts[0]
        for package in metadata["packages"]
    }
    problems = []
    for package in metadata["packages"]:
        name = package["name"]
        folder = folder_of[name]
        for dependency in package["dependencies"]:
            target = dependency["name"]
            if target not in folder_of or target == name:
                continue
            if folder == "crates" and folder_of[target] == "services":
                problems.append(f"{name} (crates/) depends on {target} (services/)")
            if (
                folder == "services"
                and folder_of[target] == "services"
                and name not in LINKS_EVERYTHING
            ):
                problems.append(f"{name} depends on another service, {target}")
    return problems


def main() -> int:
    problems = domain_problems() + dependency_problems()
    if problems:
        print("layering broken:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print("layers hold: domains name no wire or database crate; services stay apart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
