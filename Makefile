# tsrun: build, test, conformance and benchmarks. `make help` lists targets.
SHELL := /bin/bash
# The package ships static executors for linux-x64 and linux-arm64, whatever
# the build host: the other one is cross-compiled (Debian's cross gcc and
# libc); on x64 its test runs it under qemu-user-static.
HOST_MACHINE := $(shell uname -m)
CROSS_PACKAGES_x86_64 := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
CROSS_PACKAGES_aarch64 := gcc-x86-64-linux-gnu libc6-dev-amd64-cross
DEBIAN_PACKAGES := build-essential musl-tools busybox-static linux-libc-dev procps util-linux iproute2 python3 protobuf-compiler uidmap podman clang-format $(CROSS_PACKAGES_$(HOST_MACHINE))
# What ../shared/criu/build.sh needs to build CRIU (criu/Makefile.packages), and
# iptables, which CRIU runs to lock the network during a dump; podman, conmon
# and runc for test/checkpoint/podman.test.ts (runc is its reference).
CRIU_PACKAGES := gcc make pkg-config libc6-dev libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler \
  protobuf-compiler python3-protobuf libnl-3-dev libnl-route-3-dev libnet1-dev libcap-dev uuid-dev \
  libbsd-dev libgnutls28-dev libnftables-dev iptables tar gzip podman conmon runc
CRIU_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tsrun-harness/criu
CC ?= gcc
# The host's own executor is linked with musl (musl-tools' musl-gcc): a static
# glibc program spends about 0.6 ms of CPU starting here (ifunc and CPU-feature
# set-up, 27 page faults against musl's 7), and the executor starts once per
# container (docs/bench.md, session 11). Debian has no cross musl: the other
# platform's executor is cross-compiled with glibc. executor.c builds with both.
EXECUTOR_CC ?= musl-gcc
CC_x64 := $(if $(filter x86_64,$(HOST_MACHINE)),$(EXECUTOR_CC),x86_64-linux-gnu-gcc)
CC_arm64 := $(if $(filter aarch64,$(HOST_MACHINE)),$(EXECUTOR_CC),aarch64-linux-gnu-gcc)
# musl's headers hold no kernel headers: musl-gcc sees linux-libc-dev's
# linux/, asm/ and asm-generic/ through these links, and nothing else of /usr/include.
KERNEL_HEADERS := .scratch/kernel-headers
# -s: it is copied into a sealed memfd at every start, so smaller is faster.
EXECUTOR_CFLAGS := -static -s -O2 -Wall -Wextra -Werror
EXECUTORS := dist/executor/linux-x64/tsrun-executor dist/executor/linux-arm64/tsrun-executor
ROOTFS := bundles/busybox/rootfs

.PHONY: help setup deps node-deps build gen executor pause bundle types pack typecheck check-deps lint format format-check rootfs criu demo test test-cgroup2 test-systemd test-engines test-shim conformance bench bench-shim clean

help:
	@echo "make setup        install Debian packages and npm packages, build, make the busybox rootfs, build CRIU"
	@echo "make criu         build CRIU from ../shared/criu into $(CRIU_DIR) (checkpoint/restore tests)"
	@echo "make demo         run bundles/busybox with bin/tsrun"
	@echo "make lint         lint the TypeScript (biome.json); make format / format-check: biome and clang-format"
	@echo "make test         run the test suite (as root: real namespaces, mounts and cgroups)"
	@echo "make typecheck    type-check the sources and the tests; make check-deps: imports follow the layers"
	@echo "make gen          regenerate the generated sources (instruction set, config types, syscalls, protos)"
	@echo "make test-cgroup2 run the cgroup v2 tests inside the cgroup2 VM"
	@echo "make test-systemd run the systemd cgroup driver tests (and runc side by side) inside the systemd VM"
	@echo "make test-engines drive bin/tsrun through private containerd, podman and docker"
	@echo "make test-shim    containerd-shim-tsrun-v2 under a private containerd, runc's shim as reference"
	@echo "make conformance  run the OCI runtime-tools validation suite against bin/tsrun"
	@echo "make bench        benchmark tsrun against runc and crun, then the shim (bench-shim)"
	@echo "make pack         build everything the npm package holds and write tsrun-VERSION.tgz"
	@echo "make bench-shim   containerd-shim-tsrun-v2 against containerd's runc shim (ctr run --rm, CRI pod, shim RSS)"

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

