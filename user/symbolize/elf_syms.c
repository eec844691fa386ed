// SPDX-License-Identifier: GPL-2.0-only
/* ELF function symbols through libelf: .symtab/.dynsym of the file and of its debug files
 * (elf_debug.c), merged into one sorted, de-aliased array (queried in elf_lookup.c). */
#include "elf_syms.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "elf_internal.h"
#include "base/hex.h"

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ok;

static void elf__init_once(void)
{
	elf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static bool elf__init(void)
{
	pthread_once(&elf_once, elf__init_once);
	return elf_ok;
}

/* Writes the GNU build-id found in the notes of d as hex into out; false if there is none. */
static bool elf__note_build_id(Elf_Data *d, char *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) == 0 && nh.n_descsz > 0 &&
		    nh.n_descsz <= HP_BUILD_ID_MAX) {
			hp_hex__encode((const unsigned char *)d->d_buf + desc_off, nh.n_descsz,
				       out);
			return true;
		}
	}
	return false;
}

/* GNU build-id from the note sections, else from PT_NOTE segments (files without sections). */
void hp_elf__build_id(Elf *elf, char *out)
{
	Elf_Scn *scn = NULL;
	size_t nph = 0;

	out[0] = '\0';
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		if (elf__note_build_id(d, out))
			return;
	}
	if (elf_getphdrnum(elf, &nph) != 0)
		return;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
					 ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (!d)
			continue;
		if (elf__note_build_id(d, out))
			return;
	}
}

/* An ELF we can take symbols from: an executable or shared object (ET_DYN also covers PIE). */
int hp_elf__check(Elf *elf, GElf_Ehdr *eh)
{
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	if (!gelf_getehdr(elf, eh))
		return -EINVAL;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	return 0;
}

int hp_elf_syms__read_build_id(int fd, char out[2 * HP_BUILD_ID_MAX + 1])
{
	GElf_Ehdr eh;
	Elf *elf;
	int err;

	out[0] = '\0';
	if (!elf__init())
		return -ENOSYS;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = hp_elf__check(elf, &eh);
	if (!err)
		hp_elf__build_id(elf, out);
	elf_end(elf);
	return err;
}

Elf_Scn *hp_elf__section(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && strcmp(name, want) == 0)
			return scn;
	}
	return NULL;
}

static uint32_t elf__builder_name(struct elf_builder *b, const char *s, size_t len)
{
	uint32_t off;

	if (b->names_len + len + 1 > b->names_cap) {
		size_t cap = b->names_cap ? b->names_cap : 65536;
		char *p;

		while (cap < b->names_len + len + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return UINT32_MAX;
		p = realloc(b->names, cap);
		if (!p)
			return UINT32_MAX;
		b->names = p;
		b->names_cap = cap;
	}
	off = (uint32_t)b->names_len;
	memcpy(b->names + off, s, len + 1);
	b->names_len += len + 1;
	return off;
}

/* Alias preference, lower first: sized symbols, then global over weak over local, functions over
 * untyped labels, then fewer leading underscores ("malloc" over "__libc_malloc"). */
static uint32_t elf__rank(const GElf_Sym *sym, const char *name)
{
	uint32_t rank = 0, us = 0;

	if (sym->st_size == 0)
		rank |= 1u << 12;
	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL:
		break;
	case STB_WEAK:
		rank |= 1u << 10;
		break;
	default:
		rank |= 2u << 10;
		break;
	}
	if (GELF_ST_TYPE(sym->st_info) == STT_NOTYPE)
		rank |= 1u << 9;
	while (name[us] == '_' && us < 7)
		us++;
	return rank | us << 6;
}

