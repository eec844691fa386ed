// SPDX-License-Identifier: GPL-2.0-only
/* Kernel address -> symbol from /proc/kallsyms (see kallsyms.h). An address belongs to the closest
 * text symbol below it; data symbols, _etext and the module's extent end a text symbol's range. */
#include "kallsyms.h"
#include "base/hex.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"
#include "base/bsearch.h"
#include "base/fnv.h"

#define KSYM_MAX_FILE (512u << 20)
#define KSYM_MAX_EXTENT (1u << 20) /* a symbol with no known bound covers at most this much */
#define KSYM_MODULE_NAME 64
#define KERNEL_MODULE "[kernel.kallsyms]"

#define KSYM_MARKER UINT32_MAX /* name of a data symbol: only ends the text symbol before it */

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset in names, or KSYM_MARKER */
	uint16_t mod;  /* index in mods; 0 is the kernel itself */
	uint16_t rank; /* alias preference while loading, lower is better */
};

struct kmod {
	char name[KSYM_MODULE_NAME + 3]; /* "[ext4]" */
	uint64_t base, size;		 /* from /proc/modules; 0 if not listed */
	char build_id[41];
};

struct hp_kallsyms {
	struct ksym *syms;
	size_t n;
	char *names;
	size_t names_len;
	struct kmod *mods;
	size_t nmods;
	uint64_t text, etext; /* _text and _etext */
	uint64_t modules_sig;
};

/* Hashes "name address" of each /proc/modules line: refcounts change all the time, loads and
 * unloads change these two fields. */
static uint64_t ksym__modules_sig(const char *buf, size_t len)
{
	uint64_t h = HP_FNV1A_SEED;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *name_end, *addr;

		if (!eol)
			eol = end;
		name_end = memchr(p, ' ', (size_t)(eol - p));
		addr = memmem(p, (size_t)(eol - p), " 0x", 3);
		if (name_end) {
			h = hp_fnv1a(h, p, (size_t)(name_end - p));
			if (addr)
				h = hp_fnv1a(h, addr, 19 <= eol - addr ? 19 : (size_t)(eol - addr));
		}
		p = eol < end ? eol + 1 : end;
	}
	return h ? h : 1;
}

uint64_t hp_kallsyms__read_modules_sig(const char *proc_root)
{
	char path[4096];
	uint64_t sig;
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/modules", proc_root);
	buf = hp_readfile__path(path, KSYM_MAX_FILE, &len);
	if (!buf)
		return 0;
	sig = ksym__modules_sig(buf, len);
	free(buf);
	return sig;
}

/* GNU build-id from a raw note blob in host byte order (/sys/kernel/notes). */
static void ksym__notes_build_id(const char *path, char *out)
{
	size_t len, off = 0;
	char *buf;

	out[0] = '\0';
	buf = hp_readfile__path(path, 1 << 20, &len);
	if (!buf)
		return;
	while (off + 12 <= len) {
		uint32_t nh[3];
		size_t name_off, desc_off;

		memcpy(nh, buf + off, sizeof(nh));
		name_off = off + 12;
		desc_off = name_off + (((size_t)nh[0] + 3) & ~(size_t)3);
		if (desc_off > len || nh[1] > len - desc_off)
			break;
		if (nh[2] == 3 /* NT_GNU_BUILD_ID */ && nh[0] == 4 &&
		    memcmp(buf + name_off, "GNU", 4) == 0 && nh[1] > 0 && nh[1] <= 20) {
			hp_hex__encode((const unsigned char *)buf + desc_off, nh[1], out);
			break;
		}
		off = desc_off + (((size_t)nh[1] + 3) & ~(size_t)3);
	}
	free(buf);
}

static int ksym__module(struct hp_kallsyms *k, const char *name, size_t len, size_t *cap)
{
	/* modules show up in long runs, so the previous symbol's module is the usual answer */
	for (size_t i = k->nmods; i-- > 0;) {
		if (strlen(k->mods[i].name) == len + 2 &&
		    memcmp(k->mods[i].name + 1, name, len) == 0)
			return (int)i;
		if (k->nmods - i > 4)
			break;
	}
	for (size_t i = 0; i < k->nmods; i++)
		if (strlen(k->mods[i].name) == len + 2 &&
		    memcmp(k->mods[i].name + 1, name, len) == 0)
			return (int)i;
	if (k->nmods == UINT16_MAX || len > KSYM_MODULE_NAME)
		return -1;
	if (k->nmods == *cap) {
		size_t nc = *cap * 2;
		struct kmod *m = realloc(k->mods, nc * sizeof(*m));

		if (!m)
			return -ENOMEM;
		k->mods = m;
		*cap = nc;
	}
	memset(&k->mods[k->nmods], 0, sizeof(k->mods[0]));
	snprintf(k->mods[k->nmods].name, sizeof(k->mods[0].name), "[%.*s]", (int)len, name);
	return (int)k->nmods++;
}

