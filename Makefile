# `make train` and `make test` are the README's two commands: each creates .venv (once) with
# everything installed, then runs. Needs only python3 (3.11) with venv and pip.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TRAIN_ARGS ?= --env HalfCheetah-v2 --loss_type CLIP
# evaluate.py --video renders headless through EGL: Debian's libegl1 and libgl1-mesa-dri.
VIDEO_PACKAGES ?= libegl1 libgl1-mesa-dri

.PHONY: install install-v2 install-parl-example v2-unavailable train test test-fast lint docs clean video-libraries
install: $(STAMP)
	@echo "Installed into $(VENV): \`source $(VENV)/bin/activate\` makes python its Python in this shell" \
		"(then: python train.py $(TRAIN_ARGS)); or type $(PY) instead of python."

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

# Ctrl-C reaches make and the recipe's shell as well as train.py, which saves a checkpoint, says
# how to resume and exits 130: the shell waits for it (trap), and that ending is no error of make's.
train: $(STAMP)
	@echo "$(PY) train.py $(TRAIN_ARGS)"
	@trap : INT; $(PY) train.py $(TRAIN_ARGS) || { status=$$?; [ $$status -eq 130 ] || exit $$status; }

# `make test` is what CI runs (.ci/run): the linter, then every test; `make test-fast` only the
# unit tests (pytest.ini describes the kinds), under two minutes. The tests but the cluster ones run
# in TEST_WORKERS processes (pytest-xdist; each file in one, so that its module fixtures run once);
# the cluster tests run after them, alone, since an xparl actor starved of CPU can miss its
# timeout. Both parts run even where the first fails; either failing fails the target.
TEST_WORKERS ?= 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	@status=0; \
	echo "$(PY) -m pytest tests -m 'not cluster' -n $(TEST_WORKERS) --dist loadfile"; \
	$(PY) -m pytest tests -m 'not cluster' -n $(TEST_WORKERS) --dist loadfile || status=1; \
	echo "$(PY) -m pytest tests -m cluster"; \
	$(PY) -m pytest tests -m cluster || status=1; \
	exit $$status

test-fast: $(STAMP)
	$(PY) -m pytest tests -m unit

# The generated parts of docs/: usage.md's flags from every --help, development.md's layout from the
# modules' docstrings (tests/test_docs.py fails while either is stale).
docs: $(STAMP)
	$(PY) scripts/usage_page.py
	$(PY) scripts/layout_page.py

clean:
	rm -rf $(VENV) $(V2_VENV) $(EXAMPLE_VENV) *.egg-info

# `make install-parl-example`: a third virtualenv, .venv-parl-example, in which PARL 2.x's own
# examples/PPO runs unmodified (scripts/parl_example.py): gym 0.25.2, the old step API the example
# is written for, on DeepMind's mujoco bindings, with numpy 1.26.
EXAMPLE_VENV := .venv-parl-example
EXAMPLE_STAMP := $(EXAMPLE_VENV)/.installed
install-parl-example: $(EXAMPLE_STAMP)

$(EXAMPLE_STAMP): requirements-parl-example.txt
	$(PYTHON) -m venv $(EXAMPLE_VENV)
	$(EXAMPLE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(EXAMPLE_VENV)/bin/python -m pip install --quiet -r requirements-parl-example.txt
	$(EXAMPLE_VENV)/bin/python -m pip install --quiet --no-deps parl==2.2.1
	touch $(EXAMPLE_STAMP)

# `make install-v2`: the opt-in literal stack, Gym 0.26's own mujoco-py tasks (HalfCheetah-v2, ...) on
# MuJoCo 2.1.0, in a second virtualenv, .venv-v2, rather than an extra of .venv: mujoco-py's extension
# is built against numpy < 2 and gym 0.26's checker calls np.bool8, so they need numpy 1.26, while the
# main stack pins numpy 2; one environment cannot hold both. Everything comes from PyPI and Debian:
# free-mujoco-py's wheel carries MuJoCo 2.1.0's binaries. Python 3.11: mujoco-py's builder imports
# distutils, which Python 3.12 removed.
PYTHON_V2 ?= python3.11
V2_VENV := .venv-v2
V2_PY := $(V2_VENV)/bin/python
V2_STAMP := $(V2_VENV)/.installed
# mujoco-py compiles its extension with gcc against OSMesa and GLEW, then patches it with patchelf:
# each Debian package it needs, and a file or command that tells it is there
V2_DEBS := gcc:gcc libosmesa6-dev:/usr/include/GL/osmesa.h libglew-dev:/usr/include/GL/glew.h patchelf:patchelf
v2_found = $(shell [ -e '$(1)' ] || command -v '$(1)' >/dev/null && echo yes)
V2_MISSING = $(strip $(foreach dep,$(V2_DEBS),$(if $(call v2_found,$(word 2,$(subst :, ,$(dep)))),,$(word 1,$(subst :, ,$(dep))))))
V2_CAN_APT = $(shell [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && echo yes)
# Why install-v2 cannot succeed on this machine, or nothing where it can (no commas: make's $(if))
V2_UNAVAILABLE = $(if $(call v2_found,$(PYTHON_V2)),$(if $(V2_MISSING),$(if $(V2_CAN_APT),,mujoco-py's build needs the Debian packages $(V2_MISSING); install them as root (apt-get install $(V2_MISSING)) and rerun)),no $(PYTHON_V2) here (mujoco-py's builder imports distutils: Python 3.11))

install-v2: $(V2_STAMP)

# One line saying why `make install-v2` cannot succeed here, or nothing (.ci/run asks before it).
v2-unavailable:
	@printf '%s' "$(V2_UNAVAILABLE)"

$(V2_STAMP): requirements-v2.txt setup.py
	@if [ -n "$(V2_UNAVAILABLE)" ]; then echo "make install-v2: $(V2_UNAVAILABLE)" >&2; exit 1; fi
	@if [ -n "$(V2_MISSING)" ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(V2_MISSING); fi
	$(PYTHON_V2) -m venv $(V2_VENV)
	$(V2_PY) -m pip install --quiet --upgrade pip
	$(V2_PY) -m pip install --quiet -r requirements-v2.txt
	$(V2_PY) -m pip install --quiet --no-deps parl==2.2.1
	@# its metadata says Python < 3.11 and numpy < 2; requirements-v2.txt holds what it really needs
	$(V2_PY) -m pip install --quiet --no-deps --ignore-requires-python free-mujoco-py==2.1.6
	$(V2_PY) -m pip install --quiet --no-deps -e .
	@# mujoco-py compiles its extension at its first import (about 90 s): here rather than at a user's first run
	$(V2_PY) -c "import mujoco_py"
	touch $(V2_STAMP)