build: gen executor pause bundle

gen: src/native/generated/instruction-set.ts src/spec/generated/config.ts src/seccomp/generated/syscalls.ts src/checkpoint/generated/rpc_pb.ts src/shim/generated/protos.ts
# CRIU's RPC messages (proto/criu/rpc.proto, unmodified) as TypeScript for @bufbuild/protobuf.
src/checkpoint/generated/rpc_pb.ts: proto/criu/rpc.proto node_modules/.package-lock.json
	@mkdir -p $(@D)
	protoc --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es --es_out=$(@D) --es_opt=target=ts,import_extension=js -Iproto/criu $<
src/spec/generated/config.ts: scripts/gen-spec.mjs $(wildcard schema/*.json)
	node scripts/gen-spec.mjs
# containerd's shim API and ttrpc's envelope, from the upstream .proto files in proto/.
src/shim/generated/protos.ts src/ttrpc/generated/request.ts src/shim/generated/protos-codecs.ts src/ttrpc/generated/request-codecs.ts &: scripts/gen-proto.mjs $(shell find proto -name '*.proto')
	node scripts/gen-proto.mjs
# The executor's instruction set and sync protocol, for C and TypeScript, from
# one table (src/native/instruction-set.mjs).
# The script leaves unchanged files alone; touch them so make sees them as current.
src/native/generated/instruction-set.ts src/native/generated/instruction-set.h &: scripts/gen-instruction-set.mjs src/native/instruction-set.mjs
	node scripts/gen-instruction-set.mjs
	touch src/native/generated/instruction-set.ts src/native/generated/instruction-set.h
# Syscall numbers come from Debian's linux-libc-dev headers, never typed by hand.
src/seccomp/generated/syscalls.ts: scripts/gen-syscalls.mjs
	node scripts/gen-syscalls.mjs

# The pod sandbox process of the CRI tests' pause image (test/shim/cri.test.ts), for this machine only.
pause: dist/pause/tsrun-pause
dist/pause/tsrun-pause: src/pause/pause.c
	@mkdir -p $(@D)
	$(CC) $(EXECUTOR_CFLAGS) -o $@ $<

executor: $(EXECUTORS)
dist/executor/linux-%/tsrun-executor: src/native/executor.c src/native/generated/instruction-set.h | $(KERNEL_HEADERS)
	@mkdir -p $(@D)
	$(CC_$*) $(EXECUTOR_CFLAGS) $(if $(filter musl-gcc,$(CC_$*)),-isystem $(KERNEL_HEADERS)) -o $@ $<
$(KERNEL_HEADERS):
	mkdir -p $@
	ln -sfn /usr/include/linux $@/linux
	ln -sfn /usr/include/$$(gcc -print-multiarch)/asm $@/asm
	ln -sfn /usr/include/asm-generic $@/asm-generic

bundle: gen
	TSRUN_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) node scripts/build.mjs
	node scripts/code-cache.mjs

# The package's declarations (package.json "types"), from what src/index.ts
# exports. Not part of `build`: tsc takes seconds, and only the package needs them.
TS_SOURCES := $(shell find src -name '*.ts')
types: dist/types/index.d.ts
dist/types/index.d.ts: tsconfig.types.json $(TS_SOURCES) src/spec/generated/config.ts src/seccomp/generated/syscalls.ts src/native/generated/instruction-set.ts
	rm -rf dist/types
	npx tsc -p tsconfig.types.json && node scripts/prune-types.mjs || { rm -rf dist/types; exit 1; }

pack: build types
	npm pack --ignore-scripts

# Imports between src/ folders follow the one allowed direction (the table is in the script).
check-deps:
	node scripts/check-deps.mjs

# The sources (as the library's declarations are built) and the tests.
typecheck: gen
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.test.json

# Biome lints and formats the TypeScript and scripts (biome.json), clang-format
# the executor's C (.clang-format). `make format` rewrites, `format-check` only reports.
lint: node-deps
	npx biome lint .
format: node-deps
	npx biome format --write .
	clang-format -i src/native/executor.c src/pause/pause.c
format-check: node-deps
	npx biome format .
	clang-format --dry-run --Werror src/native/executor.c src/pause/pause.c

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
# cgroup v2 hierarchy (the v2 driver, the eBPF device filter, OOM events and
# the executor's CGROUP_JOIN); the rest of test/cgroups runs on the host in
# `make test`.
test-cgroup2: build
	TSRUN_VM_TIMEOUT=$${TSRUN_VM_TIMEOUT:-2700} ../shared/cgroup2-vm/run-in-vm.sh 'TSRUN_TEST_TIMEOUT=1500 TSRUN_EXPECT_CGROUP=v2 test/run.sh test/cgroups/v2.test.ts test/cgroups/bpf.test.ts test/library/oom.test.ts test/cgroups/join.test.ts'

# The systemd cgroup driver needs systemd as PID 1: ../shared/systemd-vm
# boots Debian 12 with systemd on cgroup v2 (it builds its image and installs
# what it needs on first use), one boot for the whole batch.
# containerd and podman are added to the guest's image (built once, cached);
# their system services are masked: the batch starts its own containerd.
SYSTEMD_VM ?= ../shared/systemd-vm
SYSTEMD_VM_PKGS = containerd podman
SYSTEMD_VM_MASK = containerd.service podman.service podman.socket podman-restart.service podman-auto-update.timer
test-systemd: build rootfs
	TSRUN_VM_EXTRA_PKGS="$(SYSTEMD_VM_PKGS)" TSRUN_VM_CMDLINE="$(SYSTEMD_VM_MASK:%=systemd.mask=%)" \
	  TSRUN_VM_TIMEOUT=$${TSRUN_VM_TIMEOUT:-1800} $(SYSTEMD_VM)/run-in-vm.sh test/systemd/vm-batch.sh

test-engines: build rootfs
	test/engines/run.sh --runtime $(CURDIR)/bin/tsrun

# ctr scenarios through tsrun's shim (io.containerd.tsrun.v2), then the same
# through io.containerd.runc.v2 with runc, in one run (test/engines/shim-lib.sh).
# containerd's runc shim with runc runs first, as the reference: its results
# are shown for comparison but do not count (runc 1.1.5 itself leaves a
# cgroup2 directory behind in one scenario on this hybrid host). The last
# "N passed, M failed" line sums tsrun's shim's ctr scenarios and the CRI
# test (test/shim/cri.test.ts: the Kubernetes node path through containerd's
# CRI plugin, with tsrun's shim, runc's shim + tsrun and runc's shim + runc).
test-shim: build rootfs
	test/engines/run.sh --engine shim-runc || echo "test-shim: the reference (runc's shim + runc) had failures; they are not counted"
	@out=$$(mktemp); \
	test/engines/run.sh --no-setup --engine shim-tsrun | tee $$out; a=$${PIPESTATUS[0]}; \
	TSRUN_TEST_TIMEOUT=900 test/run.sh test/shim/cri.test.ts | tee -a $$out; b=$${PIPESTATUS[0]}; \
	grep -E '^[0-9]+ passed, [0-9]+ failed' $$out | awk '{p += $$1; f += $$3} END {print p " passed, " f " failed"}'; \
	rm -f $$out; [ $$a = 0 ] && [ $$b = 0 ]

conformance: build rootfs
	scripts/conformance.sh

bench: build rootfs
	bench/run.sh
	bench/shim.sh

bench-shim: build rootfs
	bench/shim.sh

clean:
	rm -rf dist .scratch src/spec/generated src/native/generated $(ROOTFS)