/* The name of sym from symbol table sh if it is a function worth keeping, else NULL. */
static const char *elf__wanted(Elf *elf, const GElf_Shdr *sh, const GElf_Sym *sym, size_t *len)
{
	unsigned int type = GELF_ST_TYPE(sym->st_info);
	const char *name;

	if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0)
		return NULL;
	if (type == STT_NOTYPE) {
		/* assembly entry points without .type: labels in code sections; local ones only
		 * from a full table (ld.so's _start and _dl_start_user are such), and
		 * elf__finish() drops a label that falls inside a sized function */
		GElf_Shdr ts;
		Elf_Scn *target;

		if ((GELF_ST_BIND(sym->st_info) == STB_LOCAL && sh->sh_type != SHT_SYMTAB) ||
		    sym->st_shndx >= SHN_LORESERVE)
			return NULL;
		target = elf_getscn(elf, sym->st_shndx);
		if (!target || !gelf_getshdr(target, &ts) || !(ts.sh_flags & SHF_EXECINSTR))
			return NULL;
	} else if (type != STT_FUNC && type != STT_GNU_IFUNC) {
		return NULL;
	}
	name = elf_strptr(elf, sh->sh_link, sym->st_name);
	if (!name || !name[0] || name[0] == '$')
		return NULL;
	*len = strnlen(name, ELF_MAX_NAME);
	return *len == ELF_MAX_NAME ? NULL : name;
}

/* Appends a candidate (name[len] copied into the pool). 0, -EFBIG over max_mem, -ENOMEM. */
static int elf__add(struct elf_builder *b, const GElf_Sym *sym, const char *name, size_t len)
{
	if (b->max_mem && (b->n + 1) * sizeof(*b->c) + b->names_len + len + 1 > b->max_mem)
		return -EFBIG;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct elf_cand *c = realloc(b->c, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		b->c = c;
		b->cap = cap;
	}
	b->c[b->n] = (struct elf_cand){
		.start = sym->st_value,
		.size = sym->st_size,
		.rank = elf__rank(sym, name),
		.name = elf__builder_name(b, name, len),
	};
	if (b->c[b->n].name == UINT32_MAX)
		return -ENOMEM;
	b->n++;
	return 0;
}

/* Adds the function symbols of one SHT_SYMTAB/SHT_DYNSYM section. -errno on malformed data. */
static int elf__collect(struct elf_builder *b, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			unsigned int machine)
{
	Elf_Scn *strs = elf_getscn(elf, sh->sh_link);
	GElf_Shdr ssh;
	Elf_Data *d;
	size_t count;

	/* both tables are read whole: a crafted (or sparse) file must not make that gigabytes */
	if (sh->sh_size > ELF_MAX_TABLE || !strs || !gelf_getshdr(strs, &ssh) ||
	    ssh.sh_size > ELF_MAX_TABLE)
		return -EFBIG;
	d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return -EINVAL;
	count = d->d_size / sh->sh_entsize;
	if (count > INT_MAX)
		return -EINVAL;
	for (size_t i = 1; i < count; i++) {
		const char *name;
		GElf_Sym sym;
		size_t len;
		int err;

		if (!gelf_getsym(d, (int)i, &sym))
			return -EINVAL;
		name = elf__wanted(elf, sh, &sym, &len);
		if (!name)
			continue;
		if (machine == EM_ARM)
			sym.st_value &= ~(GElf_Addr)1; /* Thumb bit */
		err = elf__add(b, &sym, name, len);
		if (err)
			return err;
	}
	return 0;
}

/* Adds .symtab (and .dynsym if want_dynsym) of elf; sets the matching bits in *found. */
int hp_elf__collect_tables(struct elf_builder *b, Elf *elf, bool want_dynsym, unsigned int *found)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		int err;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type == SHT_SYMTAB) {
			err = elf__collect(b, elf, scn, &sh, eh.e_machine);
			if (err)
				return err;
			*found |= HP_ELF_SRC_SYMTAB;
		} else if (sh.sh_type == SHT_DYNSYM && want_dynsym) {
			err = elf__collect(b, elf, scn, &sh, eh.e_machine);
			if (err)
				return err;
			*found |= HP_ELF_SRC_DYNSYM;
		}
	}
	return 0;
}

