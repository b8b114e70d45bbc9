# Thin wrappers over the commands the README shows. Everything the project needs is installed here.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERIOD ?=

.PHONY: book test data pipeline bench clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/python -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'lds_utils.pth').write_text('$(CURDIR)\n')"
	touch $@

## Build the versioned book for PERIOD (default: latest month with data); prepares the demo lake/ as needed.
book: $(STAMP)
	$(BIN)/python -m lds_utils book $(if $(PERIOD),--period $(PERIOD))

## Run every test: unit, SQL parity, and the notebooks under nbval.
test: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider

data: $(STAMP)
	$(BIN)/python -m lds_utils generate

pipeline: $(STAMP)
	$(BIN)/python -m lds_utils pipeline $(if $(PERIOD),--period $(PERIOD))

## Scale benchmark (~30 min): writes bench/results/escala.json, read by the 'Escalabilidad' appendix.
bench: $(STAMP)
	$(BIN)/python bench/bench_scale.py

clean:
	rm -rf lake _build
