// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the symbolizer: ELF tables and debug files (fixtures built by
 * tests/fixtures/build.sh), live, exited, containerised and JIT processes, kernel symbols, caches.
 * Expected names and addresses come from nm/readelf output or from the fixture programs
 * reporting their own function pointers, never from the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/demangle.h"
#include "symbolize/elf_syms.h"
#include "symbolize/kallsyms.h"
#include "symbolize/perf_map.h"
#include "symbolize/symbolizer.h"

/* --- fixtures ------------------------------------------------------------------------------ */

static char fx[PATH_MAX / 2]; /* absolute fixtures directory */

static const char *fx_path(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 8];

	if (snprintf(b, PATH_MAX, "%s/%s", fx, name) >= PATH_MAX)
		fail_msg("fixture path too long");
	return b;
}

static int fx_open(const char *name)
{
	int fd = open(fx_path(name), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open fixture %s: %s (run make to build fixtures)", fx_path(name),
			 strerror(errno));
	return fd;
}

static void read_line_file(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(out, (int)size, f))
		fail_msg("cannot read %s", path);
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Text symbols with a size from "nm -S --defined-only" output. */
struct nm_sym {
	uint64_t addr, size;
	char name[128];
};

static size_t nm_load(const char *file, struct nm_sym *out, size_t max)
{
	char path[PATH_MAX], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s.nm", fx_path(file));
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	while (fgets(line, sizeof(line), f) && n < max) {
		unsigned long long addr, size;
		char type, name[128];

		if (sscanf(line, "%llx %llx %c %127s", &addr, &size, &type, name) != 4)
			continue;
		if (!strchr("TtWw", type) || !size)
			continue;
		out[n].addr = addr;
		out[n].size = size;
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		n++;
	}
	fclose(f);
	assert_true(n > 0);
	return n;
}

static const struct nm_sym *nm_find(const struct nm_sym *syms, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(syms[i].name, name) == 0)
			return &syms[i];
	fail_msg("%s not in nm output", name);
	return NULL;
}

/* True if name is any of the symbols nm lists at addr (aliases). */
static bool nm_alias(const struct nm_sym *syms, size_t n, uint64_t addr, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (syms[i].addr == addr && strcmp(syms[i].name, name) == 0)
			return true;
	return false;
}

/* Demangled names of the fixture's C++/Rust symbols (c++filt agrees; see tests/fixtures). */
static const char *expected_name(const char *linker_name)
{
	static const char *const table[][2] = {
		{ "_ZN2fx2ns6Widget4spinEi", "fx::ns::Widget::spin(int)" },
		{ "_ZN2fx2ns5applyIiEEvT_", "void fx::ns::apply<int>(int)" },
		{ "_ZN7fxcrate5inner6worker17h0123456789abcdefE", "fxcrate::inner::worker" },
		{ "_RNvNtCs1234_7fxcrate5inner7compute", "fxcrate::inner::compute" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i][0], linker_name) == 0)
			return table[i][1];
	return linker_name;
}

/* --- fixture processes --------------------------------------------------------------------- */

#define MAX_ADDRS 32

struct fx_addr {
	char kind[8]; /* "sym", "lib", "dl", "jit" */
	char name[128];
	uint64_t addr;
};

struct child {
	pid_t pid;    /* the process we spawned */
	pid_t target; /* the fixture program (differs under unshare) */
	FILE *out;
	int in;
	struct fx_addr addrs[MAX_ADDRS];
	size_t naddrs;
};

/* Reads the child's report up to the next "ready" line. */
static void child_sync(struct child *c)
{
	char line[512];

	while (fgets(line, sizeof(line), c->out)) {
		struct fx_addr a = { 0 };
		void *p;

		if (strncmp(line, "ready", 5) == 0)
			return;
		if (sscanf(line, "%7s %127s %p", a.kind, a.name, &p) == 3 &&
		    c->naddrs < MAX_ADDRS) {
			a.addr = (uint64_t)p;
			c->addrs[c->naddrs++] = a;
		}
	}
	fail_msg("fixture process %d ended before reporting", c->pid);
}

static void child_start(struct child *c, char *const argv[])
{
	int in[2], out[2];

	memset(c, 0, sizeof(*c));
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->out = fdopen(out[0], "r");
	assert_non_null(c->out);
	c->target = c->pid;
	child_sync(c);
}