static int elf__load_segments(struct hp_elf_syms *e, Elf *elf)
{
	size_t nph;

	if (elf_getphdrnum(elf, &nph) != 0)
		return -EINVAL;
	e->segs = calloc(nph ? nph : 1, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_LOAD || ph.p_offset + ph.p_filesz < ph.p_offset)
			continue;
		e->segs[e->nsegs++] = (struct elf_seg){
			.offset = ph.p_offset,
			.vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz,
			.memsz = ph.p_memsz,
			.exec = ph.p_flags & PF_X,
		};
	}
	return 0;
}

static int elf__cand_cmp(const void *a, const void *b)
{
	const struct elf_cand *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return 0; /* elf__finish() breaks ties by name, so qsort's order does not matter */
}

/* End of the executable PT_LOAD segment holding vaddr (for symbols without a size). */
static uint64_t elf__segment_end(const struct hp_elf_syms *e, uint64_t vaddr)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct elf_seg *s = &e->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
			return s->vaddr + s->filesz;
	}
	return vaddr + 1;
}

/*
 * Sorts, keeps the best-ranked symbol per address, gives sizeless symbols their extent and copies
 * the surviving names into a compact pool. A sizeless symbol (st_size 0: assembly without .size)
 * extends up to the next symbol only when a full table (.symtab, from the file, a debug file or
 * MiniDebugInfo) lists every function, static ones included, so the gap is the label's own code.
 * When .dynsym is all there is, the functions between two exported symbols are unknown: the
 * symbol then covers its exact address only, and the code after it stays module+offset (a stub
 * must not name every address of a stripped binary after it).
 */
static int elf__finish(struct hp_elf_syms *e, struct elf_builder *b)
{
	bool dynsym_only = !(e->sources & ~(unsigned int)HP_ELF_SRC_DYNSYM);
	size_t n = 0, names_len = 0;
	uint64_t sized_end = 0; /* end of the sized symbols kept so far */

	if (b->n)
		qsort(b->c, b->n, sizeof(*b->c), elf__cand_cmp);
	for (size_t i = 0; i < b->n; i++) {
		const struct elf_cand *c = &b->c[i];

		if (n && b->c[n - 1].start == c->start) {
			struct elf_cand *kept = &b->c[n - 1];
			const char *kn = b->names + kept->name, *cn = b->names + c->name;
			size_t kl = strlen(kn), cl = strlen(cn);

			/* same rank: the shorter name, then the alphabetically first */
			if (c->rank == kept->rank && (cl < kl || (cl == kl && strcmp(cn, kn) < 0)))
				*kept = *c;
			continue;
		}
		/* a sizeless label inside a sized function would take over the function's tail */
		if (!c->size && c->start < sized_end)
			continue;
		if (c->size && c->start + c->size > sized_end)
			sized_end = c->start + c->size;
		b->c[n++] = *c;
	}
	e->syms = calloc(n ? n : 1, sizeof(*e->syms));
	if (!e->syms)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		names_len += strlen(b->names + b->c[i].name) + 1;
	e->names = malloc(names_len ? names_len : 1);
	if (!e->names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct elf_cand *c = &b->c[i];
		const char *name = b->names + c->name;
		size_t len = strlen(name) + 1;
		uint64_t size = c->size;

		if (size == 0 && dynsym_only) {
			size = 1;
		} else if (size == 0) {
			uint64_t end =
			    i + 1 < n ? b->c[i + 1].start : elf__segment_end(e, c->start);

			size = end > c->start ? end - c->start : 1;
			if (size > ELF_MAX_SIZELESS)
				size = ELF_MAX_SIZELESS;
		}
		if (size > UINT32_MAX)
			size = UINT32_MAX;
		e->syms[i] = (struct elf_sym){
			.start = c->start,
			.size = (uint32_t)size,
			.name = (uint32_t)e->names_len,
		};
		memcpy(e->names + e->names_len, name, len);
		e->names_len += len;
	}
	e->n = n;
	return 0;
}

