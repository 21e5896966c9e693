# tsrun: build, test, conformance and benchmarks. `make help` lists targets.
SHELL := /bin/bash
DEBIAN_PACKAGES := build-essential busybox-static linux-libc-dev procps util-linux python3
CC ?= gcc
# -s: it is copied into a sealed memfd at every start, so smaller is faster.
EXECUTOR_CFLAGS := -static -s -O2 -Wall -Wextra -Werror
ROOTFS := bundles/busybox/rootfs

.PHONY: help setup deps node-deps build gen executor flock bundle typecheck rootfs demo test test-cgroup2 test-engines conformance bench clean

help:
	@echo "make setup        install Debian packages and npm packages, build, make the busybox rootfs"
	@echo "make demo         run bundles/busybox with bin/tsrun"
	@echo "make test         run the test suite (as root: real namespaces, mounts and cgroups)"
	@echo "make test-cgroup2 run the cgroup v2 tests inside the cgroup2 VM"
	@echo "make test-engines drive bin/tsrun through private containerd, podman and docker"
	@echo "make conformance  run the OCI runtime-tools validation suite against bin/tsrun"
	@echo "make bench        benchmark tsrun against runc and crun"

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

build: gen executor flock bundle

gen: src/spec/generated/config.ts src/seccomp/generated/syscalls.ts
src/spec/generated/config.ts: scripts/gen-spec.mjs $(wildcard schema/*.json)
	node scripts/gen-spec.mjs
# Syscall numbers come from Debian's linux-libc-dev headers, never typed by hand.
src/seccomp/generated/syscalls.ts: scripts/gen-syscalls.mjs
	node scripts/gen-syscalls.mjs

executor: dist/tsrun-executor
dist/tsrun-executor: src/native/executor.c
	@mkdir -p dist
	$(CC) $(EXECUTOR_CFLAGS) -o $@ $<

# flock(2) for the per-container lock (src/state/lock.ts): a Node-API addon,
# built against the headers of the node that runs tsrun.
NODE_INCLUDE := $(shell node -p "require('path').resolve(process.execPath, '../../include/node')" 2>/dev/null)
flock: dist/tsrun-flock.node
dist/tsrun-flock.node: src/native/flock.c
	@mkdir -p dist
	@test -f $(NODE_INCLUDE)/node_api.h || { echo "node_api.h not found in $(NODE_INCLUDE) (Node's headers)"; exit 1; }
	$(CC) -shared -fPIC -O2 -s -Wall -Wextra -Werror -I$(NODE_INCLUDE) -o $@ $<

bundle: gen
	TSRUN_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) node scripts/build.mjs
	node scripts/code-cache.mjs

# The sources (as the library's declarations are built) and the tests.
typecheck: gen
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.test.json

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

conformance: build rootfs
	scripts/conformance.sh

bench: build rootfs
	bench/run.sh

clean:
	rm -rf dist src/spec/generated $(ROOTFS)