static void child_cmd(struct child *c, const char *cmd)
{
	assert_int_equal(write(c->in, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	child_sync(c);
}

static void child_stop(struct child *c)
{
	int status;

	if (c->in >= 0)
		close(c->in);
	c->in = -1;
	if (c->out)
		fclose(c->out);
	c->out = NULL;
	waitpid(c->pid, &status, 0);
}

static uint64_t child_addr(const struct child *c, const char *name)
{
	for (size_t i = 0; i < c->naddrs; i++)
		if (strcmp(c->addrs[i].name, name) == 0)
			return c->addrs[i].addr;
	fail_msg("fixture did not report %s", name);
	return 0;
}

/* --- assertions ---------------------------------------------------------------------------- */

static void expect_sym(struct hp_symbolizer *s, pid_t pid, uint64_t addr, const char *mangled,
		       const char *module)
{
	struct hp_sym sym;
	int err = hp_symbolizer__user(s, pid, addr, &sym);

	if (err)
		fail_msg("%s at %#llx: error %d", mangled, (unsigned long long)addr, err);
	if (strcmp(sym.mangled, mangled) != 0 || strcmp(sym.function, expected_name(mangled)) != 0)
		fail_msg("%#llx: got %s (%s) in %s, expected %s (%s)", (unsigned long long)addr,
			 sym.function, sym.mangled, sym.module, expected_name(mangled), mangled);
	if (module && strcmp(sym.module, module) != 0)
		fail_msg("%s: module %s, expected %s", mangled, sym.module, module);
	assert_false(sym.kernel);
	assert_true(addr >= sym.map_start && addr < sym.map_limit);
}

/* Every function nm lists for file resolves at its first and last byte in process pid, with the
 * file offset and build-id of the file; base: runtime address of vaddr 0; file_off: vaddr minus
 * file offset of the text segment. */
static void expect_all_nm(struct hp_symbolizer *s, pid_t pid, const char *file, uint64_t base,
			  uint64_t file_off, const char *module)
{
	static struct nm_sym syms[512];
	size_t n = nm_load(file, syms, 512);
	char build_id[64], path[PATH_MAX];

	snprintf(path, sizeof(path), "%s.buildid", fx_path(file));
	read_line_file(path, build_id, sizeof(build_id));
	for (size_t i = 0; i < n; i++) {
		uint64_t probe[2] = { syms[i].addr, syms[i].addr + syms[i].size - 1 };

		for (int j = 0; j < 2; j++) {
			struct hp_sym sym;
			int err = hp_symbolizer__user(s, pid, base + probe[j], &sym);

			if (err || !nm_alias(syms, n, syms[i].addr, sym.mangled))
				fail_msg("%s: %s+%#llx resolved to '%s' (error %d)", file,
					 syms[i].name,
					 (unsigned long long)(probe[j] - syms[i].addr), sym.mangled,
					 err);
			assert_string_equal(sym.function, expected_name(sym.mangled));
			assert_int_equal(sym.offset, probe[j] - file_off);
			assert_string_equal(sym.build_id, build_id);
			if (module)
				assert_string_equal(sym.module, module);
		}
	}
}

static struct hp_symbolizer *new_symbolizer(bool skip_map_files)
{
	struct hp_symbolizer_opts o = {
		.debug_root = fx_path("debugroot"),
		.skip_map_files = skip_map_files,
	};
	struct hp_symbolizer *s = hp_symbolizer__new(&o);

	assert_non_null(s);
	return s;
}

/* --- demangling and perf maps -------------------------------------------------------------- */

static void expect_demangled(const char *in, const char *want)
{
	char *got = hp_demangle__name(in);

	if (!want) {
		if (got)
			fail_msg("%s demangled to %s", in, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: got %s, expected %s", in, got ? got : "(null)", want);
	free(got);
}

static void test_demangle(void **state)
{
	(void)state;
	expect_demangled("_ZN2fx2ns6Widget4spinEi", "fx::ns::Widget::spin(int)");
	expect_demangled("_ZNSt6vectorIiSaIiEE9push_backERKi",
			 "std::vector<int, std::allocator<int> >::push_back(int const&)");
	expect_demangled("_ZN3foo3barEv.cold", "foo::bar() [clone .cold]");
	expect_demangled("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	expect_demangled("_RNvNtCs1234_7fxcrate5inner7compute", "fxcrate::inner::compute");
	expect_demangled("_RNvMNtCs1234_7fxcrate5innerNtB2_6Worker4spin",
			 "<fxcrate::inner::Worker>::spin");
	/* plain C names, and things that only look mangled */
	expect_demangled("main", NULL);
	expect_demangled("foo__bar", NULL);
	expect_demangled("_Zgarbage", NULL);
	expect_demangled("_Rx", NULL);
	expect_demangled("", NULL);
	assert_false(hp_demangle__is_mangled("_start"));
	assert_true(hp_demangle__is_mangled("_ZN1a1bEv"));
}

static void test_perf_map_parse(void **state)
{
	static const char text[] = "1000 10 first\n"
				   "0x2000 0x20 LazyCompile:*second file.js:1\r\n"
				   "garbage line\n"
				   "3000 zz bad_size\n"
				   "4000 0 zero_size\n"
				   "ffffffffffffffff 10 overflow\n"
				   "5000 100 outer\n"
				   "5040 10 inner_reused\n"
				   "6000 8 no_newline";
	struct hp_perf_map *m = hp_perf_map__parse(text, sizeof(text) - 1, NULL);
	uint64_t start = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(hp_perf_map__count(m), 5);
	assert_string_equal(hp_perf_map__lookup(m, 0x1000, &start), "first");
	assert_int_equal(start, 0x1000);
	assert_string_equal(hp_perf_map__lookup(m, 0x100f, NULL), "first");
	assert_null(hp_perf_map__lookup(m, 0x1010, NULL));
	assert_null(hp_perf_map__lookup(m, 0xfff, NULL));
	assert_string_equal(hp_perf_map__lookup(m, 0x201f, NULL), "LazyCompile:*second file.js:1");
	assert_null(hp_perf_map__lookup(m, 0x3000, NULL));
	/* overlapping: the later line wins where it applies, the outer entry elsewhere */
	assert_string_equal(hp_perf_map__lookup(m, 0x5045, NULL), "inner_reused");
	assert_string_equal(hp_perf_map__lookup(m, 0x5080, NULL), "outer");
	assert_string_equal(hp_perf_map__lookup(m, 0x6007, NULL), "no_newline");
	hp_perf_map__free(m);

	/* an entry written later over an earlier, longer one at the same start */
	m = hp_perf_map__parse("100 100 old\n100 10 new\n", 23, 0);
	assert_string_equal(hp_perf_map__lookup(m, 0x105, NULL), "new");
	assert_string_equal(hp_perf_map__lookup(m, 0x150, NULL), "old");
	hp_perf_map__free(m);
	m = hp_perf_map__parse("", 0, 0);
	assert_int_equal(hp_perf_map__count(m), 0);
	assert_null(hp_perf_map__lookup(m, 0, NULL));
	hp_perf_map__free(m);
	/* entry limit */
	m = hp_perf_map__parse(text, sizeof(text) - 1,
			       &(struct hp_perf_map_limits){ .max_entries = 2 });
	assert_int_equal(hp_perf_map__count(m), 2);
	hp_perf_map__free(m);
}

/* --- ELF tables ---------------------------------------------------------------------------- */

static struct hp_elf_syms *elf_open(const char *name)
{
	struct hp_elf_syms *e;
	int fd = fx_open(name);

	e = hp_elf_syms__open(fd, fx_path(name), fx_path("debugroot"));
	close(fd);
	if (!e)
		fail_msg("%s: %s", name, strerror(errno));
	return e;
}

/* Every function nm found in the unstripped build of name resolves in e at its first and last
 * byte (ELF virtual addresses). */
static void expect_elf_matches_nm(struct hp_elf_syms *e, const char *name)
{
	static struct nm_sym syms[512];
	size_t n = nm_load(name, syms, 512);
	char build_id[64], path[PATH_MAX];

	snprintf(path, sizeof(path), "%s.buildid", fx_path(name));
	read_line_file(path, build_id, sizeof(build_id));
	assert_string_equal(hp_elf_syms__build_id(e), build_id);
	for (size_t i = 0; i < n; i++) {
		uint64_t last = syms[i].addr + syms[i].size - 1, start = 0;
		const char *a = hp_elf_syms__lookup(e, syms[i].addr, &start);
		const char *b = hp_elf_syms__lookup(e, last, NULL);

		if (!a || !b || !nm_alias(syms, n, syms[i].addr, a) || strcmp(a, b) != 0)
			fail_msg("%s: %s at %#llx: got %s / %s", name, syms[i].name,
				 (unsigned long long)syms[i].addr, a ? a : "(null)",
				 b ? b : "(null)");
		assert_int_equal(start, syms[i].addr);
	}
}

static void test_elf_symtab(void **state)
{
	static const char *const files[] = { "fx_pie", "fx_nopie", "libfx.so", "libfxdl.so" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct hp_elf_syms *e = elf_open(files[i]);

		assert_true(hp_elf_syms__sources(e) & HP_ELF_SRC_SYMTAB);
		expect_elf_matches_nm(e, files[i]);
		assert_null(hp_elf_syms__lookup(e, 0, NULL));
		hp_elf_syms__free(e);
	}
}

/* Stripped files whose debug file is missing or does not match keep only .dynsym, which has
 * none of the fixture's functions (a PIE exports nothing). */
static void test_elf_debug_file_rejected(void **state)
{
	static const char *const files[] = { "fx_dl_badcrc", "fx_bidbad", "fx_minibad" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		static struct nm_sym syms[512];
		size_t n = nm_load(files[i], syms, 512);
		struct hp_elf_syms *e = elf_open(files[i]);
		const struct nm_sym *gamma = nm_find(syms, n, "fx_gamma");

		assert_int_equal(hp_elf_syms__sources(e), HP_ELF_SRC_DYNSYM);
		assert_null(hp_elf_syms__lookup(e, gamma->addr, NULL));
		assert_null(hp_elf_syms__lookup(e, nm_find(syms, n, "main")->addr, NULL));
		hp_elf_syms__free(e);
	}
}

static void test_elf_debuglink(void **state)
{
	static const char *const files[] = { "fx_dl_next", "fx_dl_dotdebug", "fx_dl_root" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct hp_elf_syms *e = elf_open(files[i]);

		assert_int_equal(hp_elf_syms__sources(e), HP_ELF_SRC_DYNSYM | HP_ELF_SRC_DEBUGLINK);
		expect_elf_matches_nm(e, files[i]);
		hp_elf_syms__free(e);
	}
}

static void test_elf_build_id_dir(void **state)
{
	struct hp_elf_syms *e = elf_open("fx_bid");

	(void)state;
	assert_int_equal(hp_elf_syms__sources(e), HP_ELF_SRC_DYNSYM | HP_ELF_SRC_BUILD_ID);
	expect_elf_matches_nm(e, "fx_bid");
	hp_elf_syms__free(e);
}

static void test_elf_minidebuginfo(void **state)
{
	struct hp_elf_syms *e = elf_open("fx_mini");

	(void)state;
	assert_int_equal(hp_elf_syms__sources(e), HP_ELF_SRC_DYNSYM | HP_ELF_SRC_MINIDEBUG);
	expect_elf_matches_nm(e, "fx_mini");
	hp_elf_syms__free(e);
}

static void test_elf_offset_to_vaddr(void **state)
{
	struct hp_elf_syms *pie = elf_open("fx_pie"), *nopie = elf_open("fx_nopie");
	uint64_t v = 0;

	(void)state;
	/* GNU ld puts the text segment at file offset == vaddr in a PIE, and at 0x400000 + offset
	 * in a non-PIE executable */
	assert_int_equal(hp_elf_syms__offset_to_vaddr(pie, 0x1259, &v), 0);
	assert_int_equal(v, 0x1259);
	assert_int_equal(hp_elf_syms__offset_to_vaddr(nopie, 0x1259, &v), 0);
	assert_int_equal(v, 0x401259);
	assert_int_equal(hp_elf_syms__offset_to_vaddr(pie, 1ULL << 40, &v), -1);
	hp_elf_syms__free(pie);
	hp_elf_syms__free(nopie);
}

/* A memfd holding len bytes of buf. */
static int memfd_with(const void *buf, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Opens a mutated image and, if it parses, looks up every address: must never crash. */
static bool fuzz_one(const unsigned char *buf, size_t len)
{
	int fd = memfd_with(buf, len);
	struct hp_elf_syms *e = hp_elf_syms__open(fd, NULL, "/nonexistent");
	char id[41];

	hp_elf_syms__read_build_id(fd, id);
	close(fd);
	if (!e)
		return false;
	for (uint64_t a = 0; a < 0x3000; a += 7) {
		uint64_t v;

		hp_elf_syms__lookup(e, a, NULL);
		if (hp_elf_syms__offset_to_vaddr(e, a, &v) == 0)
			hp_elf_syms__lookup(e, v, NULL);
	}
	hp_elf_syms__free(e);
	return true;
}

static void test_elf_malformed(void **state)
{
	static const char *const files[] = { "fx_pie", "fx_mini", "libfx.so" };
	unsigned int seed = 12345;
	size_t failed = 0, total = 0;

	(void)state;
	/* obviously not ELF: an error, with errno set */
	errno = 0;
	assert_false(fuzz_one((const unsigned char *)"", 0));
	assert_int_equal(errno, ENOEXEC);
	assert_false(fuzz_one((const unsigned char *)"#!/bin/sh\necho hi\n", 18));
	assert_false(fuzz_one((const unsigned char *)"\177ELF", 4));

	for (size_t f = 0; f < 3; f++) {
		size_t len;
		unsigned char *orig = slurp(fx_path(files[f]), &len), *buf = malloc(len);

		assert_non_null(buf);
		/* truncations: inside the header, the program headers, and every 1/97th after */
		for (size_t cut = 0; cut < len; cut += cut < 1024 ? 13 : len / 97) {
			total++;
			if (!fuzz_one(orig, cut))
				failed++;
		}
		/* a few random bytes overwritten, many times; header fields are hit deliberately */
		for (int round = 0; round < 300; round++) {
			memcpy(buf, orig, len);
			for (int k = 0; k < 1 + round % 8; k++) {
				size_t pos = round % 3 == 0 ? (size_t)rand_r(&seed) % 64
							    : (size_t)rand_r(&seed) % len;

				buf[pos] = (unsigned char)rand_r(&seed);
			}
			total++;
			if (!fuzz_one(buf, len))
				failed++;
		}
		/* section header count and offset pointing far past the end */
		memcpy(buf, orig, len);
		memset(buf + 0x28, 0xff, 8);
		fuzz_one(buf, len);
		memcpy(buf, orig, len);
		memset(buf + 0x3c, 0xff, 2);
		fuzz_one(buf, len);
		free(buf);
		free(orig);
	}
	/* most truncations must be rejected (and none may crash, which we got through) */
	print_message("malformed: %zu of %zu mutated images rejected\n", failed, total);
	assert_true(failed > 0);
}

/* --- live processes ------------------------------------------------------------------------ */

static void spawn(struct child *c, const char *file)
{
	char *argv[] = { (char *)fx_path(file), NULL };

	child_start(c, argv);
}

/* Checks every reported symbol of the fixture program and of libfx.so in process c. */
static void expect_fixture_process(struct hp_symbolizer *s, const struct child *c,
				   const char *prog_nm, const char *prog_module,
				   const char *lib_module, uint64_t text_delta)
{
	static struct nm_sym syms[512], lib[128];
	size_t n = nm_load(prog_nm, syms, 512), nl = nm_load("libfx.so", lib, 128);
	uint64_t base = child_addr(c, "fx_alpha") - nm_find(syms, n, "fx_alpha")->addr;
	uint64_t lib_base = child_addr(c, "fxlib_work") - nm_find(lib, nl, "fxlib_work")->addr;

	for (size_t i = 0; i < c->naddrs; i++) {
		const struct fx_addr *a = &c->addrs[i];

		if (strcmp(a->kind, "sym") == 0) {
			expect_sym(s, c->target, a->addr, a->name, prog_module);
			expect_sym(s, c->target, a->addr + 1, a->name, prog_module);
			/* the address the program reports is where nm says the symbol is */
			assert_int_equal(a->addr - base, nm_find(syms, n, a->name)->addr);
		} else if (strcmp(a->kind, "lib") == 0) {
			expect_sym(s, c->target, a->addr, a->name, lib_module);
			assert_int_equal(a->addr - lib_base, nm_find(lib, nl, a->name)->addr);
		}
	}
	expect_all_nm(s, c->target, prog_nm, base, text_delta, prog_module);
	expect_all_nm(s, c->target, "libfx.so", lib_base, 0, lib_module);
}

static void test_live_pie(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	struct hp_symbolizer_stats st;
	struct child c;

	(void)state;
	spawn(&c, "fx_pie");
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0);
	expect_fixture_process(s, &c, "fx_pie", fx_path("fx_pie"), fx_path("libfx.so"), 0);
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.proc_entries, 1);
	assert_int_equal(st.unresolved, 0);
	assert_true(st.elf_entries >= 4); /* fx_pie, libfx.so, libc, ld.so, vdso */
	child_stop(&c);
	hp_symbolizer__free(s);
}

static void test_live_nopie(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	struct child c;

	(void)state;
	spawn(&c, "fx_nopie");
	/* no explicit capture: the first lookup captures */
	expect_fixture_process(s, &c, "fx_nopie", fx_path("fx_nopie"), fx_path("libfx.so"),
			       0x400000);
	child_stop(&c);
	hp_symbolizer__free(s);
}

static void test_dlopen_recapture(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	static struct nm_sym dl[64];
	size_t n = nm_load("libfxdl.so", dl, 64);
	char cmd[PATH_MAX + 64];
	struct hp_sym sym;
	struct child c;
	uint64_t addr;

	(void)state;
	spawn(&c, "fx_pie");
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0);
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0); /* unchanged: cheap */
	snprintf(cmd, sizeof(cmd), "dlopen %s fxdl_entry\n", fx_path("libfxdl.so"));
	child_cmd(&c, cmd);
	addr = child_addr(&c, "fxdl_entry");
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0); /* maps changed */
	expect_sym(s, c.pid, addr + 3, "fxdl_entry", fx_path("libfxdl.so"));
	expect_all_nm(s, c.pid, "libfxdl.so", addr - nm_find(dl, n, "fxdl_entry")->addr, 0,
		      fx_path("libfxdl.so"));
	/* the libraries seen before still resolve from the reused state */
	expect_sym(s, c.pid, child_addr(&c, "fx_beta"), "fx_beta", fx_path("fx_pie"));
	assert_int_equal(hp_symbolizer__user(s, c.pid, child_addr(&c, "fx_beta"), &sym), 0);
	child_stop(&c);
	hp_symbolizer__free(s);
}

/* The lookup miss path re-reads the maps by itself (rate-limited), no capture call needed. */
static void test_dlopen_lookup_miss(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	char cmd[PATH_MAX + 64];
	struct timespec pause = { 0, 250 * 1000000 };
	struct child c;

	(void)state;
	spawn(&c, "fx_pie");
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0);
	snprintf(cmd, sizeof(cmd), "dlopen %s fxdl_entry\n", fx_path("libfxdl.so"));
	child_cmd(&c, cmd);
	nanosleep(&pause, NULL);
	expect_sym(s, c.pid, child_addr(&c, "fxdl_entry"), "fxdl_entry", fx_path("libfxdl.so"));
	child_stop(&c);
	hp_symbolizer__free(s);
}

