"""Build the sdist and wheel, check them, and try the wheel the way a user installs it.

    python tools/check_wheel.py [--keep DIR]

1. ``python -m build`` makes the sdist and the wheel; ``twine check`` reads their metadata.
2. The wheel's listing is compared with what must be in it: every file of the ``tempodb`` package
   that git tracks (so new modules and the web console's static files are covered without editing
   a list), ``py.typed``, the licence, the console script and the pytest plugin entry points, and
   nothing else.
3. The wheel, not the checkout, is installed into a fresh virtual environment, and from a directory
   outside the repository: ``tempodb --version``, ``tempodb demo``, ``tempodb serve`` answering a
   real request, the pytest plugin's fixtures in a throwaway test file, and an import under
   ``mypy --strict`` (which fails without ``py.typed``).

Each step prints one line; any failure exits non-zero with what went wrong. Needs ``build`` and
``twine`` (the ``release`` extra) and the network access pip needs for the wheel's dependencies.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tempodb"
DIST = "tempodb_revived"

PLUGIN_TEST = '''
import datetime

import tempodb


def test_the_plugin_serves_a_fresh_database(tempodb_server, tempodb_credentials):
    key, secret = tempodb_credentials
    with tempodb.Client(key, secret, tempodb_server.host, tempodb_server.port, secure=False) as client:
        client.write_key("wheel.check", [tempodb.DataPoint(datetime.datetime(2012, 1, 1), 1.5)])
        data = client.read_key("wheel.check", datetime.date(2012, 1, 1), datetime.date(2012, 1, 2)).data
    assert [point.value for point in data] == [1.5]
'''

TYPED_IMPORT = '''
import datetime

import tempodb
import tempodb.aio


def latest(client: tempodb.Client) -> float | None:
    data: tempodb.DataSet = client.read_key("k", datetime.date(2012, 1, 1), datetime.date(2012, 1, 2))
    return data.summary.mean if data.summary is not None else None


async def count(client: tempodb.aio.Client) -> int:
    return len(await client.get_series())
'''


class CheckFailed(Exception):
    pass


def step(text: str) -> None:
    print(f"check_wheel: {text}", flush=True)


def run(*argv: str | Path, cwd: Path | None = None, timeout: float = 600) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise CheckFailed(f"{' '.join(map(str, argv))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build(out: Path) -> tuple[Path, Path]:
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out, ROOT)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f"expected one wheel and one sdist in {out}, found {[p.name for p in out.iterdir()]}")
    run(sys.executable, "-m", "twine", "check", "--strict", wheels[0], sdists[0])
    step(f"built and twine-checked {sdists[0].name} and {wheels[0].name}")
    return wheels[0], sdists[0]


def tracked_package_files() -> set[str]:
    listed = run("git", "ls-files", "-z", PACKAGE, cwd=ROOT).split("\0")
    return {name for name in listed if name}


def check_listing(wheel: Path) -> str:
    """The wheel holds exactly the tracked package files plus its metadata; returns its version."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        match = re.fullmatch(rf"{DIST}-([^-]+)-py3-none-any\.whl", wheel.name)
        if match is None:
            raise CheckFailed(f"unexpected wheel name {wheel.name}")
        version = match.group(1)
        info = f"{DIST}-{version}.dist-info"
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    package = {n for n in names if n.startswith(f"{PACKAGE}/")}
    expected = tracked_package_files()
    problems = []
    if missing := sorted(expected - package):
        problems.append(f"missing from the wheel: {missing}")
    if extra := sorted(package - expected):
        problems.append(f"in the wheel but not tracked by git: {extra}")
    metadata = {f"{info}/{name}" for name in ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE")}
    if missing_meta := sorted(metadata - names):
        problems.append(f"metadata files missing: {missing_meta}")
    if strays := sorted(names - package - metadata):
        problems.append(f"unexpected files: {strays}")
    if f"{PACKAGE}/py.typed" not in names:
        problems.append("py.typed is missing: type checkers would ignore the package")
    for needed in ("[console_scripts]", "tempodb = tempodb.cli:main", "[pytest11]", "tempodb = tempodb.testing"):
        if needed not in entry_points:
            problems.append(f"entry_points.txt lacks {needed!r}")
    if problems:
        raise CheckFailed("; ".join(problems))
    static = sorted(n for n in package if not n.endswith(".py"))
    step(f"wheel listing: {len(package)} package files ({len(package) - len(static)} modules; also {', '.join(static)}), "
         "entry points tempodb (console script) and pytest11, licence")
    return version


def fresh_venv(where: Path, wheel: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(where)
    bin_dir = where / ("Scripts" if os.name == "nt" else "bin")
    run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, "pytest", "mypy")
    step(f"installed the wheel (not the checkout) into a fresh venv at {where}")
    return bin_dir


def check_installed(bin_dir: Path, work: Path, version: str) -> None:
    printed = run(bin_dir / "tempodb", "--version", cwd=work).strip()
    if printed != f"tempodb {version}":
        raise CheckFailed(f"tempodb --version printed {printed!r}, expected 'tempodb {version}'")
    located = run(bin_dir / "python", "-c", "import tempodb; print(tempodb.__file__)", cwd=work).strip()
    if str(ROOT) in located:
        raise CheckFailed(f"the check imported the checkout ({located}), not the installed wheel")
    step(f"tempodb --version: {printed}; the module loads from {located}")

    run(bin_dir / "tempodb", "demo", "--db", work / "demo.db", cwd=work)
    step("tempodb demo ran on the embedded default")

    check_serve(bin_dir, work)

    (work / "test_plugin.py").write_text(PLUGIN_TEST)
    run(bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin.py", cwd=work)
    step("the pytest plugin's tempodb_server and tempodb_credentials fixtures work from a throwaway test file")

    (work / "typed_import.py").write_text(TYPED_IMPORT)
    run(bin_dir / "mypy", "--strict", "--no-incremental", "typed_import.py", cwd=work)
    step("mypy --strict accepts an import from outside the repository (py.typed is honoured)")


def check_serve(bin_dir: Path, work: Path) -> None:
    argv = [bin_dir / "tempodb", "serve", "--port", "0", "--db", work / "serve.db", "--key", "k", "--secret", "s"]
    server = subprocess.Popen([str(a) for a in argv], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        url = None
        for line in server.stdout:
            if found := re.search(r"tempodb serving on (\S+)", line):
                url = found.group(1)
                break
        if url is None:
            raise CheckFailed(f"tempodb serve exited {server.wait()} without printing its URL")
        request = urllib.request.Request(url + "series/", headers={"Authorization": "Basic " + base64.b64encode(b"k:s").decode()})
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, body = answer.status, json.loads(answer.read())
        if status != 200 or body != []:
            raise CheckFailed(f"GET {url}series/ answered {status} {body!r}, expected 200 []")
        step(f"tempodb serve answered GET {url}series/ with 200 []")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", type=Path, help="build and install under this directory and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tempodb-wheel-") as scratch:
        base: Path = args.keep or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        try:
            wheel, _ = build(base / "dist")
            version = check_listing(wheel)
            bin_dir = fresh_venv(base / "venv", wheel)
            work = base / "outside"
            work.mkdir(exist_ok=True)
            check_installed(bin_dir, work, version)
        except CheckFailed as failed:
            print(f"check_wheel: FAILED: {failed}", file=sys.stderr)
            return 1
    step("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
