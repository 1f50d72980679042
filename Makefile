# SPDX-License-Identifier: GPL-2.0-only
#
# kvirtio top-level Makefile.  Kbuild reads ./Kbuild, not this file; this
# file only drives builds and tests.  See README.md and
# Documentation/testing.rst.

KDIR ?= /lib/modules/$(shell uname -r)/build
FUZZ_SECONDS ?= 60

.PHONY: all modules clean distclean deps check headers-check kunit \
	kunit-kasan kunit-debug tools-test fuzz

# Build kvirtio.ko against $(KDIR) (default: the running kernel's headers).
all: modules
modules:
	@test -f "$(KDIR)/Makefile" || { \
		echo "kvirtio: no kernel build tree at KDIR=$(KDIR)."; \
		echo "  Install the headers of the target kernel, or pass"; \
		echo "  KDIR=/path/to/linux-headers-<version> (make headers-check"; \
		echo "  builds against Debian's 6.1 and 6.12 headers without this)."; \
		exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_KVIRTIO=m modules

# Remove build products from the work tree (in-place module build, tools/).
clean:
	find drivers kunit include -name .build -prune -o -type f \( \
		-name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.o.d' -o -name '*.a' \) -print0 | \
		xargs -0r rm -f
	rm -f modules.order Module.symvers .*.cmd
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi

# Also drop .build/: the unpacked kernel source, header sets and KUnit builds
# (the next check is a cold one, about 10 minutes).
distclean: clean
	rm -rf .build

# Install the Debian packages every stage needs (only the missing ones).
deps:
	scripts/deps.sh all

# Every test: builds, lint, userspace, KUnit, KUnit+KASAN, KUnit+lockdep,
# fuzz, e2e.
check:
	scripts/check.sh

# W=1 builds against Debian 6.1 and 6.12 headers, sparse, checkpatch.
headers-check:
	scripts/build-module.sh all

# KUnit suites in a UML kernel: plain, with KASAN, and with lockdep,
# might_sleep() checks and debug objects (any kernel report fails it).
kunit:
	scripts/kunit.sh
kunit-kasan:
	scripts/kunit.sh --kasan
kunit-debug:
	scripts/kunit.sh --debug

# Userspace unit tests of the host-agnostic core (tools/Makefile).
tools-test:
	$(MAKE) -C tools test

# libFuzzer smoke run over the core (tools/Makefile).
fuzz:
	$(MAKE) -C tools fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# Nested end-to-end tests (Documentation/e2e.rst): Debian 6.12 under QEMU
# TCG runs kvirtio.ko and tools/vmm.  demo: the guest on kvirtio devices
# and a kernel-vs-user latency comparison; e2e: every scenario.
.PHONY: demo e2e
demo:
	scripts/e2e/demo.sh
e2e:
	scripts/e2e/full.sh

# Latency and IOPS of kvirtio against userspace backends in one nested run
# (Documentation/performance.rst): CSVs, table, CDF plot and a profile in
# .build/bench.  BENCH_ARGS passes options to scripts/bench/run.sh, e.g.
# "--no-qemu" or "--rounds 5".
.PHONY: bench
bench:
	scripts/bench/run.sh $(BENCH_ARGS)