static void test_jit_perf_map(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	char module[64];
	struct hp_sym sym;
	struct child c;
	uint64_t first, second;

	(void)state;
	spawn(&c, "fx_pie");
	child_cmd(&c, "jit\n");
	first = child_addr(&c, "fx_jit_first");
	second = child_addr(&c, "fx_jit_second");
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0);
	snprintf(module, sizeof(module), "/tmp/perf-%d.map", c.pid);
	assert_int_equal(hp_symbolizer__user(s, c.pid, first + 0x3f, &sym), 0);
	assert_string_equal(sym.function, "fx_jit_first");
	assert_string_equal(sym.module, module);
	assert_int_equal(hp_symbolizer__user(s, c.pid, second, &sym), 0);
	assert_string_equal(sym.function, "LazyCompile:*fx_jit_second fx.js:10");
	assert_string_equal(sym.mangled, sym.function);
	/* in the JIT page but in no perf map entry: the anonymous mapping is still known */
	assert_int_equal(hp_symbolizer__user(s, c.pid, second + 0x80, &sym), 0);
	assert_string_equal(sym.function, "");
	assert_string_equal(sym.module, "[anon]");
	assert_int_equal(sym.map_start, first);
	child_stop(&c);
	hp_symbolizer__free(s);
}

/* Captured, then killed (no atexit), reaped and its perf map deleted: all from captured state. */
static void test_exited_after_capture(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	struct hp_symbolizer_stats st;
	char perf_map[64];
	struct hp_sym sym;
	struct child c;
	int status;

	(void)state;
	spawn(&c, "fx_dl_next"); /* stripped: names come from the debuglink file */
	child_cmd(&c, "jit\n");
	assert_int_equal(hp_symbolizer__capture(s, c.pid), 0);
	kill(c.pid, SIGKILL);
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	snprintf(perf_map, sizeof(perf_map), "/tmp/perf-%d.map", c.pid);
	unlink(perf_map);
	close(c.in);
	fclose(c.out);
	assert_int_equal(hp_symbolizer__capture(s, c.pid), -ESRCH);
	expect_fixture_process(s, &c, "fx_dl_next", fx_path("fx_dl_next"), fx_path("libfx.so"), 0);
	assert_int_equal(hp_symbolizer__user(s, c.pid, child_addr(&c, "fx_jit_second") + 1, &sym),
			 0);
	assert_string_equal(sym.function, "LazyCompile:*fx_jit_second fx.js:10");
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.proc_entries, 1);
	/* once forgotten, a gone process cannot be captured again */
	hp_symbolizer__forget(s, c.pid);
	assert_int_equal(hp_symbolizer__user(s, c.pid, child_addr(&c, "fx_alpha"), &sym), -ESRCH);
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.proc_entries, 0);
	hp_symbolizer__free(s);
}

