# smartmaster - Pd externals and abstractions for mixing and mastering.
# Built with pd-lib-builder (Debian's package by default).

lib.name = smartmaster

class.sources = $(wildcard externals/*.c)

# The DSP core (no Pd headers) and the shared Pd glue helpers are linked
# statically into every class.
common.sources = $(wildcard externals/dsp/*.c) $(wildcard externals/shared/*.c)

# Our own optimisation flags: pd-lib-builder's default CFLAGS contain
# -ffast-math, which turns isnan()/isfinite() into constants. It only fills
# CFLAGS when they are empty, so setting them here wins and a user can still
# override them on the command line.
CFLAGS = -O3 -ffp-contract=fast -fno-math-errno -funroll-loops -Wall -Wextra

deps = kissfft-float libebur128
cflags = -std=c99 -fvisibility=hidden $(shell pkg-config --cflags $(deps))
ldlibs = $(shell pkg-config --libs $(deps)) -lm

datafiles = $(wildcard help/*.pd) $(wildcard abstractions/*.pd) \
	$(wildcard abstractions/*.txt) smartmaster-meta.pd README.md LICENSE.txt \
	CHANGELOG.md
datadirs = examples

PDLIBBUILDER_DIR ?= /usr/share/pd-lib-builder

ifeq ($(wildcard $(PDLIBBUILDER_DIR)/Makefile.pdlibbuilder),)
# A fresh machine: install the Debian packages first, then run the same goal.
all install clean:
	scripts/deps
	@test -f $(PDLIBBUILDER_DIR)/Makefile.pdlibbuilder || \
	  { echo "pd-lib-builder not found in $(PDLIBBUILDER_DIR)"; exit 1; }
	$(MAKE) $@
else
include $(PDLIBBUILDER_DIR)/Makefile.pdlibbuilder
endif

# ------------------------------------------------- tests, bench, report

.PHONY: test check bench master report style

# The suite: C unit tests, Pd tests, patches opened, robustness sweep.
test check:
	scripts/deps test
	$(MAKE) all
	tests/run

bench:
	scripts/deps bench
	$(MAKE) all
	tests/bench/run

# The main job: master WAV=file (default: the demo song) to TARGET (default
# spotify) into OUT (default master.wav) and print the before/after report.
WAV ?=
OUT ?= master.wav
TARGET ?= spotify
master:
	scripts/deps
	$(MAKE) all
	./smartmaster $(WAV) -o $(OUT) --target $(TARGET)

# A loudness report of WAV=file (or of a demo signal).
report:
	scripts/deps
	$(MAKE) all
	examples/loudness-report $(WAV)

style:
	clang-format -i externals/*.c externals/dsp/*.[ch] externals/shared/*.[ch] \
		tests/unit/*.c tests/bench/*.c
