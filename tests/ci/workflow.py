#!/usr/bin/env python3
"""workflow.py - check the example GitHub Actions workflow (docs/ci/github-pages.yml).

    python3 tests/ci/workflow.py WORKFLOW.yml

Parses the file with PyYAML (python3-yaml) and checks that it is a workflow
that does what README "Publishing from CI" says: triggers, Pages permissions,
a build job that checks out, installs the Debian packages through
tools/lib-packages.sh, builds kbc, restores and saves .kbc/ with actions/cache,
runs `kbc check --strict` before `kbc build --base-url https://....github.io/
.../`, uploads the built folder with actions/upload-pages-artifact, and a
deploy job that needs it and runs actions/deploy-pages in the github-pages
environment. Every `run:` script must pass `bash -n`. Prints one line per
check and "N passed, N failed"; exit status 1 when any check fails.
"""
import re
import subprocess
import sys

import yaml

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}{': ' + detail if detail else ''}")


def main():
    if len(sys.argv) != 2:
        print("usage: python3 tests/ci/workflow.py WORKFLOW.yml", file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        with open(path, encoding="utf-8") as f:
            wf = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"FAIL {path}: {e}")
        return 1
    check("the file is a YAML mapping", isinstance(wf, dict))
    if not isinstance(wf, dict):
        return 1
    # YAML 1.1 reads the key `on` as the boolean true.
    on = wf.get("on", wf.get(True))
    check("runs on push to main and by hand",
          isinstance(on, dict) and "main" in (on.get("push") or {}).get("branches", [])
          and "workflow_dispatch" in on, repr(on))
    perms = wf.get("permissions") or {}
    check("permissions: contents read, pages and id-token write",
          perms.get("contents") == "read" and perms.get("pages") == "write" and perms.get("id-token") == "write",
          repr(perms))
    jobs = wf.get("jobs") or {}
    check("two jobs, build and deploy", set(jobs) == {"build", "deploy"}, repr(list(jobs)))
    build = jobs.get("build") or {}
    deploy = jobs.get("deploy") or {}
    steps = build.get("steps") or []
    check("every build step is a mapping with uses or run",
          steps and all(isinstance(s, dict) and (("uses" in s) != ("run" in s)) for s in steps))
    steps = [s for s in steps if isinstance(s, dict)]

    def index(pred):
        return next((i for i, s in enumerate(steps) if pred(s)), -1)

    def uses(prefix):
        return index(lambda s: str(s.get("uses", "")).startswith(prefix + "@"))

    def runs(pattern):
        return index(lambda s: re.search(pattern, str(s.get("run", ""))) is not None)

    co = uses("actions/checkout")
    pk = runs(r"tools/lib-packages\.sh[\s\S]*need_packages \"\$\{BUILD_PACKAGES\[@\]\}\"")
    mk = runs(r"cmake --build build")
    cache = uses("actions/cache")
    chk = runs(r"(^|\s)build/kbc check --strict(\s|$)")
    bld = runs(r"(^|\s)build/kbc build\s[^\n]*--base-url \"?https://\$\{\{ github\.repository_owner \}\}\.github\.io/"
               r"\$\{\{ github\.event\.repository\.name \}\}/\"?")
    up = uses("actions/upload-pages-artifact")
    check("build: checkout, packages, kbc, cache, check, build, upload, in that order",
          -1 < co < pk < mk < cache < chk < bld < up, repr([co, pk, mk, cache, chk, bld, up]))
    if cache >= 0:
        w = steps[cache].get("with") or {}
        check("actions/cache keeps .kbc with a per-commit key and fallbacks",
              w.get("path") == ".kbc" and "github.sha" in str(w.get("key", "")) and
              len(str(w.get("restore-keys", "")).split()) >= 2, repr(w))
    if bld >= 0 and up >= 0:
        out = re.search(r"-o (\S+)", steps[bld]["run"])
        path_up = (steps[up].get("with") or {}).get("path")
        check("the uploaded folder is the one kbc wrote", out is not None and out.group(1) == path_up,
              f"{out.group(1) if out else None} vs {path_up}")
    check("deploy needs build", deploy.get("needs") in ("build", ["build"]))
    env = deploy.get("environment") or {}
    check("deploy runs in the github-pages environment with its URL",
          env.get("name") == "github-pages" and "deployment.outputs.page_url" in str(env.get("url", "")))
    dsteps = deploy.get("steps") or []
    check("deploy uses actions/deploy-pages",
          any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in dsteps if isinstance(s, dict)))
    for job, js in (("build", steps), ("deploy", dsteps)):
        for s in js:
            if isinstance(s, dict) and "run" in s:
                # ${{ }} expressions are filled in by GitHub: a word here.
                script = re.sub(r"\$\{\{[^}]*\}\}", "X", str(s["run"]))
                r = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
                check(f"{job}: '{s.get('name', '?')}' is valid shell", r.returncode == 0, r.stderr.strip())
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