static void test_unmapped_and_missing(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	struct hp_symbolizer_stats st;
	struct hp_sym sym;
	struct child c;
	pid_t dead;

	(void)state;
	spawn(&c, "fx_pie");
	assert_int_equal(hp_symbolizer__user(s, c.pid, 0x10, &sym), -ENOENT);
	assert_string_equal(sym.module, "");
	assert_string_equal(sym.function, "");
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.unmapped, 1);
	dead = c.pid;
	child_stop(&c);
	hp_symbolizer__forget(s, dead);
	assert_int_equal(hp_symbolizer__user(s, dead, 0x1000, &sym), -ESRCH);
	assert_int_equal(hp_symbolizer__capture(s, dead), -ESRCH);
	assert_int_equal(hp_symbolizer__capture(s, -1), -EINVAL);
	hp_symbolizer__free(s);
}

/* A binary deleted while running resolves through /proc/PID/map_files; without map_files its
 * module and file offset are still reported. */
static void test_deleted_binary(void **state)
{
	static struct nm_sym syms[512];
	size_t n = nm_load("fx_pie", syms, 512);
	char dir[PATH_MAX], bin[PATH_MAX + 16], lib[PATH_MAX + 16], cmd[3 * PATH_MAX];
	struct hp_symbolizer *s;
	struct hp_sym sym;
	struct child c;
	uint64_t addr;
	char *argv[2];

	(void)state;
	if (geteuid() != 0)
		skip(); /* opening /proc/PID/map_files needs CAP_SYS_ADMIN */
	snprintf(dir, sizeof(dir), "%s/deleted-XXXXXX", fx);
	assert_non_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/fx_gone", dir);
	snprintf(lib, sizeof(lib), "%s/libfx.so", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s %s", fx_path("fx_pie"), bin,
		 fx_path("libfx.so"), lib);
	assert_int_equal(system(cmd), 0);
	argv[0] = bin;
	argv[1] = NULL;
	child_start(&c, argv);
	assert_int_equal(unlink(bin), 0);
	assert_int_equal(unlink(lib), 0);
	assert_int_equal(rmdir(dir), 0);
	addr = child_addr(&c, "fx_gamma");

	s = new_symbolizer(false);
	expect_sym(s, c.pid, addr, "fx_gamma", bin);
	expect_sym(s, c.pid, child_addr(&c, "fxlib_static"), "fxlib_static", lib);
	hp_symbolizer__free(s);

	s = new_symbolizer(true);
	assert_int_equal(hp_symbolizer__user(s, c.pid, addr + 2, &sym), 0);
	assert_string_equal(sym.function, "");
	assert_string_equal(sym.module, bin);
	assert_int_equal(sym.offset, nm_find(syms, n, "fx_gamma")->addr + 2);
	assert_true(sym.map_start <= addr && addr < sym.map_limit);
	hp_symbolizer__free(s);
	child_stop(&c);
}

