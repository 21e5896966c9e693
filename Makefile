# tsrun: build, test, conformance and benchmarks. `make help` lists targets.
SHELL := /bin/bash
# The package ships static executors for linux-x64 and linux-arm64, whatever
# the build host: the other one is cross-compiled (Debian's cross gcc and
# libc); on x64 its test runs it under qemu-user-static.
HOST_MACHINE := $(shell uname -m)
CROSS_PACKAGES_x86_64 := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
CROSS_PACKAGES_aarch64 := gcc-x86-64-linux-gnu libc6-dev-amd64-cross
DEBIAN_PACKAGES := build-essential busybox-static linux-libc-dev procps util-linux python3 protobuf-compiler $(CROSS_PACKAGES_$(HOST_MACHINE))
# What ../shared/criu/build.sh needs to build CRIU (criu/Makefile.packages), and
# iptables, which CRIU runs to lock the network during a dump.
CRIU_PACKAGES := gcc make pkg-config libc6-dev libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler \
  protobuf-compiler python3-protobuf libnl-3-dev libnl-route-3-dev libnet1-dev libcap-dev uuid-dev \
  libbsd-dev libgnutls28-dev libnftables-dev iptables tar gzip
CRIU_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tsrun-harness/criu
CC ?= gcc
CC_x64 := $(if $(filter x86_64,$(HOST_MACHINE)),$(CC),x86_64-linux-gnu-gcc)
CC_arm64 := $(if $(filter aarch64,$(HOST_MACHINE)),$(CC),aarch64-linux-gnu-gcc)
# -s: it is copied into a sealed memfd at every start, so smaller is faster.
EXECUTOR_CFLAGS := -static -s -O2 -Wall -Wextra -Werror
EXECUTORS := dist/executor/linux-x64/tsrun-executor dist/executor/linux-arm64/tsrun-executor
ROOTFS := bundles/busybox/rootfs

.PHONY: help setup deps node-deps build gen executor bundle types pack typecheck rootfs criu demo test test-cgroup2 test-systemd test-engines test-shim conformance bench bench-shim clean

help:
	@echo "make setup        install Debian packages and npm packages, build, make the busybox rootfs, build CRIU"
	@echo "make criu         build CRIU from ../shared/criu into $(CRIU_DIR) (checkpoint/restore tests)"
	@echo "make demo         run bundles/busybox with bin/tsrun"
	@echo "make test         run the test suite (as root: real namespaces, mounts and cgroups)"
	@echo "make test-cgroup2 run the cgroup v2 tests inside the cgroup2 VM"
	@echo "make test-systemd run the systemd cgroup driver tests (and runc side by side) inside the systemd VM"
	@echo "make test-engines drive bin/tsrun through private containerd, podman and docker"
	@echo "make test-shim    containerd-shim-tsrun-v2 under a private containerd, runc's shim as reference"
	@echo "make conformance  run the OCI runtime-tools validation suite against bin/tsrun"
	@echo "make bench        benchmark tsrun against runc and crun"
	@echo "make pack         build everything the npm package holds and write tsrun-VERSION.tgz"
	@echo "make bench-shim   containerd-shim-tsrun-v2 against containerd's runc shim (ctr run --rm, shim RSS)"

setup: deps node-deps build rootfs criu

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

gen: src/spec/generated/config.ts src/seccomp/generated/syscalls.ts src/checkpoint/generated/rpc_pb.ts src/shim/generated/protos.ts
# CRIU's RPC messages (proto/criu/rpc.proto, unmodified) as TypeScript for @bufbuild/protobuf.
src/checkpoint/generated/rpc_pb.ts: proto/criu/rpc.proto node_modules/.package-lock.json
	@mkdir -p $(@D)
	protoc --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es --es_out=$(@D) --es_opt=target=ts,import_extension=js -Iproto/criu $<
