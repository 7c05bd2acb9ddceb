"""The site's pyodide-lock.json and Pyodide's own packages (ytlite/site/jupyterlite.py).

Default build: every package of Pyodide 314.0.7's lock that the site does not
serve itself points at Pyodide's CDN, with Pyodide's own sha256; the site's
own wheels stay relative (served by the site); a boot wheel explains a missing
CDN package in the kernel. ``--pyodide-dist``: a distribution of the same
version (here a small fake one: a folder, or a tarball, whose pyodide-lock.json
has 314.0.7's platform and lists a few pure wheels made here) is copied into
the site, and the lock points at the site only; a distribution of another
version, or with a file missing or damaged, is refused with a message naming
what is wrong. The oracle for "Pyodide 314.0.7's lock" is the npm package's
own pyodide-lock.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
from ytlite.site import jupyterlite as site

VERSION = "314.0.7"
CDN = f"https://cdn.jsdelivr.net/pyodide/v{VERSION}/full/"
SHARED_CACHE = Path(os.environ.get("YTLITE_CACHE", Path.home() / ".cache" / "ytlite")) / "site"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def npm_lock() -> dict:
    """Pyodide 314.0.7's own lock, from the npm package the build installed."""
    locks = sorted(SHARED_CACHE.glob("npm/*/node_modules/pyodide/pyodide-lock.json"))
    for path in locks:
        if json.loads(path.with_name("package.json").read_text())["version"] == VERSION:
            return json.loads(path.read_text())
    pytest.skip("npm pyodide not installed yet: run python3 build.py build")


def make_wheel(folder: Path, name: str, version: str, requires=(), body="VALUE = 1\n") -> Path:
    """A pure wheel with one module ``name`` (what pip and Pyodide read of it)."""
    module = name.replace("-", "_")
    whl = folder / f"{module}-{version}-py3-none-any.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr(f"{module}/__init__.py", body)
        zf.writestr(f"{module}-{version}.dist-info/METADATA", meta)
        zf.writestr(f"{module}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{module}-{version}.dist-info/RECORD", "")
    return whl


def lock_entry(whl: Path, name: str, version: str, depends=()) -> dict:
    return {"name": name, "version": version, "file_name": whl.name, "install_dir": "site", "sha256": sha256(whl),
            "package_type": "package", "imports": [name.replace("-", "_")], "depends": list(depends),
            "unvendored_tests": False, "shared_library": False}


@pytest.fixture
def fake_dist(tmp_path, npm_lock) -> Path:
    """A folder like Pyodide 314.0.7's distribution, with three pure wheels:
    fake-alpha, fake-beta (depends on alpha) and six at 314.0.7's version."""
    dist = tmp_path / "pyodide"
    dist.mkdir()
    alpha = make_wheel(dist, "fake-alpha", "1.0", body="VALUE = 'alpha from the distribution'\n")
    beta = make_wheel(dist, "fake-beta", "2.0", requires=["fake-alpha"], body="from fake_alpha import VALUE\n")
    six_version = npm_lock["packages"]["six"]["version"]
    six = make_wheel(dist, "six", six_version, body="FROM = 'the distribution'\n")
    lock = {"info": dict(npm_lock["info"]), "packages": {
        "fake-alpha": lock_entry(alpha, "fake-alpha", "1.0"),
        "fake-beta": lock_entry(beta, "fake-beta", "2.0", ["fake-alpha"]),
        "six": lock_entry(six, "six", six_version),
    }}
    (dist / "pyodide-lock.json").write_text(json.dumps(lock, indent=1))
    (dist / "package.json").write_text(json.dumps({"name": "pyodide", "version": VERSION}))
    return dist


def rewrite_lock(dist: Path, edit) -> None:
    lock = json.loads((dist / "pyodide-lock.json").read_text())
    edit(lock)
    (dist / "pyodide-lock.json").write_text(json.dumps(lock))