/* --- containers ---------------------------------------------------------------------------- */

/* The child of process parent: from /proc/PID/task/PID/children, else by scanning every
 * /proc/N/stat for the parent pid (kernels without CONFIG_PROC_CHILDREN). */
static pid_t child_of(pid_t parent)
{
	char path[128], line[512];
	pid_t found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", parent, parent);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &found) != 1)
			found = 0;
		fclose(f);
		if (found)
			return found;
	}
	for (pid_t pid = 2; pid < 4194304 && !found; pid++) {
		char *rp;
		int ppid;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) && (rp = strrchr(line, ')')) &&
		    sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == parent)
			found = pid;
		fclose(f);
	}
	return found;
}

/* Runs prog (a path inside fixtures/chroot) under a new mount and pid namespace, chrooted. */
static void spawn_contained(struct child *c, const char *prog)
{
	char root[PATH_MAX];
	char *argv[9] = { "/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child" };

	if (snprintf(root, sizeof(root), "%s", fx_path("chroot")) >= (int)sizeof(root))
		fail();
	argv[5] = "/usr/sbin/chroot";
	argv[6] = root;
	argv[7] = (char *)prog;
	child_start(c, argv);
	/* the fixture is unshare's child */
	c->target = child_of(c->pid);
	assert_true(c->target > 0);
}

static void expect_contained(bool skip_map_files)
{
	struct hp_symbolizer *s = new_symbolizer(skip_map_files);
	struct hp_sym sym;
	struct child c;

	spawn_contained(&c, "/opt/fxc/fx_chroot");
	child_cmd(&c, "jit\n");
	assert_true(c.target != c.pid);
	assert_int_equal(hp_symbolizer__capture(s, c.target), 0);
	/* paths as the contained process sees them; they do not exist outside */
	expect_fixture_process(s, &c, "fx_chroot", "/opt/fxc/fx_chroot", "/opt/fxc/libfx.so", 0);
	/* the JIT writes /tmp/perf-1.map: its own pid, inside its root */
	assert_int_equal(hp_symbolizer__user(s, c.target, child_addr(&c, "fx_jit_first"), &sym), 0);
	assert_string_equal(sym.function, "fx_jit_first");
	assert_string_equal(sym.module, "/tmp/perf-1.map");
	child_stop(&c);

	/* stripped, its debuglink target next to it inside the container */
	spawn_contained(&c, "/opt/fxc/fx_chroot_dl");
	expect_fixture_process(s, &c, "fx_chroot_dl", "/opt/fxc/fx_chroot_dl", "/opt/fxc/libfx.so",
			       0);
	child_stop(&c);
	hp_symbolizer__free(s);
}