/* Alias preference: global (uppercase type) first, then fewer leading underscores. */
static uint16_t ksym__rank(char type, const char *name)
{
	uint16_t us = 0;

	while (name[us] == '_' && us < 7)
		us++;
	return (uint16_t)((type >= 'a' ? 8 : 0) | us);
}

/* Appends one symbol (name..name_end, NUL-terminated, copied down into the names pool); data
 * symbols become markers that only end the text symbol before them. 0 or -ENOMEM. */
static int ksym__push(struct hp_kallsyms *k, size_t *cap, uint64_t addr, int mod, char type,
		      const char *name, const char *name_end)
{
	if (k->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 65536;
		struct ksym *s = realloc(k->syms, nc * sizeof(*s));

		if (!s)
			return -ENOMEM;
		k->syms = s;
		*cap = nc;
	}
	if (!strchr("tTwW", type)) {
		k->syms[k->n++] = (struct ksym){
			.addr = addr,
			.mod = (uint16_t)mod,
			.rank = UINT16_MAX, /* text symbols at the same address win */
			.name = KSYM_MARKER,
		};
		return 0;
	}
	k->syms[k->n++] = (struct ksym){
		.addr = addr,
		.mod = (uint16_t)mod,
		.rank = ksym__rank(type, name),
		.name = (uint32_t)k->names_len,
	};
	memmove(k->names + k->names_len, name, (size_t)(name_end - name) + 1);
	k->names_len += (size_t)(name_end - name) + 1;
	return 0;
}

/* One NUL-terminated line "ADDR TYPE NAME [MODULE]" into k; lines that are malformed or not
 * wanted are skipped. *nonzero is set when an address is not 0. 0 or -ENOMEM. */
static int ksym__line(struct hp_kallsyms *k, char *p, size_t *cap, size_t *mod_cap, bool *nonzero)
{
	char *name, *name_end, *q;
	uint64_t addr = strtoull(p, &q, 16);
	int mod = 0;
	char type;

	if (q == p || q[0] != ' ' || !q[1] || q[2] != ' ')
		return 0;
	type = q[1];
	name = q + 3;
	name_end = name + strcspn(name, "\t ");
	if (addr)
		*nonzero = true;
	if (!strchr("tTwWdDbBrR", type))
		return 0;
	if (*name_end) {
		char *m = name_end + strspn(name_end, "\t "), *m_end;

		if (*m == '[' && (m_end = strchr(m, ']'))) {
			mod = ksym__module(k, m + 1, (size_t)(m_end - m - 1), mod_cap);
			if (mod < 0)
				return mod == -ENOMEM ? -ENOMEM : 0;
		}
	}
	*name_end = '\0';
	if (name == name_end || strncmp(name, "__pfx_", 6) == 0 || strncmp(name, "__cfi_", 6) == 0)
		return 0;
	if (strcmp(name, "_text") == 0 && !mod)
		k->text = addr;
	if (strcmp(name, "_etext") == 0 && !mod) {
		k->etext = addr;
		return 0; /* an end marker, not code */
	}
	return ksym__push(k, cap, addr, mod, type, name, name_end);
}

/* Parses /proc/kallsyms text buf[len] into k; buf becomes k->names (names are moved down in
 * place). 0, -ENOMEM, or -EPERM when every address reads 0 (kptr_restrict). */
static int ksym__parse(struct hp_kallsyms *k, char *buf, size_t len)
{
	size_t cap = 0, mod_cap = 16;
	bool nonzero = false;
	char *p = buf, *end = buf + len;

	k->mods = calloc(mod_cap, sizeof(*k->mods));
	if (!k->mods)
		return -ENOMEM;
	snprintf(k->mods[0].name, sizeof(k->mods[0].name), "%s", KERNEL_MODULE);
	k->nmods = 1;
	/* names are copied in place over the buffer: they never grow */
	k->names = buf;
	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		*eol = '\0';
		if (ksym__line(k, p, &cap, &mod_cap, &nonzero))
			return -ENOMEM;
		p = eol < end ? eol + 1 : end;
	}
	if (k->n && !nonzero)
		return -EPERM; /* kptr_restrict hides the addresses */
	return 0;
}

/* Fills base/size of every module listed in /proc/modules ("name size refs deps state 0xaddr"),
 * and the build-ids from sysfs. */