def site_lock(tmp_path, npm_lock):
    """A lock holding what the site serves itself (two of its real kinds of
    entry: a wheel of Pyodide's lock kept with our file, and one of our own)."""
    pyo = tmp_path / "pyo"
    pyo.mkdir()
    six = make_wheel(pyo, "six", npm_lock["packages"]["six"]["version"], body="FROM = 'the site'\n")
    ours = make_wheel(pyo, "ytlite", "0.1.0")
    packages = {"six": {**npm_lock["packages"]["six"], "file_name": six.name, "sha256": sha256(six)},
                "ytlite": lock_entry(ours, "ytlite", "0.1.0", ["six"])}
    return pyo, {"info": npm_lock["info"], "packages": packages}


def no_log(_msg):
    pass


# -- the default site: Pyodide's packages at its CDN ----------------------------------------


def test_default_lock_points_every_pyodide_package_at_the_cdn(tmp_path, npm_lock):
    pyo, lock = site_lock(tmp_path, npm_lock)
    served = {n: dict(e) for n, e in lock["packages"].items()}
    boot = site._add_distribution_packages(lock, pyo, npm_lock, None, no_log)
    packages = lock["packages"]
    assert boot == ["ytlite-cdn-hint"]
    # every one of Pyodide's 357 packages, yt's whole dependency closure with it
    assert len(npm_lock["packages"]) == 357 and set(npm_lock["packages"]) <= set(packages)
    for name in ("yt", "numpy", "h5py", "unyt", "matplotlib"):
        assert packages[name]["version"] == npm_lock["packages"][name]["version"]
    assert (packages["yt"]["version"], packages["numpy"]["version"], packages["h5py"]["version"]) == ("4.4.2", "2.4.6", "3.13.0")
    closure, todo = set(), ["yt"]
    while todo:
        name = site._canon(todo.pop())
        if name not in closure:
            closure.add(name)
            todo += packages[name]["depends"]
    assert {"numpy", "matplotlib", "unyt", "sympy", "ewah-bool-utils"} <= closure
    for name, entry in npm_lock["packages"].items():
        got = packages[name]
        if name in served:  # the site's own file wins, untouched
            assert got == served[name]
            continue
        assert got["file_name"] == CDN + entry["file_name"], name
        assert {k: v for k, v in got.items() if k != "file_name"} == {k: v for k, v in entry.items() if k != "file_name"}
    # what the site serves is a file beside the lock, with its sha256
    for name, entry in packages.items():
        if not entry["file_name"].startswith(CDN):
            assert "://" not in entry["file_name"] and sha256(pyo / entry["file_name"]) == entry["sha256"], name
    assert sorted(p.name for p in pyo.iterdir()) == sorted(
        [packages["six"]["file_name"], packages["ytlite"]["file_name"], packages["ytlite-cdn-hint"]["file_name"]])


def test_the_cdn_hint_wheel(tmp_path, npm_lock):
    """The boot wheel: ytlite/site/cdn_hint.py as its module, the tables it needs, and an
    IPython start-up file installed (as a wheel data file) under sys.prefix."""
    pyo, lock = site_lock(tmp_path, npm_lock)
    site._add_distribution_packages(lock, pyo, npm_lock, None, no_log)
    entry = lock["packages"]["ytlite-cdn-hint"]
    whl = pyo / entry["file_name"]
    assert entry["sha256"] == sha256(whl) and entry["imports"] == ["ytlite_cdn_hint"] and entry["depends"] == []
    with zipfile.ZipFile(whl) as zf:
        names = set(zf.namelist())
        assert zf.read("ytlite_cdn_hint/__init__.py") == (ROOT / "ytlite" / "site" / "cdn_hint.py").read_bytes()
        config = json.loads(zf.read("ytlite_cdn_hint/packages.json"))
        startup = zf.read("ytlite_cdn_hint-1.0.data/data/etc/ipython/startup/00-ytlite-cdn-hint.py").decode()
    assert "ytlite_cdn_hint-1.0.dist-info/METADATA" in names
    assert "__import__('ytlite_cdn_hint').install()" in startup
    assert config["cdn_url"] == CDN
    assert config["cdn_imports"]["yt"] == "yt" and config["cdn_imports"]["numpy"] == "numpy"
    assert config["cdn_imports"]["ewah_bool_utils"] == "ewah_bool_utils"  # (the package's name, not the key)
    assert "six" not in config["cdn_imports"] and config["site_imports"]["six"] == "six"
    assert config["site_imports"]["ytlite"] == "ytlite"
    assert "python3 build.py build --pyodide-dist PATH" in config["offline_build"]
    assert f"pyodide-{VERSION}.tar.bz2" in config["offline_build"]
    # the same inputs give the same bytes (the site cache and the lock's sha256 rely on it)
    (tmp_path / "again").mkdir()
    pyo2, lock2 = site_lock(tmp_path / "again", npm_lock)
    site._add_distribution_packages(lock2, pyo2, npm_lock, None, no_log)
    assert lock2["packages"]["ytlite-cdn-hint"]["sha256"] == entry["sha256"]