static void test_container(void **state)
{
	(void)state;
	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		skip();
	expect_contained(false);
}

static void test_container_root_fallback(void **state)
{
	(void)state;
	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		skip();
	expect_contained(true);
}

/* --- vDSO and ourselves -------------------------------------------------------------------- */

static __attribute__((noinline)) int local_function(int x)
{
	return x * 3 + 1;
}

static void test_self_and_vdso(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	void *vdso = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
	uint64_t fn, vbase = getauxval(AT_SYSINFO_EHDR);
	struct hp_sym sym;
	struct child c;
	char path[64];
	FILE *maps;
	char line[512];
	uint64_t child_vdso = 0;

	(void)state;
	assert_int_equal(hp_symbolizer__user(s, getpid(), (uint64_t)local_function, &sym), 0);
	assert_string_equal(sym.function, "local_function");
	if (!vdso || !vbase)
		skip();
	fn = (uint64_t)dlsym(vdso, "__vdso_clock_gettime");
	assert_true(fn);
	assert_int_equal(hp_symbolizer__user(s, getpid(), fn + 4, &sym), 0);
	if (strcmp(sym.function, "__vdso_clock_gettime") != 0)
		assert_string_equal(sym.function, "clock_gettime"); /* the weak alias */
	assert_string_equal(sym.module, "[vdso]");
	assert_int_equal(strlen(sym.build_id), 40);
	assert_int_equal(sym.offset, fn + 4 - vbase);

	/* a child's vDSO (same kernel, same image) at the child's address */
	spawn(&c, "fx_pie");
	snprintf(path, sizeof(path), "/proc/%d/maps", c.pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "[vdso]"))
			sscanf(line, "%lx", (unsigned long *)&child_vdso);
	fclose(maps);
	assert_true(child_vdso);
	assert_int_equal(hp_symbolizer__user(s, c.pid, child_vdso + (fn - vbase) + 4, &sym), 0);
	if (strcmp(sym.function, "__vdso_clock_gettime") != 0)
		assert_string_equal(sym.function, "clock_gettime");
	assert_string_equal(sym.module, "[vdso]");
	child_stop(&c);
	dlclose(vdso);
	hp_symbolizer__free(s);
}

/* --- a /proc tree written by the test: pid reuse, /proc/PID/root fallback, NSpid ------------ */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void fake_pid(const char *root, const char *start_time, const char *prog)
{
	char path[PATH_MAX], text[512];

	snprintf(path, sizeof(path), "%s/4242/stat", root);
	snprintf(text, sizeof(text),
		 "4242 (fx (odd) name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 %s 21 22\n",
		 start_time);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/4242/maps", root);
	snprintf(text, sizeof(text),
		 "0f000000-10000000 r--p 00000000 00:00 0 \n"
		 "10000000-10001000 r-xp 00001000 fe:01 99 %s\n"
		 "10001000-10002000 rw-p 00000000 00:00 0 [heap]\n",
		 prog);
	write_file(path, text);
}

static void test_fake_proc_pid_reuse(void **state)
{
	static struct nm_sym a[512], b[512];
	size_t na = nm_load("fx_chroot", a, 512), nb = nm_load("fx_chroot_dl", b, 512);
	char root[PATH_MAX], path[PATH_MAX + 32], jit[PATH_MAX];
	struct hp_symbolizer_opts o = { .proc_root = root, .debug_root = "/nonexistent" };
	struct hp_symbolizer *s;
	uint64_t alpha_a, gamma_b;
	struct hp_sym sym;

	(void)state;
	snprintf(root, sizeof(root), "%s/fakeproc-XXXXXX", fx);
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/4242", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/4242/root", root);
	assert_int_equal(symlink(fx_path("chroot"), path), 0);
	snprintf(path, sizeof(path), "%s/4242/status", root);
	/* Uid: the perf map below is root's, and must belong to the process's euid */
	write_file(path, "Name:\tfx\nPid:\t4242\nNSpid:\t4242\t7\nUid:\t0\t0\t0\t0\n");
	snprintf(jit, sizeof(jit), "%s/tmp/perf-7.map", fx_path("chroot"));
	write_file(jit, "20000000 100 fake_jit_fn\n");
	fake_pid(root, "100", "/opt/fxc/fx_chroot");
	/* mapping: runtime 0x10000000 = file offset 0x1000 = vaddr 0x1000 (PIE text) */
	alpha_a = 0x10000000 + nm_find(a, na, "fx_alpha")->addr - 0x1000;
	gamma_b = 0x10000000 + nm_find(b, nb, "fx_gamma")->addr - 0x1000;

	s = hp_symbolizer__new(&o);
	assert_non_null(s);
	assert_int_equal(hp_symbolizer__capture(s, 4242), 0);
	expect_sym(s, 4242, alpha_a, "fx_alpha", "/opt/fxc/fx_chroot");
	assert_int_equal(hp_symbolizer__user(s, 4242, 0x20000080, &sym), 0);
	assert_string_equal(sym.function, "fake_jit_fn");
	assert_string_equal(sym.module, "/tmp/perf-7.map");
	/* non-executable mappings are not code */
	assert_int_equal(hp_symbolizer__user(s, 4242, 0x10001000, &sym), -ENOENT);

	/* pid 4242 exits and is reused by another program: new start time, new maps */
	fake_pid(root, "200", "/opt/fxc/fx_chroot_dl");
	expect_sym(s, 4242, alpha_a, "fx_alpha", NULL); /* not captured yet: old state */
	assert_int_equal(hp_symbolizer__capture(s, 4242), 0);
	expect_sym(s, 4242, gamma_b, "fx_gamma", "/opt/fxc/fx_chroot_dl");

	/* same process, maps changed (same start time): re-captured */
	fake_pid(root, "200", "/opt/fxc/fx_chroot");
	assert_int_equal(hp_symbolizer__capture(s, 4242), 0);
	expect_sym(s, 4242, alpha_a, "fx_alpha", "/opt/fxc/fx_chroot");
	hp_symbolizer__free(s);

	unlink(jit);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
}

/* --- kernel -------------------------------------------------------------------------------- */