static void elf__builder_free(struct elf_builder *b)
{
	free(b->c);
	free(b->names);
}

/* Builds the table from an open Elf; fd (-1 for memory images) is needed for debuglink checks. */
static struct hp_elf_syms *elf__parse(Elf *elf, int fd, const struct hp_elf_open_opts *o)
{
	struct elf_builder b = { 0 };
	unsigned int found = 0;
	struct hp_elf_syms *e;
	GElf_Ehdr eh;
	int err;

	err = hp_elf__check(elf, &eh);
	if (err) {
		errno = -err;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	b.max_mem = o ? o->max_mem : 0;
	err = elf__load_segments(e, elf);
	if (err)
		goto fail;
	hp_elf__build_id(elf, e->build_id);
	err = hp_elf__collect_tables(&b, elf, true, &found);
	if (err)
		goto fail;
	e->sources = found;
	if (!(found & HP_ELF_SRC_SYMTAB) && o) {
		if (hp_elf__try_build_id(&b, e->build_id, o))
			e->sources |= HP_ELF_SRC_BUILD_ID;
		else if (fd >= 0 && hp_elf__try_debuglink(&b, elf, fd, &eh, o))
			e->sources |= HP_ELF_SRC_DEBUGLINK;
	}
	if (!(e->sources & (HP_ELF_SRC_SYMTAB | HP_ELF_SRC_BUILD_ID | HP_ELF_SRC_DEBUGLINK)) &&
	    hp_elf__try_minidebug(&b, elf))
		e->sources |= HP_ELF_SRC_MINIDEBUG;
	err = elf__finish(e, &b);
	if (err)
		goto fail;
	elf__builder_free(&b);
	return e;
fail:
	elf__builder_free(&b);
	hp_elf_syms__free(e);
	errno = -err;
	return NULL;
}

struct hp_elf_syms *hp_elf_syms__open_opts(int fd, const struct hp_elf_open_opts *opts)
{
	struct hp_elf_syms *e;
	Elf *elf;
	int err;

	if (!elf__init()) {
		errno = ENOSYS;
		return NULL;
	}
	/* ELF_C_READ rather than _MMAP: a file truncated while we read it gives an error, not
	 * SIGBUS */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		errno = ENOEXEC;
		return NULL;
	}
	e = elf__parse(elf, fd, opts);
	err = errno;
	elf_end(elf);
	errno = err;
	return e;
}

struct hp_elf_syms *hp_elf_syms__open(int fd, const char *path, const char *debug_root)
{
	struct hp_elf_open_opts o = {
		.path = path,
		.debug_roots = { debug_root ? debug_root : "/usr/lib/debug" },
	};

	return hp_elf_syms__open_opts(fd, &o);
}

struct hp_elf_syms *hp_elf_syms__open_mem(const void *image, size_t len)
{
	struct hp_elf_syms *e;
	char *copy;
	Elf *elf;
	int err;

	if (!elf__init()) {
		errno = ENOSYS;
		return NULL;
	}
	copy = malloc(len ? len : 1); /* elf_memory() wants a writable buffer */
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, image, len);
	elf = elf_memory(copy, len);
	if (!elf) {
		free(copy);
		errno = ENOEXEC;
		return NULL;
	}
	e = elf__parse(elf, -1, NULL);
	err = errno;
	elf_end(elf);
	free(copy);
	errno = err;
	return e;
}

void hp_elf_syms__free(struct hp_elf_syms *e)
{
	if (!e)
		return;
	if (e->demangled) {
		for (size_t i = 0; i < e->n; i++)
			if (e->demangled[i] != e->names + e->syms[i].name)
				free(e->demangled[i]);
		free(e->demangled);
	}
	free(e->syms);
	free(e->names);
	free(e->segs);
	free(e);
}