# -- --pyodide-dist: the packages served by the site ---------------------------------------


def test_pyodide_dist_folder_is_copied_into_the_site(tmp_path, npm_lock, fake_dist):
    pyo, lock = site_lock(tmp_path, npm_lock)
    site_six = dict(lock["packages"]["six"])
    dist = site._pyodide_dist_folder(site._check_pyodide_dist_path(fake_dist), tmp_path / "cache", no_log)
    assert dist == fake_dist
    assert site._add_distribution_packages(lock, pyo, npm_lock, dist, no_log) == []  # no CDN, no hint
    packages = lock["packages"]
    assert sorted(packages) == ["fake-alpha", "fake-beta", "six", "ytlite"]
    assert packages["six"] == site_six  # the site's own wheel wins
    for name in ("fake-alpha", "fake-beta"):
        entry = packages[name]
        assert "://" not in entry["file_name"] and (pyo / entry["file_name"]).read_bytes() == (fake_dist / entry["file_name"]).read_bytes()
        assert entry == json.loads((fake_dist / "pyodide-lock.json").read_text())["packages"][name]
    assert not any(e["file_name"].startswith("https://") for e in packages.values())
    with zipfile.ZipFile(pyo / packages["six"]["file_name"]) as zf:
        assert "the site" in zf.read("six/__init__.py").decode()


