# SPDX-License-Identifier: GPL-2.0-only
# hostprof build: CO-RE BPF objects -> bpftool skeletons -> one userspace binary; plus tests,
# sanitizer builds and benchmarks. Everything lands in build/ ("make clean" removes it).

BUILD     ?= build
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
SC_ARCH   := $(shell uname -m)
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CC        ?= cc
PKGS      := libbpf libelf zlib libcjson libmicrohttpd liblzma
VERSION   := 0.1.0
GIT_REV   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	     -DHOSTPROF_VERSION='"$(VERSION)+$(GIT_REV)"' \
	     -MMD -MP -Iinclude -Iuser -I$(BUILD) -I$(BUILD)/gen \
	     $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -liberty -lpthread -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Iinclude \
	      -Wall -Werror
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# user/ is layered in folders (see docs/ARCHITECTURE.md); every object but main.o goes into one
# static library that the agent, unit tests, tools, fuzz targets and benchmarks link, so a new
# file needs no Makefile edit and each program pulls in only the objects it uses.
USER_SRCS := $(shell find user -name '*.c' | LC_ALL=C sort)
LIB_SRCS  := $(filter-out user/main.c,$(USER_SRCS))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
SAN_LIB_OBJS := $(patsubst user/%.c,$(BUILD)/san/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/obj/libhostprof.a
SAN_LIB   := $(BUILD)/san/libhostprof.a
GEN       := $(BUILD)/gen/syscall_names.inc
# Compat ABIs' tables (i386 = ia32, x32), named apart from the native calls; compiled in on x86_64.
GEN       += $(BUILD)/gen/syscall_names_i386.inc $(BUILD)/gen/syscall_names_x32.inc
# The flame graph page is a real file (user/export/flamegraph.html), turned into a C array in
# build/gen/ and compiled into the library like any user/ object; editing the page rebuilds it.
LIB_OBJS  += $(BUILD)/obj/gen/flamegraph_html.o
SAN_LIB_OBJS += $(BUILD)/san/gen/flamegraph_html.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNITS     := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNIT_SRCS))
WORKLOADS := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(wildcard tests/workloads/*.c))

# Quiet by default ("  CC  build/obj/agent.o"); V=1 shows every command.
ifeq ($(V),1)
Q   :=
msg :=
else
Q   := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# A recipe that fails (e.g. "bpftool gen skeleton > file") must not leave a file make then trusts.
.DELETE_ON_ERROR:

.PHONY: all deps deps-test deps-bench run test unit e2e unit-build e2e-build bench clean vmlinux \
	syscall-table format soak lint deploy-test
.DEFAULT_GOAL := all

all: $(BUILD)/hostprof

# --- set-up ---------------------------------------------------------------------------------
BUILD_DEBS := clang make gcc pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev \
	      libcjson-dev libmicrohttpd-dev linux-libc-dev liblzma-dev libiberty-dev
TEST_DEBS  := libcmocka-dev prometheus curl python3 iproute2 util-linux procps binutils xz-utils \
	      golang-go linux-perf chromium libclang-rt-14-dev nftables openssl \
	      python3-kubernetes python3-yaml buildah debootstrap
BENCH_DEBS := bpftrace bc curl python3 linux-perf stress-ng iperf3
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "missing packages: $$missing (run as root: sudo make $@)"; exit 1; fi; \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef
deps:
	$(call apt_install,$(BUILD_DEBS))
deps-test: deps
	$(call apt_install,$(TEST_DEBS))
deps-bench: deps
	$(call apt_install,$(BENCH_DEBS))

# Recursive make: pkg-config flags are computed when the Makefile is read, which on a fresh
# machine is before "deps" has installed the libraries.
run: deps
	$(MAKE) --no-print-directory all
	$(BUILD)/hostprof serve $(ARGS)

# --- BPF ------------------------------------------------------------------------------------
# One rule for every BPF program, the agent's (bpf/ -> build/) and the benchmarks' baselines
# (tests/bench/ -> build/bench/): compile, link with bpftool (strips DWARF; BTF stays for CO-RE),
# generate the skeleton. Header dependencies come from clang's -MMD files.
define bpf_rules
$(2)/bpf/%.bpf.o: $(1)/%.bpf.c | $(2)/bpf
	$$(call msg,BPF,$$@)
	$$(Q)$$(CLANG) $$(BPF_CFLAGS) -MMD -MP -MF $$@.d -MT $$@ -c $$< -o $$@.tmp.o
	$$(Q)$$(BPFTOOL) gen object $$@ $$@.tmp.o
	$$(Q)rm -f $$@.tmp.o

$(2)/%.skel.h: $(2)/bpf/%.bpf.o
	$$(call msg,GEN-SKEL,$$@)
	$$(Q)$$(BPFTOOL) gen skeleton $$< name $$*_bpf > $$@
endef
$(eval $(call bpf_rules,bpf,$(BUILD)))
$(eval $(call bpf_rules,tests/bench,$(BUILD)/bench))
.SECONDARY: $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o) $(SKELS)

# --- userspace ------------------------------------------------------------------------------
SC_TBL := user/collectors/syscalls
$(BUILD)/gen/syscall_names.inc: $(SC_TBL)/syscalls_$(SC_ARCH).tbl | $(BUILD)/gen
	$(call msg,GEN,$@)
	$(Q)awk '!/^#/ && NF == 2 { printf "\t[%d] = \"%s\",\n", $$1, $$2 }' $< > $@

# generated once, kept (not removed as an intermediate of the pattern rule below)
.SECONDARY: $(GEN)
$(BUILD)/gen/syscall_names_%.inc: $(SC_TBL)/syscalls_%.tbl | $(BUILD)/gen
	$(call msg,GEN,$@)
	$(Q)awk '!/^#/ && NF == 2 { printf "\t[%d] = \"%s\",\n", $$1, $$2 }' $< > $@

$(BUILD)/gen/flamegraph_html.c: user/export/flamegraph.html | $(BUILD)/gen
	$(call msg,GEN,$@)
	$(Q){ echo '/* generated from $< by the Makefile: the page as bytes, NUL-terminated */'; \
	  echo '#include <stddef.h>'; echo 'const char hp_flamegraph_html[] = {'; \
	  od -An -v -tx1 $< | awk '{ for (i = 1; i <= NF; i++) printf "0x%s,", $$i; print "" }'; \
	  echo '0 };'; \
	  echo 'const size_t hp_flamegraph_html_len = sizeof(hp_flamegraph_html) - 1;'; } > $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/san/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

