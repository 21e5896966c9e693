# tsrun: build, test, conformance and benchmarks. `make help` lists targets.
SHELL := /bin/bash
DEBIAN_PACKAGES := build-essential busybox-static linux-libc-dev procps util-linux python3
CC ?= gcc
# -s: it is copied into a sealed memfd at every start, so smaller is faster.
EXECUTOR_CFLAGS := -static -s -O2 -Wall -Wextra -Werror
ROOTFS := bundles/busybox/rootfs

.PHONY: help setup deps node-deps build gen executor bundle typecheck rootfs demo test test-cgroup2 test-engines test-shim conformance bench bench-shim clean

help:
	@echo "make setup        install Debian packages and npm packages, build, make the busybox rootfs"
	@echo "make demo         run bundles/busybox with bin/tsrun"
	@echo "make test         run the test suite (as root: real namespaces, mounts and cgroups)"
	@echo "make test-cgroup2 run the cgroup v2 tests inside the cgroup2 VM"
	@echo "make test-engines drive bin/tsrun through private containerd, podman and docker"
	@echo "make test-shim    containerd-shim-tsrun-v2 under a private containerd, runc's shim as reference"
	@echo "make conformance  run the OCI runtime-tools validation suite against bin/tsrun"
	@echo "make bench        benchmark tsrun against runc and crun"
	@echo "make bench-shim   containerd-shim-tsrun-v2 against containerd's runc shim (ctr run --rm, shim RSS)"

setup: deps node-deps build rootfs

# Installs only what is missing, so a second `make setup` does not touch apt.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

node-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: gen executor bundle

gen: src/spec/generated/config.ts src/seccomp/generated/syscalls.ts src/shim/generated/protos.ts
src/spec/generated/config.ts: scripts/gen-spec.mjs $(wildcard schema/*.json)
	node scripts/gen-spec.mjs
# containerd's shim API and ttrpc's envelope, from the upstream .proto files in proto/.
src/shim/generated/protos.ts src/ttrpc/generated/request.ts &: scripts/gen-proto.mjs $(shell find proto -name '*.proto')
	node scripts/gen-proto.mjs
# Syscall numbers come from Debian's linux-libc-dev headers, never typed by hand.
src/seccomp/generated/syscalls.ts: scripts/gen-syscalls.mjs
	node scripts/gen-syscalls.mjs

executor: dist/tsrun-executor
dist/tsrun-executor: src/native/executor.c
	@mkdir -p dist
	$(CC) $(EXECUTOR_CFLAGS) -o $@ $<

bundle: gen
	TSRUN_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) node scripts/build.mjs
	node scripts/code-cache.mjs

typecheck: gen
	npx tsc -p tsconfig.json --noEmit

rootfs: $(ROOTFS)/bin/busybox
$(ROOTFS)/bin/busybox: scripts/make-rootfs.sh
	scripts/make-rootfs.sh $(ROOTFS)

demo: build rootfs
	bin/tsrun run --bundle bundles/busybox tsrun-demo-$$$$

test: build rootfs
	test/run.sh

# Emulated, a test file takes minutes to load: run the suites that need a
# cgroup v2 hierarchy (the v2 driver and the eBPF device filter); the rest of
# test/cgroups runs on the host in `make test`.
test-cgroup2: build
	TSRUN_VM_TIMEOUT=$${TSRUN_VM_TIMEOUT:-2700} ../shared/cgroup2-vm/run-in-vm.sh 'TSRUN_TEST_TIMEOUT=1500 test/run.sh test/cgroups/v2.test.ts test/cgroups/bpf.test.ts'

test-engines: build rootfs
	test/engines/run.sh --runtime $(CURDIR)/bin/tsrun

# ctr scenarios through tsrun's shim (io.containerd.tsrun.v2), then the same
# through io.containerd.runc.v2 with runc, in one run (test/engines/shim-lib.sh).
test-shim: build rootfs
	test/engines/run.sh --engine shim-tsrun --engine shim-runc

conformance: build rootfs
	scripts/conformance.sh

bench: build rootfs
	bench/run.sh

bench-shim: build rootfs
	bench/shim.sh

clean:
	rm -rf dist src/spec/generated $(ROOTFS)
