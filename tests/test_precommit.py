"""The pre-commit hooks, run by the real pre-commit (`try-repo`) against this checkout's HEAD.

pre-commit clones the checkout at the given commit and pip-installs rackforge into an environment of its own,
so what is tested is the committed state (commit before running this). The hook environment is built in a
temporary PRE_COMMIT_HOME; pip reaches the package index configured for the machine.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rackforge.gen.hooks import HOOKS

ROOT = Path(__file__).resolve().parent.parent


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def _head():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("the checkout is not a git repository (pre-commit try-repo needs one)")
    return _git("rev-parse", "HEAD", cwd=ROOT).strip()


def _committed(ref, path):
    """A file as committed at ``ref`` (the seeds must match the catalog the hook environment installs)."""
    return _git("show", f"{ref}:{path}", cwd=ROOT)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A git repository with a good design, a bad one, a non-design YAML file, and a pre-commit home."""
    ref = _head()
    tmp = tmp_path_factory.mktemp("precommit")
    repo = tmp / "project"
    repo.mkdir()
    _git("init", "-q", cwd=repo)
    _git("config", "user.email", "test@example.invalid", cwd=repo)
    _git("config", "user.name", "test", cwd=repo)
    (repo / "good.json").write_text(_committed(ref, "seeds/gb200-nvl72.json"))
    h100 = _committed(ref, "seeds/hgx-h100-air.yaml")
    moved = h100.replace("{id: node2, part: DGX-H100, u: 9,", "{id: node2, part: DGX-H100, u: 2,")
    assert moved != h100, "the seed changed: update this test's mutation"
    (repo / "designs").mkdir()
    (repo / "designs" / "bad.yaml").write_text(moved)
    (repo / "notes.yaml").write_text("title: not a design\nitems: [1, 2]\n")
    _git("add", ".", cwd=repo)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp / "home"), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    env.pop("VIRTUAL_ENV", None)
    return repo, ref, env


def _try_repo(project, hook, *args):
    repo, ref, env = project
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--ref", ref, *args]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, timeout=1200)


def test_manifest_is_valid():
    manifest = str(ROOT / ".pre-commit-hooks.yaml")
    out = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", manifest], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert [h["id"] for h in HOOKS] == ["rackforge-validate", "rackforge-bom-check"]


def test_validate_hook_fails_on_the_bad_design_only(project):
    out = _try_repo(project, "rackforge-validate", "--all-files")
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "designs/bad.yaml:" in text and "RF101" in text
    assert "good.json:" not in text and "notes.yaml:" not in text  # clean design; non-design skipped
    assert "2 file(s) checked: 1 error(s)" in text  # several files in one call


def test_validate_hook_passes_on_good_files(project):
    out = _try_repo(project, "rackforge-validate", "--files", "good.json", "notes.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Passed" in out.stdout


def test_bom_check_hook(project, tmp_path):
    repo, ref, env = project
    # the hook runs the committed rackforge (HEAD), so ask HEAD whether it has the command yet
    has = subprocess.run(["git", "cat-file", "-e", f"{ref}:rackforge/cli/commands/bom.py"], cwd=ROOT).returncode == 0
    if not has or '"bom"' not in _committed(ref, "rackforge/cli/app.py"):
        pytest.skip("'rackforge bom' is not committed in this checkout yet; the rackforge-bom-check hook calls "
                    "'rackforge bom --check BOM DESIGN'")
    source = _committed(ref, "rackforge/cli/commands/bom.py")
    if '"--check"' not in source or '"--output"' not in source:
        pytest.skip("the committed 'rackforge bom' has no --check/--output option yet")
    # make the BOM with the committed rackforge too
    head = tmp_path / "head"
    head.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(head)], input=archive, check=True)
    import json

    design = repo / "bom-design.json"
    data = json.loads((repo / "good.json").read_text())
    design.write_text(json.dumps(data, indent=2))
    bom = repo / "bom.csv"
    made = subprocess.run([sys.executable, "-m", "rackforge", "bom", design.name, "--output", str(bom)], cwd=repo,
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(head)))
    assert made.returncode == 0 and bom.exists(), made.stderr
    cfg = repo / ".pre-commit-config.yaml"
    cfg.write_text(f"repos:\n- repo: {ROOT}\n  rev: {ref}\n  hooks:\n  - id: rackforge-bom-check\n"
                   f"    args: [bom.csv, {design.name}]\n")
    _git("add", "bom.csv", design.name, cwd=repo)
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files", "-c", str(cfg)]
    try:
        ok = subprocess.run(run, cwd=repo, capture_output=True, text=True, env=env, timeout=1200)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        # the design loses a mount: the committed BOM is stale now
        tmpl = next(iter(data["templates"].values()))
        tmpl["mounts"].pop()
        design.write_text(json.dumps(data, indent=2))
        _git("add", design.name, cwd=repo)
        stale = subprocess.run(run, cwd=repo, capture_output=True, text=True, env=env, timeout=1200)
        assert stale.returncode == 1, stale.stdout + stale.stderr
        assert "bom.csv" in stale.stdout
    finally:
        cfg.unlink()
        subprocess.run(["git", "rm", "-q", "--cached", "bom.csv", design.name], cwd=repo)
        bom.unlink()
        design.unlink()


def test_skip_non_designs_flag(tmp_path):
    """What the validate hook relies on: staged JSON/YAML without a top-level 'rackforge' key pass through."""
    (tmp_path / "notes.yaml").write_text("title: not a design\n")
    (tmp_path / "package.json").write_text('{"name": "x"}\n')
    cmd = [sys.executable, "-m", "rackforge", "validate", "-f", "concise"]
    skipped = subprocess.run(cmd + ["--skip-non-designs", "notes.yaml", "package.json"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert skipped.returncode == 0 and "0 file(s) checked" in skipped.stdout
    checked = subprocess.run(cmd + ["notes.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 1 and "RF001" in checked.stdout
