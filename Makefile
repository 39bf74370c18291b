# `make train` and `make test` are the README's two commands: each creates .venv (once) with
# everything installed, then runs. Needs only python3 (3.11) with venv and pip.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TRAIN_ARGS ?= --env HalfCheetah-v2 --loss_type CLIP

.PHONY: install train test clean
install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps parl==2.2.1
	$(PY) -m pip install --quiet --no-deps -e .
	@# evaluate.py --video renders headless through EGL: Debian's libegl1 and libgl1-mesa-dri.
	@if command -v dpkg >/dev/null && ! dpkg -s libegl1 libgl1-mesa-dri >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq libegl1 libgl1-mesa-dri; fi
	touch $(STAMP)

train: $(STAMP)
	$(PY) train.py $(TRAIN_ARGS)

test: $(STAMP)
	$(PY) -m pytest tests

clean:
	rm -rf $(VENV) *.egg-info
