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
CFLAGS = -O3 -fno-math-errno -funroll-loops -Wall -Wextra

deps = kissfft-float libebur128
cflags = -std=c99 -fvisibility=hidden $(shell pkg-config --cflags $(deps))
ldlibs = $(shell pkg-config --libs $(deps)) -lm

datafiles = $(wildcard help/*.pd) $(wildcard abstractions/*.pd) \
	$(wildcard abstractions/*.txt) smartmaster-meta.pd README.md LICENSE.txt \
	CHANGELOG.md
datadirs = examples

PDLIBBUILDER_DIR ?= /usr/share/pd-lib-builder
include $(PDLIBBUILDER_DIR)/Makefile.pdlibbuilder

# ---------------------------------------------------------------- tests

.PHONY: test check bench style

test check: all
	tests/run

bench: all
	tests/bench/run

style:
	clang-format -i externals/*.c externals/dsp/*.[ch] externals/shared/*.[ch] \
		tests/unit/*.c tests/bench/*.c
