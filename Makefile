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

# Packaging (Documentation/packaging.rst).  dist: the source tree DKMS
# builds from, only what the modules need, in .build/dist/kvirtio-<version>
# and as a tarball next to it.  dkms-install: that tree into
# /usr/src/kvirtio-<version>, dkms add, build and install for KVER (default:
# the running kernel), and the udev rule for /dev/kvirtio into
# $(UDEV_RULES_DIR).  dkms-remove: every kvirtio version out of DKMS (and
# the kernels' module trees), its /usr/src copies and the udev rule.
.PHONY: dist dkms-install dkms-remove
KVIRTIO_VERSION := $(shell cat $(CURDIR)/VERSION)
DIST_DIR ?= $(CURDIR)/.build/dist
DIST_TREE := $(DIST_DIR)/kvirtio-$(KVIRTIO_VERSION)
KVER ?= $(shell uname -r)
# DKMS runs the kernel's make itself: keep this make's flags (-s, -j, the
# jobserver, variables given here) out of it, as for an automatic rebuild.
DKMS ?= env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES dkms
UDEV_RULES_DIR ?= /etc/udev/rules.d
# Set UDEVADM=true to leave the running udev alone (scripts/dkms-check.sh).
UDEVADM ?= udevadm

dist:
	@test -n "$(KVIRTIO_VERSION)" || { echo "dist: no ./VERSION"; exit 1; }
	rm -rf $(DIST_TREE) $(DIST_TREE).tar.gz
	mkdir -p $(DIST_TREE)
	find Kbuild VERSION drivers/kvirtio include/uapi -type f \
		\( -name Kbuild -o -name VERSION -o -name '*.[ch]' \) \
		! -name '*.mod.c' | LC_ALL=C sort | \
		xargs cp --parents -t $(DIST_TREE)
	if [ -d drivers/kvirtio/vdpa ]; then \
		sed '/^# BEGIN vdpa/,/^# END vdpa/{/^# \(BEGIN\|END\) vdpa/d}' dkms.conf; \
	else \
		sed '/^# BEGIN vdpa/,/^# END vdpa/d' dkms.conf; \
	fi | sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(KVIRTIO_VERSION)"/' \
		> $(DIST_TREE)/dkms.conf
	tar -C $(DIST_DIR) --owner=0 --group=0 -czf $(DIST_TREE).tar.gz \
		kvirtio-$(KVIRTIO_VERSION)
	@echo "dist: $(DIST_TREE) ($$(find $(DIST_TREE) -type f | wc -l) files)"

dkms-install: dist
	@test "$$(id -u)" -eq 0 || { echo "dkms-install: run as root"; exit 1; }
	@command -v dkms > /dev/null || { \
		echo "dkms-install: no dkms (apt-get install dkms)"; exit 1; }
	@test -e /lib/modules/$(KVER)/build || { \
		echo "dkms-install: no headers for $(KVER):" \
			"apt-get install linux-headers-$(KVER)"; exit 1; }
	# The same version again (a rebuild from a changed checkout) replaces it.
	if [ -n "$$($(DKMS) status -m kvirtio -v $(KVIRTIO_VERSION))" ]; then \
		$(DKMS) remove kvirtio/$(KVIRTIO_VERSION) --all; fi
	rm -rf /usr/src/kvirtio-$(KVIRTIO_VERSION)
	cp -a $(DIST_TREE) /usr/src/
	$(DKMS) add kvirtio/$(KVIRTIO_VERSION)
	$(DKMS) build kvirtio/$(KVIRTIO_VERSION) -k $(KVER)
	$(DKMS) install kvirtio/$(KVIRTIO_VERSION) -k $(KVER)
	install -D -m 0644 packaging/udev/60-kvirtio.rules \
		$(UDEV_RULES_DIR)/60-kvirtio.rules
	if command -v $(UDEVADM) > /dev/null; then \
		$(UDEVADM) control --reload && \
		$(UDEVADM) trigger --subsystem-match=misc \
			--sysname-match='kvirtio*'; \
	fi
	$(DKMS) status -m kvirtio

dkms-remove:
	@test "$$(id -u)" -eq 0 || { echo "dkms-remove: run as root"; exit 1; }
	for v in $$($(DKMS) status -m kvirtio 2>/dev/null | \
			sed -n 's|^kvirtio/\([^,:]*\)[,:].*|\1|p' | sort -u); do \
		$(DKMS) remove kvirtio/$$v --all || exit 1; \
		rm -rf /usr/src/kvirtio-$$v; \
	done
	rm -rf /usr/src/kvirtio-$(KVIRTIO_VERSION)
	rm -f $(UDEV_RULES_DIR)/60-kvirtio.rules
	if command -v $(UDEVADM) > /dev/null; then \
		$(UDEVADM) control --reload; fi