# Skeletons and generated tables are order-only: an object that includes one depends on it
# through its -MMD file, but the first build must have them before any object compiles.
$(BUILD)/obj/%.o: user/%.c | $(SKELS) $(GEN)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: user/%.c | $(SKELS) $(GEN)
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(SAN_LIB): $(SAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/hostprof: $(BUILD)/obj/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/san/hostprof: $(BUILD)/san/main.o $(SAN_LIB)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bpf $(BUILD)/obj $(BUILD)/san $(BUILD)/san/tests $(BUILD)/gen $(BUILD)/workloads $(BUILD)/bench $(BUILD)/bench/bpf:
	mkdir -p $@

# --- tests ----------------------------------------------------------------------------------
$(BUILD)/san/tests/%: tests/unit/%.c $(SAN_LIB) | $(BUILD)/san/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -MF $(@D)/.$(@F).d $< $(SAN_LIB) -o $@ $(LDLIBS) -lcmocka

# The off-CPU workload's user stacks must unwind through its known leaves: frame pointers in
# every function (clang: GCC 12 ignores -mno-omit-leaf-frame-pointer) and no tail calls.
$(BUILD)/workloads/offcpu_workload: tests/workloads/offcpu_workload.c | $(BUILD)/workloads
	$(CLANG) -std=gnu11 -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		-fno-optimize-sibling-calls -Wall -Wextra -Werror $< -o $@ -lpthread

# ELF files the symbolizer test reads (PIE, non-PIE, stripped + debug files, a chroot); order-only
# so the stamp stays out of the link line, yet is rebuilt when the fixture sources change.
FIXTURES := $(BUILD)/fixtures/.stamp
$(FIXTURES): tests/fixtures/build.sh $(wildcard tests/fixtures/*.c)
	bash tests/fixtures/build.sh $(BUILD)/fixtures
$(BUILD)/san/tests/test_symbolizer: | $(FIXTURES)
$(BUILD)/san/tests/test_elf_sizeless $(BUILD)/san/tests/test_anon_text: | $(FIXTURES)

$(BUILD)/workloads/%: tests/workloads/%.c | $(BUILD)/workloads
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror $< -o $@

# The CPU burner needs frame pointers, a shared library (found through rpath $ORIGIN) and a C++
# translation unit, so it has its own rules; burner-nopie is the same program linked -no-pie.
# clang, because GCC 12 ignores -mno-omit-leaf-frame-pointer: a leaf without its own frame hides
# its caller from every frame-pointer unwinder, and the expected call chains would not hold.
BURN_DIR   := tests/workloads/burner
BURN_FLAGS := -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	      -fno-optimize-sibling-calls -Wall -Wextra -Werror -I$(BURN_DIR)
BURN_CXX   := $(CLANG)++ -std=c++17 $(BURN_FLAGS) -fno-exceptions -fno-rtti
BURNER     := $(BUILD)/workloads/burner $(BUILD)/workloads/burner-nopie \
	      $(BUILD)/workloads/libhpburn.so

$(BUILD)/workloads/libhpburn.so: $(BURN_DIR)/hpburn.c $(BURN_DIR)/hpburn.h | $(BUILD)/workloads
	$(CLANG) -std=gnu11 $(BURN_FLAGS) -fPIC -shared $< -o $@

$(BUILD)/workloads/spinner.o: $(BURN_DIR)/spinner.cc $(BURN_DIR)/hpburn.h | $(BUILD)/workloads
	$(BURN_CXX) -fPIE -c $< -o $@

$(BUILD)/workloads/spinner-nopie.o: $(BURN_DIR)/spinner.cc $(BURN_DIR)/hpburn.h | $(BUILD)/workloads
	$(BURN_CXX) -fno-pie -c $< -o $@

$(BUILD)/workloads/burner: $(BURN_DIR)/burner.c $(BUILD)/workloads/spinner.o \
			   $(BUILD)/workloads/libhpburn.so
	$(CLANG) -std=gnu11 $(BURN_FLAGS) -fPIE -pie $< $(BUILD)/workloads/spinner.o -o $@ \
		-L$(BUILD)/workloads -lhpburn -Wl,-rpath,'$$ORIGIN'

$(BUILD)/workloads/burner-nopie: $(BURN_DIR)/burner.c $(BUILD)/workloads/spinner-nopie.o \
				 $(BUILD)/workloads/libhpburn.so
	$(CLANG) -std=gnu11 $(BURN_FLAGS) -fno-pie -no-pie $< $(BUILD)/workloads/spinner-nopie.o \
		-o $@ -L$(BUILD)/workloads -lhpburn -Wl,-rpath,'$$ORIGIN'

# Workloads of tests/e2e/test_symbols.py, with frame pointers for the stack walker (clang, as above).
# sizeless is stripped (its .dynsym names only a sizeless asm stub); sizeless.full keeps .symtab
# as the tests' ground truth.
SYM_DIR   := tests/workloads/symbols
SYM_FLAGS := -std=gnu11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	     -fno-optimize-sibling-calls -fno-inline -Wall -Wextra -Werror
SYM_WORKLOADS := $(addprefix $(BUILD)/workloads/,sizeless sizeless.full anontext deepstack \
		 shortlived)
$(BUILD)/workloads/sizeless.full: $(SYM_DIR)/sizeless.c $(SYM_DIR)/wl.h | $(BUILD)/workloads
	$(CLANG) $(SYM_FLAGS) -fPIE -pie -Wl,--export-dynamic-symbol=hp_sizeless_stub $< -o $@
$(BUILD)/workloads/sizeless: $(BUILD)/workloads/sizeless.full
	strip --strip-all -o $@ $<
$(BUILD)/workloads/%: $(SYM_DIR)/%.c $(SYM_DIR)/wl.h | $(BUILD)/workloads
	$(CLANG) $(SYM_FLAGS) -fPIE -pie $< -o $@

# Source-tree checks: includes point down the layers of user/, every source file has an SPDX line.
lint:
	@bash tests/lint/run.sh

unit: $(UNITS)
	@bash tests/run_unit.sh $(UNITS)

e2e: $(BUILD)/hostprof $(BUILD)/san/hostprof $(WORKLOADS) $(BURNER) $(SYM_WORKLOADS)
	@HOSTPROF=$(BUILD)/san/hostprof WORKLOADS=$(BUILD)/workloads python3 tests/e2e/run.py

# deploy/daemonset/: manifests against the Kubernetes API's models, and the image (buildah).
deploy-test:
	@bash tests/deploy/run.sh $(BUILD)

test: deps-test
	$(MAKE) --no-print-directory all unit-build e2e-build fuzz
	@bash tests/run_all.sh $(BUILD)

unit-build: $(UNITS)
e2e-build: $(BUILD)/hostprof $(BUILD)/san/hostprof $(WORKLOADS) $(BURNER) $(SYM_WORKLOADS)

# Test tools: small programs linked with the userspace objects (not main.o), e.g. make_profile
# writes a known profile in every export format for tests/e2e/pprof_go_check.sh.
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
.PHONY: tools pprof-go-check bench-pprof

$(BUILD)/tools:
	mkdir -p $@

$(BUILD)/tools/%: tests/tools/%.c $(LIB) | $(BUILD)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MF $(@D)/.$(@F).d $^ -o $@ $(LDLIBS)

tools: $(TOOLS)
# offcpu_check loads bpf/offcpu.bpf.c itself (both attach paths, no agent): relinked when the
# skeleton (which embeds the object) changes.
$(BUILD)/tools/offcpu_check: tests/tools/offcpu_check.c $(LIB) $(BUILD)/offcpu.skel.h | $(BUILD)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MF $(@D)/.$(@F).d $(filter %.c %.a,$^) -o $@ $(LDLIBS)

# tcp_check loads bpf/tcp.bpf.c itself (both attach paths, no agent).
$(BUILD)/tools/tcp_check: tests/tools/tcp_check.c $(LIB) $(BUILD)/tcp.skel.h | $(BUILD)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MF $(@D)/.$(@F).d $(filter %.c %.a,$^) -o $@ $(LDLIBS) -lpthread

# pprof output read by the real go tool pprof (needs golang-go; skips with exit 77 without it).
pprof-go-check: $(BUILD)/tools/make_profile
	@bash tests/e2e/pprof_go_check.sh $(BUILD)/tools/make_profile

# --- fuzzing --------------------------------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_*.c) for the parsers of input other users control, built
# with clang, ASan and UBSan against the userspace objects (compiled for coverage, not main.o).
# "make fuzz" builds them; "make fuzz-run FUZZ_SECONDS=300" runs each on its committed seed corpus
# (tests/fuzz/corpus/NAME, read only) plus a scratch corpus in build/fuzz/corpus/NAME; a crash
# leaves build/fuzz/crash-NAME-* and fails. "make test" runs each for FUZZ_SECONDS (default 25).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 25
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all
FUZZ_CFLAGS  := $(filter-out -O2,$(CFLAGS)) $(FUZZ_FLAGS)
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS    := $(patsubst user/%.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS)) \
		$(BUILD)/fuzz/obj/gen/flamegraph_html.o
.PHONY: fuzz fuzz-run

$(BUILD)/fuzz/obj:
	mkdir -p $@

$(BUILD)/fuzz/obj/%.o: user/%.c | $(SKELS) $(GEN)
	$(call msg,CC-FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/obj/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,CC-FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# An archive, so each target links only the objects it uses.
$(BUILD)/fuzz/libhostprof.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libhostprof.a
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MF $(@D)/.$(@F).d -fsanitize=fuzzer $< $(BUILD)/fuzz/libhostprof.a -o $@ $(LDLIBS)

fuzz: $(FUZZ_BINS)

fuzz-run: fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(BUILD) $(FUZZ_BINS)

# --- benchmarks -----------------------------------------------------------------------------
$(BUILD)/bench/syscall_overhead: tests/bench/syscall_overhead.c $(BUILD)/bench/empty.skel.h \
				  $(BUILD)/bench/floor_latency.skel.h
	$(call msg,LINK,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(BUILD)/bench -Iinclude $< -o $@ \
		$(shell pkg-config --cflags --libs libbpf 2>/dev/null)

# Holds empty programs on the off-CPU hooks attached: the floor of tests/bench/offcpu_cost.sh.
$(BUILD)/bench/empty_sched: tests/bench/empty_sched.c $(BUILD)/bench/empty_sched.skel.h
	$(call msg,LINK,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(BUILD)/bench -Iinclude $< -o $@ \
		$(shell pkg-config --cflags --libs libbpf 2>/dev/null)

# Holds empty programs on the TCP hooks, or bpf/tcp.bpf.c at defaults (with/without RTT), for
# tests/bench/tcp_cost.sh; tcp_connect_loop times connect/accept/close itself.
$(BUILD)/bench/tcp_hold: tests/bench/tcp_hold.c $(BUILD)/bench/empty_tcp.skel.h \
			 $(BUILD)/bench/tcp_probe_parts.skel.h $(BUILD)/tcp.skel.h
	$(call msg,LINK,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(BUILD)/bench -I$(BUILD) -Iinclude $< -o $@ \
		$(shell pkg-config --cflags --libs libbpf 2>/dev/null)

$(BUILD)/bench/tcp_connect_loop: tests/bench/tcp_connect_loop.c | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror $< -o $@ -lpthread

# Profile build + pprof encode + gzip for 10k distinct stacks (target: <= 50 ms).
$(BUILD)/bench/pprof_build: tests/bench/pprof_build.c $(LIB) | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MF $(@D)/.$(@F).d $^ -o $@ $(LDLIBS)

# Warm-cache symbolization rate (addresses/s), user and kernel.
$(BUILD)/bench/symbolize_rate: tests/bench/symbolize_rate.c \
			       $(LIB) | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# One drain of a full generation: shared stack drain (batch reads) vs the per-key walk.
$(BUILD)/bench/stack_drain: tests/bench/stack_drain.c $(LIB) | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# One run-queue drain (hp_runqueue__collect) on real per-CPU maps: steady and churning hosts.
$(BUILD)/bench/runqueue_drain: tests/bench/runqueue_drain.c $(LIB) | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# Concurrent HTTP client for the /metrics benchmark (127.0.0.1 only, bounded in time and count).
$(BUILD)/bench/http_load: tests/bench/http_load.c | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror $< -o $@

# Heap bytes per process in the symbolizer's process cache (explains RSS under process churn).
$(BUILD)/bench/sym_proc_cost: tests/bench/sym_proc_cost.c \
			      $(LIB) | $(BUILD)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

bench-pprof: $(BUILD)/bench/pprof_build
	$(BUILD)/bench/pprof_build

# Each benchmark prints ratios or absolute figures measured in one run; none fails on a target.
bench: deps-bench
	$(MAKE) --no-print-directory all $(BUILD)/bench/syscall_overhead \
		$(BUILD)/bench/pprof_build $(BUILD)/bench/symbolize_rate $(BUILD)/bench/http_load \
		$(BUILD)/bench/stack_drain $(BUILD)/bench/empty_sched $(BUILD)/tools/offcpu_check \
		$(BUILD)/bench/runqueue_drain $(BUILD)/bench/tcp_hold $(BUILD)/bench/tcp_connect_loop
	$(BUILD)/bench/syscall_overhead --hostprof $(BUILD)/hostprof
	HOSTPROF=$(BUILD)/hostprof OFFCPU_CHECK=$(BUILD)/tools/offcpu_check OFFCPU_PERIOD=10000000 \
		OFFCPU_WAKERS=1 bash tests/bench/offcpu_cost.sh $(BUILD)/bench/empty_sched 100000 5
	bash tests/bench/offcpu_agent_cost.sh $(BUILD)/hostprof 30
	bash tests/bench/cpu_agent_cost.sh $(BUILD)/hostprof 60
	$(BUILD)/bench/pprof_build
	$(BUILD)/bench/symbolize_rate
	$(BUILD)/bench/stack_drain
	$(BUILD)/bench/runqueue_drain
	bash tests/bench/metrics_load.sh $(BUILD)/hostprof $(BUILD)/bench/http_load 10
	HOSTPROF=$(BUILD)/hostprof bash tests/bench/tcp_cost.sh $(BUILD)/bench/tcp_hold 10 3
	HOSTPROF=$(BUILD)/hostprof bash tests/bench/tcp_connect_cost.sh $(BUILD)/bench/tcp_hold \
		$(BUILD)/bench/tcp_connect_loop 5000 5

# Bounded memory under process churn (not in CI: 10 minutes). The release agent with its defaults
# while tests/workloads/churn starts 1,000 processes/s; RSS (start, steady, max), fds and agent CPU
# from /proc. SOAK_ARGS adds churn_soak.py options, e.g. --cgroup to profile only the churn on a
# machine busy with other work, --seconds 120 for a shorter run.
SOAK_ARGS ?=
soak: all $(BUILD)/workloads/churn $(BUILD)/bench/sym_proc_cost
	$(BUILD)/bench/sym_proc_cost
	python3 tests/bench/churn_soak.py --hostprof $(BUILD)/hostprof \
		--churn $(BUILD)/workloads/churn --rate 1000 --seconds 600 $(SOAK_ARGS)

# --- maintenance ----------------------------------------------------------------------------
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

# Merges the numbers from a (newer) unistd_64.h into the committed table; the header wins.
SYSCALL_HDR ?= /usr/include/$(SC_ARCH)-linux-gnu/asm/unistd_64.h
SYSCALL_HDR_32 ?= $(dir $(SYSCALL_HDR))unistd_32.h
SYSCALL_HDR_X32 ?= $(dir $(SYSCALL_HDR))unistd_x32.h
syscall-table:
	{ grep '^#' $(SC_TBL)/syscalls_$(SC_ARCH).tbl; \
	  { awk '/^#define __NR_/ { sub("__NR_", "", $$2); print $$3 "\t" $$2 }' $(SYSCALL_HDR); \
	    grep -v '^#' $(SC_TBL)/syscalls_$(SC_ARCH).tbl; } | sort -n -s -k1,1 | awk '!seen[$$1]++'; \
	} > $(BUILD)/syscalls.tbl && mv $(BUILD)/syscalls.tbl $(SC_TBL)/syscalls_$(SC_ARCH).tbl
ifeq ($(SC_ARCH),x86_64)
	{ grep '^#' $(SC_TBL)/syscalls_i386.tbl; \
	  { awk '/^#define __NR_/ { sub("__NR_", "", $$2); print $$3 "\t" $$2 }' $(SYSCALL_HDR_32); \
	    grep -v '^#' $(SC_TBL)/syscalls_i386.tbl; } | sort -n -s -k1,1 | awk '!seen[$$1]++'; \
	} > $(BUILD)/syscalls.tbl && mv $(BUILD)/syscalls.tbl $(SC_TBL)/syscalls_i386.tbl
	{ grep '^#' $(SC_TBL)/syscalls_x32.tbl; \
	  { awk '/^#define __NR_.*__X32_SYSCALL_BIT/ { sub("__NR_", "", $$2); sub("\\)", "", $$5); \
	      print $$5 "\t" $$2 }' $(SYSCALL_HDR_X32); \
	    grep -v '^#' $(SC_TBL)/syscalls_x32.tbl; } | sort -n -s -k1,1 | awk '!seen[$$1]++'; \
	} > $(BUILD)/syscalls.tbl && mv $(BUILD)/syscalls.tbl $(SC_TBL)/syscalls_x32.tbl
endif

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

clean:
	rm -rf $(BUILD)

# Header dependencies written by -MMD (C objects, programs, BPF objects); absent on a first build.
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
