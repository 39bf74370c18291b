# `make train` and `make test` are the README's two commands: each creates .venv (once) with
# everything installed, then runs. Needs only python3 (3.11) with venv and pip.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TRAIN_ARGS ?= --env HalfCheetah-v2 --loss_type CLIP
# evaluate.py --video renders headless through EGL: Debian's libegl1 and libgl1-mesa-dri.
VIDEO_PACKAGES ?= libegl1 libgl1-mesa-dri

.PHONY: install train test clean video-libraries
install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps parl==2.2.1
	$(PY) -m pip install --quiet --no-deps -e .
	@$(MAKE) --no-print-directory video-libraries
	touch $(STAMP)

# Installed where that can succeed (root, with apt-get); anywhere else the install goes on, since
# only --video needs them, and says so.
video-libraries:
	@if command -v dpkg >/dev/null && ! dpkg -s $(VIDEO_PACKAGES) >/dev/null 2>&1; then \
		if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null \
				&& apt-get update -qq && apt-get install -y -qq $(VIDEO_PACKAGES); then :; \
		else echo "evaluate.py --video needs the Debian packages $(VIDEO_PACKAGES), missing here:" \
			"install them as root (apt-get install $(VIDEO_PACKAGES)); everything else is installed."; fi; fi

train: $(STAMP)
	$(PY) train.py $(TRAIN_ARGS)

test: $(STAMP)
	$(PY) -m pytest tests

clean:
	rm -rf $(VENV) *.egg-info