src/spec/generated/config.ts: scripts/gen-spec.mjs $(wildcard schema/*.json)
	node scripts/gen-spec.mjs
# containerd's shim API and ttrpc's envelope, from the upstream .proto files in proto/.
src/shim/generated/protos.ts src/ttrpc/generated/request.ts &: scripts/gen-proto.mjs $(shell find proto -name '*.proto')
	node scripts/gen-proto.mjs
# Syscall numbers come from Debian's linux-libc-dev headers, never typed by hand.
src/seccomp/generated/syscalls.ts: scripts/gen-syscalls.mjs
	node scripts/gen-syscalls.mjs

executor: $(EXECUTORS)
dist/executor/linux-%/tsrun-executor: src/native/executor.c
	@mkdir -p $(@D)
	$(or $(CC_$*),$(CC)) $(EXECUTOR_CFLAGS) -o $@ $<

bundle: gen
	TSRUN_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) node scripts/build.mjs
	node scripts/code-cache.mjs

# The package's declarations (package.json "types"), from what src/index.ts
# exports. Not part of `build`: tsc takes seconds, and only the package needs them.
TS_SOURCES := $(shell find src -name '*.ts')
types: dist/types/index.d.ts
dist/types/index.d.ts: tsconfig.types.json $(TS_SOURCES) src/spec/generated/config.ts src/seccomp/generated/syscalls.ts
	rm -rf dist/types
	npx tsc -p tsconfig.types.json && node scripts/prune-types.mjs || { rm -rf dist/types; exit 1; }

pack: build types
	npm pack --ignore-scripts

# The sources (as the library's declarations are built) and the tests.
typecheck: gen
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.test.json

rootfs: $(ROOTFS)/bin/busybox
$(ROOTFS)/bin/busybox: scripts/make-rootfs.sh
	scripts/make-rootfs.sh $(ROOTFS)

# CRIU v4.2 from the source in ../shared/criu (Debian's 3.17 cannot run on this
# kernel), about a minute. CI (CI=true) builds it every run; elsewhere an
# existing 4.2 is kept. A failed build or `criu check` does not fail setup:
# the checkpoint tests then skip and say why.
criu:
	@missing=$$(for p in $(CRIU_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for CRIU: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@if [ "$${CI:-}" != true ] && [ -x $(CRIU_DIR)/bin/criu ] && $(CRIU_DIR)/bin/criu --version | grep -q 'Version: 4.2$$'; then \
	  echo "criu: $(CRIU_DIR)/bin/criu is CRIU 4.2 already"; \
	else \
	  CRIU_DIR=$(CRIU_DIR) ../shared/criu/build.sh || echo "criu: build or check failed; the checkpoint tests will skip"; \
	fi

demo: build rootfs
	bin/tsrun run --bundle bundles/busybox tsrun-demo-$$$$

test: build rootfs
	test/run.sh

# Emulated, a test file takes minutes to load: run the suites that need a
# cgroup v2 hierarchy (the v2 driver and the eBPF device filter); the rest of
# test/cgroups runs on the host in `make test`.
test-cgroup2: build
	TSRUN_VM_TIMEOUT=$${TSRUN_VM_TIMEOUT:-2700} ../shared/cgroup2-vm/run-in-vm.sh 'TSRUN_TEST_TIMEOUT=1500 test/run.sh test/cgroups/v2.test.ts test/cgroups/bpf.test.ts'

# The systemd cgroup driver needs systemd as PID 1: ../shared/systemd-vm
# boots Debian 12 with systemd on cgroup v2 (it builds its image and installs
# what it needs on first use), one boot for the whole batch.
test-systemd: build rootfs
	TSRUN_VM_TIMEOUT=$${TSRUN_VM_TIMEOUT:-2400} ../shared/systemd-vm/run-in-vm.sh test/systemd/vm-batch.sh

test-engines: build rootfs
	test/engines/run.sh --runtime $(CURDIR)/bin/tsrun

# ctr scenarios through tsrun's shim (io.containerd.tsrun.v2), then the same
# through io.containerd.runc.v2 with runc, in one run (test/engines/shim-lib.sh).
# containerd's runc shim with runc runs first, as the reference: its results
# are shown for comparison but do not count (runc 1.1.5 itself leaves a
# cgroup2 directory behind in one scenario on this hybrid host). The last
# "N passed, M failed" line is tsrun's shim's.
test-shim: build rootfs
	test/engines/run.sh --engine shim-runc || echo "test-shim: the reference (runc's shim + runc) had failures; they are not counted"
	test/engines/run.sh --no-setup --engine shim-tsrun

conformance: build rootfs
	scripts/conformance.sh

bench: build rootfs
	bench/run.sh

bench-shim: build rootfs
	bench/shim.sh

clean:
	rm -rf dist src/spec/generated $(ROOTFS)