static void ksym__read_modules(struct hp_kallsyms *k, const char *proc_root, const char *sys_root)
{
	char path[4096];
	size_t len;
	char *buf, *line, *save = NULL;

	if (sys_root) {
		snprintf(path, sizeof(path), "%s/kernel/notes", sys_root);
		ksym__notes_build_id(path, k->mods[0].build_id);
	}
	snprintf(path, sizeof(path), "%s/modules", proc_root);
	buf = hp_readfile__path(path, KSYM_MAX_FILE, &len);
	if (!buf)
		return;
	k->modules_sig = ksym__modules_sig(buf, len);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[KSYM_MODULE_NAME + 1];
		unsigned long long size, addr;
		char *a = strstr(line, " 0x");

		if (!a || sscanf(line, "%64s %llu", name, &size) != 2 ||
		    sscanf(a + 1, "%llx", &addr) != 1)
			continue;
		for (size_t i = 1; i < k->nmods; i++) {
			if (strncmp(k->mods[i].name + 1, name, strlen(name)) != 0 ||
			    k->mods[i].name[strlen(name) + 1] != ']')
				continue;
			k->mods[i].base = addr;
			k->mods[i].size = size;
			if (sys_root) {
				snprintf(path, sizeof(path),
					 "%s/module/%s/notes/.note.gnu.build-id", sys_root, name);
				ksym__notes_build_id(path, k->mods[i].build_id);
			}
			break;
		}
	}
	free(buf);
}

static int ksym__cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

struct hp_kallsyms *hp_kallsyms__load(const char *proc_root, const char *sys_root)
{
	struct hp_kallsyms *k;
	char path[4096];
	size_t len, n = 0;
	char *buf;
	int err;

	snprintf(path, sizeof(path), "%s/kallsyms", proc_root);
	buf = hp_readfile__path(path, KSYM_MAX_FILE, &len);
	if (!buf)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	err = ksym__parse(k, buf, len);
	if (!k->names)
		free(buf);
	if (err) {
		hp_kallsyms__free(k);
		errno = -err;
		return NULL;
	}
	if (k->n)
		qsort(k->syms, k->n, sizeof(*k->syms), ksym__cmp);
	/* one symbol per address: the best-ranked, which sorted first */
	for (size_t i = 0; i < k->n; i++)
		if (!n || k->syms[n - 1].addr != k->syms[i].addr ||
		    k->syms[n - 1].mod != k->syms[i].mod)
			k->syms[n++] = k->syms[i];
	k->n = n;
	ksym__read_modules(k, proc_root, sys_root);
	return k;
}

void hp_kallsyms__free(struct hp_kallsyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->names);
	free(k->mods);
	free(k);
}

/* Upper bound of the address range symbol i may cover. */
static uint64_t ksym__limit(const struct hp_kallsyms *k, size_t i)
{
	const struct ksym *s = &k->syms[i];
	const struct kmod *m = &k->mods[s->mod];
	uint64_t limit = s->addr + KSYM_MAX_EXTENT;

	if (i + 1 < k->n && k->syms[i + 1].addr < limit)
		limit = k->syms[i + 1].addr;
	if (s->mod == 0 && k->etext && s->addr < k->etext && k->etext < limit)
		limit = k->etext;
	if (m->size && m->base <= s->addr && m->base + m->size < limit)
		limit = m->base + m->size;
	return limit;
}

int hp_kallsyms__lookup(const struct hp_kallsyms *k, uint64_t addr, struct hp_ksym *out)
{
	long i = HP_BSEARCH_LAST_LE(k->syms, k->n, addr, addr);

	memset(out, 0, sizeof(*out));
	out->name = "";
	if (i >= 0 && k->syms[i].name != KSYM_MARKER && addr < ksym__limit(k, (size_t)i)) {
		const struct ksym *s = &k->syms[i];
		const struct kmod *m = &k->mods[s->mod];

		out->name = k->names + s->name;
		out->sym_start = s->addr;
		out->module = m->name;
		out->build_id = m->build_id;
		if (s->mod == 0) {
			out->base = k->text;
			out->limit = k->etext;
		} else {
			out->base = m->base;
			out->limit = m->base + m->size;
		}
		return 0;
	}
	/* no symbol, but inside kernel text or a listed module: the module is still known */
	for (size_t i = 0; i < k->nmods; i++) {
		const struct kmod *m = &k->mods[i];
		uint64_t base = i ? m->base : k->text, limit = i ? m->base + m->size : k->etext;

		if (base && addr >= base && addr < limit) {
			out->module = m->name;
			out->build_id = m->build_id;
			out->base = base;
			out->limit = limit;
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t hp_kallsyms__modules_sig(const struct hp_kallsyms *k)
{
	return k->modules_sig;
}