static const char fake_kallsyms[] = "ffffffff81000000 T _text\n"
				    "ffffffff81000000 T startup_64\n"
				    "ffffffff81000100 t __pfx_do_thing\n"
				    "ffffffff81000110 T do_thing\n"
				    "ffffffff81000200 T _RNvNtCs1234_6kernel4rust5probe\n"
				    "ffffffff81000300 D some_data\n"
				    "ffffffff81001000 T _etext\n"
				    "ffffffff82000000 D later_data\n"
				    "ffffffffc0000000 t ext4_fill_super\t[ext4]\n"
				    "ffffffffc0000400 T ext4_iget\t[ext4]\n"
				    "ffffffffc0000800 d ext4_data\t[ext4]\n"
				    "ffffffffc0010000 t bpf_prog_6deef7357e7b4530_handler\t[bpf]\n";

static void expect_ksym(struct hp_symbolizer *s, uint64_t addr, int err, const char *function,
			const char *module, uint64_t offset)
{
	struct hp_sym sym;
	int got = hp_symbolizer__kernel(s, addr, &sym);

	if (got != err)
		fail_msg("%#llx: error %d, expected %d (%s in %s)", (unsigned long long)addr, got,
			 err, sym.function, sym.module);
	if (err)
		return;
	assert_true(sym.kernel);
	assert_string_equal(sym.function, function);
	assert_string_equal(sym.module, module);
	assert_int_equal(sym.offset, offset);
}

static void test_kernel_fake(void **state)
{
	char root[PATH_MAX], ks[PATH_MAX + 16], mods[PATH_MAX + 16], text[2048];
	struct hp_symbolizer_opts o = { .proc_root = root };
	struct hp_symbolizer_stats st;
	struct hp_symbolizer *s;
	struct hp_sym sym;

	(void)state;
	snprintf(root, sizeof(root), "%s/fakekernel-XXXXXX", fx);
	assert_non_null(mkdtemp(root));
	snprintf(ks, sizeof(ks), "%s/kallsyms", root);
	snprintf(mods, sizeof(mods), "%s/modules", root);
	write_file(ks, fake_kallsyms);
	write_file(mods, "ext4 16384 3 - Live 0xffffffffc0000000\n");
	s = hp_symbolizer__new(&o);
	assert_non_null(s);

	expect_ksym(s, 0xffffffff81000115, 0, "do_thing", "[kernel.kallsyms]", 0x115);
	expect_ksym(s, 0xffffffff81000000, 0, "startup_64", "[kernel.kallsyms]", 0);
	expect_ksym(s, 0xffffffff81000105, 0, "startup_64", "[kernel.kallsyms]", 0x105);
	expect_ksym(s, 0xffffffff81000250, 0, "kernel::rust::probe", "[kernel.kallsyms]", 0x250);
	/* past the data symbol that ends probe, still in kernel text */
	expect_ksym(s, 0xffffffff81000ff0, 0, "", "[kernel.kallsyms]", 0xff0);
	assert_int_equal(hp_symbolizer__kernel(s, 0xffffffff81000200, &sym), 0);
	assert_string_equal(sym.mangled, "_RNvNtCs1234_6kernel4rust5probe");
	expect_ksym(s, 0xffffffff81001000, -ENOENT, NULL, NULL, 0);
	expect_ksym(s, 0xffffffffc0000410, 0, "ext4_iget", "[ext4]", 0x410);
	expect_ksym(s, 0xffffffffc0000000, 0, "ext4_fill_super", "[ext4]", 0);
	/* inside the module, past its last text symbol (a data symbol ends it): the module is
	 * known */
	expect_ksym(s, 0xffffffffc00007ff, 0, "ext4_iget", "[ext4]", 0x7ff);
	expect_ksym(s, 0xffffffffc0000800, 0, "", "[ext4]", 0x800);
	expect_ksym(s, 0xffffffffc0003f00, 0, "", "[ext4]", 0x3f00);
	expect_ksym(s, 0xffffffffc0004000, -ENOENT, NULL, NULL, 0);
	/* BPF programs have no module base: the offset is the address */
	expect_ksym(s, 0xffffffffc0010010, 0, "bpf_prog_6deef7357e7b4530_handler", "[bpf]",
		    0xffffffffc0010010);
	expect_ksym(s, 0x1000, -ENOENT, NULL, NULL, 0);
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.unresolved, 3);
	assert_int_equal(st.unmapped, 3);

	/* kallsyms changed but /proc/modules did not: refresh keeps the table */
	snprintf(text, sizeof(text), "%sffffffffc0200000 t xfs_thing\t[xfs]\n", fake_kallsyms);
	write_file(ks, text);
	assert_int_equal(hp_symbolizer__refresh_kernel(s), 0);
	expect_ksym(s, 0xffffffffc0200010, -ENOENT, NULL, NULL, 0);
	/* a module was loaded: refresh reads both again */
	write_file(mods, "ext4 16384 1 - Live 0xffffffffc0000000\n"
			 "xfs 8192 0 - Live 0xffffffffc0200000 (OE)\n");
	assert_int_equal(hp_symbolizer__refresh_kernel(s), 0);
	expect_ksym(s, 0xffffffffc0200010, 0, "xfs_thing", "[xfs]", 0x10);
	/* only a reference count changed: no reload needed (and none visible) */
	write_file(mods, "ext4 16384 7 - Live 0xffffffffc0000000\n"
			 "xfs 8192 2 - Live 0xffffffffc0200000 (OE)\n");
	write_file(ks, fake_kallsyms);
	assert_int_equal(hp_symbolizer__refresh_kernel(s), 0);
	expect_ksym(s, 0xffffffffc0200010, 0, "xfs_thing", "[xfs]", 0x10);
	hp_symbolizer__free(s);

	/* kptr_restrict: every address reads as zero */
	write_file(ks, "0000000000000000 T _text\n0000000000000000 T do_thing\n");
	s = hp_symbolizer__new(&o);
	assert_int_equal(hp_symbolizer__kernel(s, 0xffffffff81000115, &sym), -EPERM);
	assert_int_equal(hp_symbolizer__refresh_kernel(s), -EPERM);
	hp_symbolizer__free(s);

	unlink(ks);
	unlink(mods);
	rmdir(root);
}