def test_pyodide_dist_tarball(tmp_path, npm_lock, fake_dist):
    """The release tarball's layout: everything under pyodide/; unpacked once into the cache."""
    tarball = tmp_path / f"pyodide-{VERSION}.tar.bz2"
    with tarfile.open(tarball, "w:bz2") as tar:
        tar.add(fake_dist, arcname="pyodide")
    path = site._check_pyodide_dist_path(tarball)
    dist = site._pyodide_dist_folder(path, tmp_path / "cache", no_log)
    assert dist.name == "pyodide" and (tmp_path / "cache") in dist.parents
    assert sorted(p.name for p in dist.iterdir()) == sorted(p.name for p in fake_dist.iterdir())
    assert site._distribution_lock(dist, npm_lock)["packages"].keys() == {"fake-alpha", "fake-beta", "six"}
    assert site._pyodide_dist_folder(path, tmp_path / "cache", no_log) == dist  # (reused)
    # a truncated download
    cut = tmp_path / "cut.tar.bz2"
    cut.write_bytes(tarball.read_bytes()[: tarball.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"cannot unpack it .*a truncated download\?"):
        site._pyodide_dist_folder(site._check_pyodide_dist_path(cut), tmp_path / "cache2", no_log)
    assert not any((tmp_path / "cache2" / "pyodide-dist").iterdir())  # nothing half-unpacked left


@pytest.mark.parametrize("edit, message", [
    (lambda lock: lock["info"].update(python="3.13.2", abi_version="2025_0"),
     r"is not Pyodide 314\.0\.7's distribution \(the site runs npm pyodide@314\.0\.7\): "
     r"its lock says abi_version '2025_0' where 314\.0\.7 has '2026_0'; its lock says python '3\.13\.2'"),
    (lambda lock: lock["packages"]["six"].update(version="1.16.0"),
     r"is not Pyodide 314\.0\.7's distribution .*: six is 1\.16\.0 there, 1\.17\.0 in 314\.0\.7"),
], ids=["other-python", "other-package-version"])
def test_pyodide_dist_of_another_version(tmp_path, npm_lock, fake_dist, edit, message):
    rewrite_lock(fake_dist, edit)
    with pytest.raises(ValueError, match=message):
        site._distribution_lock(fake_dist, npm_lock)


def test_pyodide_dist_package_json_of_another_version(npm_lock, fake_dist):
    (fake_dist / "package.json").write_text(json.dumps({"name": "pyodide", "version": "0.29.3"}))
    with pytest.raises(ValueError, match=r"not Pyodide 314\.0\.7's distribution .*package\.json says version 0\.29\.3"):
        site._distribution_lock(fake_dist, npm_lock)


def test_pyodide_dist_missing_or_damaged_files(npm_lock, fake_dist):
    (fake_dist / "fake_alpha-1.0-py3-none-any.whl").unlink()
    beta = fake_dist / "fake_beta-2.0-py3-none-any.whl"
    damaged = bytearray(beta.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    beta.write_bytes(bytes(damaged))
    want = json.loads((fake_dist / "pyodide-lock.json").read_text())["packages"]["fake-beta"]["sha256"]
    with pytest.raises(ValueError) as err:
        site._distribution_lock(fake_dist, npm_lock)
    text = str(err.value)
    assert "2 of the 3 packages its pyodide-lock.json lists are missing or damaged" in text, text
    assert "fake_alpha-1.0-py3-none-any.whl is missing" in text
    assert f"fake_beta-2.0-py3-none-any.whl is damaged (its sha256 is {sha256(beta)[:16]}..., the lock says {want[:16]}...)" in text
    assert f"pyodide-{VERSION}.tar.bz2" in text  # what to get instead


def test_pyodide_dist_bad_paths_and_locks(tmp_path, npm_lock, fake_dist):
    with pytest.raises(FileNotFoundError, match=r"--pyodide-dist .*nowhere: no such file or folder\. --pyodide-dist takes"):
        site._check_pyodide_dist_path(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="neither a folder nor a tar archive"):
        site._check_pyodide_dist_path(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no pyodide-lock\.json in it \(nor in pyodide/\), so not a Pyodide distribution"):
        site._pyodide_dist_folder(tmp_path / "empty", tmp_path / "cache", no_log)
    assert site._pyodide_dist_folder(tmp_path, tmp_path / "cache", no_log) == fake_dist  # (its pyodide/ sub-folder)
    (fake_dist / "pyodide-lock.json").write_text('{"info": {')
    with pytest.raises(ValueError, match=r"pyodide-lock\.json is not readable JSON"):
        site._distribution_lock(fake_dist, npm_lock)
    (fake_dist / "pyodide-lock.json").write_text('{"packages": []}')
    with pytest.raises(ValueError, match=r"has no 'info' and 'packages': not a Pyodide lock file"):
        site._distribution_lock(fake_dist, npm_lock)


def test_pyodide_dist_unsafe_file_names_and_dependencies(tmp_path, npm_lock, fake_dist):
    rewrite_lock(fake_dist, lambda lock: lock["packages"]["fake-alpha"].update(file_name="https://example.org/a.whl"))
    with pytest.raises(ValueError, match=r"fake-alpha: file_name 'https://example\.org/a\.whl' is not a file of the distribution"):
        site._distribution_lock(fake_dist, npm_lock)
    rewrite_lock(fake_dist, lambda lock: lock["packages"]["fake-alpha"].update(file_name="../outside.whl"))
    with pytest.raises(ValueError, match=r"file_name '\.\./outside\.whl' is not a file of the distribution"):
        site._distribution_lock(fake_dist, npm_lock)
    rewrite_lock(fake_dist, lambda lock: lock["packages"].pop("fake-alpha"))
    pyo, lock = site_lock(tmp_path, npm_lock)
    with pytest.raises(ValueError, match=r"1 dependencies are not in it: fake-beta needs fake-alpha"):
        site._add_distribution_packages(lock, pyo, npm_lock, fake_dist, no_log)


# -- a whole site built with --pyodide-dist -------------------------------------------------


@pytest.fixture
def build_cache(tmp_path) -> Path:
    """A cache of its own (so the shared one keeps its cached sites), reusing the
    shared npm install and PyPI wheels (read only)."""
    if not (SHARED_CACHE / "wheels").is_dir() or not any(SHARED_CACHE.glob("npm/*/.complete")):
        pytest.skip("the shared build cache is empty: run python3 build.py build first")
    cache = tmp_path / "cache"
    cache.mkdir()
    for sub in ("npm", "wheels"):
        (cache / sub).symlink_to(SHARED_CACHE / sub)
    return cache


def test_site_built_from_a_pyodide_dist(tmp_path, npm_lock, fake_dist, build_cache, browser):
    """The lock, config and files of a site built with a (fake) distribution
    tarball; then, in Chromium with no route out, a package of the distribution
    imports from the site."""
    content = tmp_path / "content"
    content.mkdir()
    tarball = tmp_path / f"pyodide-{VERSION}.tar.bz2"
    with tarfile.open(tarball, "w:bz2") as tar:
        tar.add(fake_dist, arcname="pyodide")
    out = tmp_path / "site"
    site.build_site(out, content, [], build_cache, log=no_log, apps=["notebooks", "tree"],
                    kernel_speedups=False, pyodide_dist=tarball)
    pyo = out / "static" / "pyodide"
    lock = json.loads((pyo / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    assert lock["info"] == npm_lock["info"]
    assert {"fake-alpha", "fake-beta"} <= set(packages) and "ytlite-cdn-hint" not in packages
    assert "yt" not in packages  # (this distribution does not have it: nothing comes from elsewhere)
    for name, entry in packages.items():
        assert "://" not in entry["file_name"], name
        assert sha256(pyo / entry["file_name"]) == entry["sha256"], name
    # six is in both: the site's own (PyPI's wheel at the lock's version) wins
    assert packages["six"]["sha256"] == sha256(build_cache / "wheels" / packages["six"]["file_name"])
    served = {p.name for p in pyo.glob("*.whl")}
    assert served == {e["file_name"] for e in packages.values()}  # every wheel there is in the lock, and back
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][site.PLUGIN_ID]
    assert kernel["disablePyPIFallback"] is True
    assert kernel["loadPyodideOptions"]["packages"] == list(site.BOOT_PACKAGES)
    assert CDN not in (pyo / "pyodide-lock.json").read_text()

    # In the browser: the distribution's package imports, served by the site alone
    from support.browser import StaticServer
    from support.notebook import NOTEBOOK_TIMEOUT_S, NotebookRun

    with StaticServer(out) as server:
        url = server.url
        run = NotebookRun(browser, url, "Untitled.ipynb")
        try:
            run.page.goto(f"{url}/tree/index.html")
            run.page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.serviceManager)",
                                       timeout=NOTEBOOK_TIMEOUT_S * 1000)
            path = run.page.evaluate("""async () => {
                const m = await window.jupyterapp.serviceManager.contents.newUntitled({type: 'notebook'});
                return m.path; }""")
            run.page.goto(f"{url}/notebooks/index.html?path={path}")
            run.wait_for_kernel_idle()
            out_text = run.execute("import fake_beta, six\nprint(fake_beta.VALUE, '|', hasattr(six, 'FROM'))")
            assert out_text.strip() == "alpha from the distribution | False", out_text
            assert run.foreign_requests() == []
        finally:
            run.close()
