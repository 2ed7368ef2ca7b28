# Two commands on a fresh machine (Python 3.11+, pip, make):
#   make run    code the bundled sample reports into eventcoder.db, print them, link reports of one event
#   make test   run the test suite
#   make serve  review, correct and export the records of eventcoder.db in the browser (after make run)
# Both create .venv/ in the repository root and install the pinned dependencies once.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test serve evaluate clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/eventcoder extract --samples --db eventcoder.db --out out/samples.jsonl
	$(VENV)/bin/eventcoder link --db eventcoder.db

serve: $(STAMP)
	$(VENV)/bin/eventcoder serve --db eventcoder.db

test: $(STAMP)
	$(PY) -m pytest -q

evaluate: $(STAMP)
	$(VENV)/bin/eventcoder evaluate muc4 --split dev

clean:
	rm -rf $(VENV) out eventcoder.db eventcoder.db-wal eventcoder.db-shm