/* The running kernel, checked against the test's own reading of /proc/kallsyms. */
static void test_kernel_live(void **state)
{
	unsigned long long text = 0, sched = 0, etext = 0;
	struct hp_symbolizer *s = new_symbolizer(false);
	char line[512], name[256];
	struct hp_sym sym;
	FILE *f = fopen("/proc/kallsyms", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type;

		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		if (strcmp(name, "_text") == 0)
			text = a;
		else if (strcmp(name, "_etext") == 0)
			etext = a;
		else if (strcmp(name, "schedule") == 0 && (type == 'T' || type == 't'))
			sched = a;
	}
	fclose(f);
	if (!text || !sched) {
		hp_symbolizer__free(s);
		skip(); /* kptr_restrict */
	}
	expect_ksym(s, sched, 0, "schedule", "[kernel.kallsyms]", sched - text);
	expect_ksym(s, sched + 1, 0, "schedule", "[kernel.kallsyms]", sched + 1 - text);
	assert_int_equal(hp_symbolizer__kernel(s, sched, &sym), 0);
	assert_int_equal(sym.map_start, text);
	assert_int_equal(sym.map_limit, etext);
	if (access("/sys/kernel/notes", R_OK) == 0)
		assert_int_equal(strlen(sym.build_id), 40);
	expect_ksym(s, 0x1000, -ENOENT, NULL, NULL, 0);
	assert_int_equal(hp_symbolizer__refresh_kernel(s), 0);
	expect_ksym(s, sched, 0, "schedule", "[kernel.kallsyms]", sched - text);
	hp_symbolizer__free(s);
}

/* --- caches, threads, speed ---------------------------------------------------------------- */

static void test_lru_bounds(void **state)
{
	struct hp_symbolizer_opts o = {
		.max_elf_files = 2,
		.max_processes = 2,
		.debug_root = fx_path("debugroot"),
	};
	static const char *const progs[] = { "fx_pie", "fx_nopie", "fx_dl_next" };
	struct hp_symbolizer *s = hp_symbolizer__new(&o);
	struct hp_symbolizer_stats st;
	struct child c[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		spawn(&c[i], progs[i]);
		assert_int_equal(hp_symbolizer__capture(s, c[i].pid), 0);
	}
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.proc_entries, 2);
	assert_int_equal(st.proc_evictions, 1);
	/* tables used by captured processes stay, even past the bound */
	assert_true(st.elf_entries > 2);
	/* the evicted process is captured again on demand */
	for (int i = 0; i < 3; i++)
		expect_sym(s, c[i].pid, child_addr(&c[i], "fx_gamma"), "fx_gamma",
			   fx_path(progs[i]));
	for (int i = 0; i < 3; i++) {
		hp_symbolizer__forget(s, c[i].pid);
		child_stop(&c[i]);
	}
	hp_symbolizer__stats(s, &st);
	assert_int_equal(st.proc_entries, 0);
	assert_true(st.elf_entries <= 2);
	assert_true(st.elf_cache_evictions > 0);
	assert_true(st.elf_cache_hits > 0); /* libc, libfx.so shared between processes */
	hp_symbolizer__free(s);
}

struct thread_arg {
	struct hp_symbolizer *s;
	const struct child *c;
	int errors;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	for (int round = 0; round < 300; round++) {
		for (size_t i = 0; i < a->c->naddrs; i++) {
			const struct fx_addr *x = &a->c->addrs[i];
			struct hp_sym sym;

			if (strcmp(x->kind, "sym") != 0)
				continue;
			if (hp_symbolizer__user(a->s, a->c->pid, x->addr + 1, &sym) != 0 ||
			    strcmp(sym.mangled, x->name) != 0)
				a->errors++;
			if (round % 50 == 0)
				hp_symbolizer__capture(a->s, a->c->pid);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	struct thread_arg args[4];
	pthread_t t[4];
	struct child c;

	(void)state;
	spawn(&c, "fx_pie");
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .s = s, .c = &c };
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].errors, 0);
	}
	child_stop(&c);
	hp_symbolizer__free(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Warm-cache lookups per second (this build has ASan+UBSan: see tests/bench for -O2). */
static void test_rate(void **state)
{
	struct hp_symbolizer *s = new_symbolizer(false);
	uint64_t addrs[MAX_ADDRS];
	size_t n = 0, done = 0;
	struct hp_sym sym;
	struct child c;
	double t0, dt;

	(void)state;
	spawn(&c, "fx_pie");
	for (size_t i = 0; i < c.naddrs; i++)
		if (strcmp(c.addrs[i].kind, "jit") != 0)
			addrs[n++] = c.addrs[i].addr + 1;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hp_symbolizer__user(s, c.pid, addrs[i], &sym), 0);
	t0 = now_s();
	do {
		for (int k = 0; k < 1000; k++, done++)
			hp_symbolizer__user(s, c.pid, addrs[done % n], &sym);
	} while ((dt = now_s() - t0) < 0.5);
	print_message("symbolizer: %.0f user addresses/s (warm cache, sanitizer build)\n",
		      (double)done / dt);
	assert_true((double)done / dt > 10000);
	child_stop(&c);
	hp_symbolizer__free(s);
}

int main(void)
{
	const char *dir = getenv("HOSTPROF_FIXTURES");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_perf_map_parse),
		cmocka_unit_test(test_elf_symtab),
		cmocka_unit_test(test_elf_debug_file_rejected),
		cmocka_unit_test(test_elf_debuglink),
		cmocka_unit_test(test_elf_build_id_dir),
		cmocka_unit_test(test_elf_minidebuginfo),
		cmocka_unit_test(test_elf_offset_to_vaddr),
		cmocka_unit_test(test_elf_malformed),
		cmocka_unit_test(test_live_pie),
		cmocka_unit_test(test_live_nopie),
		cmocka_unit_test(test_dlopen_recapture),
		cmocka_unit_test(test_dlopen_lookup_miss),
		cmocka_unit_test(test_jit_perf_map),
		cmocka_unit_test(test_exited_after_capture),
		cmocka_unit_test(test_unmapped_and_missing),
		cmocka_unit_test(test_deleted_binary),
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_container_root_fallback),
		cmocka_unit_test(test_self_and_vdso),
		cmocka_unit_test(test_fake_proc_pid_reuse),
		cmocka_unit_test(test_kernel_fake),
		cmocka_unit_test(test_kernel_live),
		cmocka_unit_test(test_lru_bounds),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_rate),
	};

	char real[PATH_MAX];

	if (!realpath(dir ? dir : "build/fixtures", real) || strlen(real) >= sizeof(fx)) {
		fprintf(stderr, "test_symbolizer: fixtures not found at %s (HOSTPROF_FIXTURES)\n",
			dir ? dir : "build/fixtures");
		return 1;
	}
	memcpy(fx, real, strlen(real) + 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
