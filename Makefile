# Thin wrappers over the commands the README shows. Everything the project needs is installed here.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERIOD ?=
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: book test chromium data pipeline mes bench bench-ciclo eval-deteccion clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/python -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'lds_utils.pth').write_text('$(CURDIR)\n')"
	touch $@

## Build the versioned book for PERIOD (default: latest month with data); prepares the demo lake/ as needed.
book: $(STAMP)
	$(BIN)/python -m lds_utils book $(if $(PERIOD),--period $(PERIOD))

## Run every test: unit, SQL parity, the book in headless Chromium, and the notebooks under nbval.
test: $(STAMP) chromium
	$(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider

## Debian's Chromium for tests/test_browser.py, installed with apt-get when missing (sudo unless root).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

data: $(STAMP)
	$(BIN)/python -m lds_utils generate

pipeline: $(STAMP)
	$(BIN)/python -m lds_utils pipeline $(if $(PERIOD),--period $(PERIOD))

## Publish the month PERIOD (required): its pipeline run, alerts and book edition, then a summary.
mes: $(STAMP)
	@test -n "$(PERIOD)" || { echo "error: give the month as make mes PERIOD=YYYY-MM" >&2; exit 2; }
	$(BIN)/python -m lds_utils mes --period $(PERIOD)

## Scale benchmark (~16 min): writes bench/results/escala.json, read by the 'Escalabilidad' appendix.
bench: $(STAMP)
	$(BIN)/python bench/bench_scale.py

## Monthly cycle benchmark at 1.3 M customers: writes bench/results/ciclo.json, read by the same appendix.
bench-ciclo: $(STAMP)
	$(BIN)/python bench/bench_cycle.py

## Detection targets on the held-out seed (100,000 customers, seed 7; ~15 min with the smart meters' data): writes
## bench/results/deteccion.json, read by the validation chapter.
eval-deteccion: $(STAMP)
	$(BIN)/python bench/eval_detection.py --clientes 100000 --seed 7 --resultados bench/results/deteccion.json

clean:
	rm -rf lake _build
