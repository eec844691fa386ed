// SPDX-License-Identifier: GPL-2.0-only
/* ELF function symbols through libelf: .symtab/.dynsym, separate debug files (build-id directory,
 * CRC-checked .gnu_debuglink) and MiniDebugInfo, merged into one sorted, de-aliased array. */
#include "elf_syms.h"
#include "base/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <lzma.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "demangle.h"
#include "base/safe_open.h"
#include "base/bsearch.h"

#define ELF_MAX_NAME 65536		/* longer symbol names are skipped */
#define ELF_MAX_MINIDEBUG (256u << 20)	/* decompressed .gnu_debugdata limit */
#define ELF_MAX_SIZELESS (1u << 20)	/* how far a symbol without st_size may extend */
#define ELF_MAX_TABLE (512u << 20)	/* larger symbol or string tables are not loaded */
#define ELF_MAX_DEBUG_FILE (4ULL << 30) /* larger separate debug files are not read */
#define ELF_LOOKBACK 8			/* earlier symbols checked for one enclosing the address */

struct elf_sym {
	uint64_t start;
	uint32_t size;
	uint32_t name; /* offset in names */
};

/* A symbol while the table is built: rank orders aliases (same address), lower is better. */
struct elf_cand {
	uint64_t start, size;
	uint32_t name;
	uint32_t rank;
};

struct elf_seg {
	uint64_t offset, vaddr, filesz, memsz;
	bool exec;
};

struct hp_elf_syms {
	struct elf_sym *syms;
	size_t n;
	char *names;
	size_t names_len;
	struct elf_seg *segs;
	size_t nsegs;
	char **demangled; /* lazily allocated, n entries; NULL: not computed yet */
	char build_id[2 * HP_BUILD_ID_MAX + 1];
	unsigned int sources;
};

/* Everything collected while parsing, before it is sorted into an hp_elf_syms. */
struct elf_builder {
	struct elf_cand *c;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	size_t max_mem; /* bytes candidates and names may use (hp_elf_open_opts.max_mem) */
};

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
static void elf__build_id(Elf *elf, char *out)
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
static int elf__check(Elf *elf, GElf_Ehdr *eh)
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
	err = elf__check(elf, &eh);
	if (!err)
		elf__build_id(elf, out);
	elf_end(elf);
	return err;
}

static Elf_Scn *elf__section(Elf *elf, const char *want, GElf_Shdr *sh)
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
		GElf_Sym sym;
		const char *name;
		unsigned int type;
		size_t len;

		if (!gelf_getsym(d, (int)i, &sym))
			return -EINVAL;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		if (type == STT_NOTYPE) {
			/* assembly entry points without .type: labels in code sections; local ones
			 * only from a full table (ld.so's _start and _dl_start_user are such), and
			 * elf__finish() drops a label that falls inside a sized function */
			GElf_Shdr ts;
			Elf_Scn *target;

			if ((GELF_ST_BIND(sym.st_info) == STB_LOCAL && sh->sh_type != SHT_SYMTAB) ||
			    sym.st_shndx >= SHN_LORESERVE)
				continue;
			target = elf_getscn(elf, sym.st_shndx);
			if (!target || !gelf_getshdr(target, &ts) || !(ts.sh_flags & SHF_EXECINSTR))
				continue;
		} else if (type != STT_FUNC && type != STT_GNU_IFUNC) {
			continue;
		}
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !name[0] || name[0] == '$')
			continue;
		len = strnlen(name, ELF_MAX_NAME);
		if (len == ELF_MAX_NAME)
			continue;
		if (machine == EM_ARM)
			sym.st_value &= ~(GElf_Addr)1; /* Thumb bit */
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
			.start = sym.st_value,
			.size = sym.st_size,
			.rank = elf__rank(&sym, name),
			.name = elf__builder_name(b, name, len),
		};
		if (b->c[b->n].name == UINT32_MAX)
			return -ENOMEM;
		b->n++;
	}
	return 0;
}

/* Adds .symtab (and .dynsym if want_dynsym) of elf; sets the matching bits in *found. */
static int elf__collect_tables(struct elf_builder *b, Elf *elf, bool want_dynsym,
			       unsigned int *found)
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

/* Takes the .symtab of the separate debug file at path if its build-id matches (want_build_id)
 * or its CRC32 does (want_crc). true if symbols were added. */
static bool elf__try_debug_file(struct elf_builder *b, const char *path, const char *want_build_id,
				const uint32_t *want_crc, const struct stat *self,
				const struct hp_elf_open_opts *o)
{
	struct hp_safe_open_opts so = { .max_size = ELF_MAX_DEBUG_FILE };
	size_t rl = o->root ? strlen(o->root) : 0;
	unsigned int found = 0;
	struct stat st;
	bool ok = false;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	if (rl && strncmp(path, o->root, rl) == 0 && path[rl] == '/') {
		so.root = o->root;
		path += rl;
	}
	fd = hp_safe_open__fd(path, &so, &st);
	if (fd < 0)
		return false;
	if (self && st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		goto out;
	if (want_crc) {
		unsigned char buf[65536];
		uLong crc = crc32(0, NULL, 0);
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			crc = crc32(crc, buf, (uInt)n);
		if (n < 0 || (uint32_t)crc != *want_crc)
			goto out;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf__check(elf, &eh) == 0) {
		char id[2 * HP_BUILD_ID_MAX + 1];
		size_t before = b->n;

		elf__build_id(elf, id);
		if ((!want_build_id || strcmp(id, want_build_id) == 0) &&
		    elf__collect_tables(b, elf, false, &found) == 0 && (found & HP_ELF_SRC_SYMTAB))
			ok = true;
		else
			b->n = before; /* names stay in the pool; they are compacted away later */
	}
	elf_end(elf);
out:
	close(fd);
	return ok;
}

static bool elf__try_build_id(struct elf_builder *b, const char *build_id,
			      const struct hp_elf_open_opts *o)
{
	char path[PATH_MAX];

	if (!build_id[0] || !build_id[1] || !build_id[2])
		return false;
	for (int i = 0; i < HP_ELF_MAX_DEBUG_ROOTS && o->debug_roots[i]; i++) {
		int n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug",
				 o->debug_roots[i], build_id, build_id + 2);

		if (n > 0 && (size_t)n < sizeof(path) &&
		    elf__try_debug_file(b, path, build_id, NULL, NULL, o))
			return true;
	}
	return false;
}

/* Directory part of path including the trailing '/', "" if none; false if it does not fit. */
static bool elf__dirname(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) + 1 : 0;

	if (n >= size)
		return false;
	memcpy(out, path, n);
	out[n] = '\0';
	return true;
}

static bool elf__try_debuglink(struct elf_builder *b, Elf *elf, int fd, const GElf_Ehdr *eh,
			       const struct hp_elf_open_opts *o)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *name;
	Elf_Scn *scn;
	GElf_Shdr sh;
	Elf_Data *d;
	struct stat self;
	size_t len, crc_off;
	uint32_t crc;
	bool swap;

	scn = elf__section(elf, ".gnu_debuglink", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
		return false;
	name = d->d_buf;
	len = strnlen(name, d->d_size);
	crc_off = (len + 4) & ~(size_t)3;
	if (len == 0 || len == d->d_size || crc_off + 4 > d->d_size || strchr(name, '/'))
		return false;
	memcpy(&crc, (const char *)d->d_buf + crc_off, 4);
	swap = (eh->e_ident[EI_DATA] == ELFDATA2MSB) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	if (swap)
		crc = __builtin_bswap32(crc);
	if (fstat(fd, &self) != 0)
		return false;

	if (o->path && elf__dirname(o->path, dir, sizeof(dir))) {
		int n = snprintf(path, sizeof(path), "%s%s", dir, name);

		if (n > 0 && (size_t)n < sizeof(path) &&
		    elf__try_debug_file(b, path, NULL, &crc, &self, o))
			return true;
		n = snprintf(path, sizeof(path), "%s.debug/%s", dir, name);
		if (n > 0 && (size_t)n < sizeof(path) &&
		    elf__try_debug_file(b, path, NULL, &crc, &self, o))
			return true;
	}
	if (!(o->orig_path ? o->orig_path : o->path) ||
	    !elf__dirname(o->orig_path ? o->orig_path : o->path, dir, sizeof(dir)))
		return false;
	for (int i = 0; i < HP_ELF_MAX_DEBUG_ROOTS && o->debug_roots[i]; i++) {
		/* dir is absolute: "/usr/lib/debug" + "/usr/bin/" + name */
		int n = snprintf(path, sizeof(path), "%s%s%s", o->debug_roots[i],
				 dir[0] == '/' ? "" : "/", dir);

		if (n <= 0 || (size_t)n >= sizeof(path) ||
		    snprintf(path + n, sizeof(path) - (size_t)n, "%s", name) >=
			(int)(sizeof(path) - (size_t)n))
			continue;
		if (elf__try_debug_file(b, path, NULL, &crc, &self, o))
			return true;
	}
	return false;
}

/* xz-decompresses .gnu_debugdata; NULL if there is none or it is corrupt. */
static unsigned char *elf__unxz(const void *in, size_t in_len, size_t *out_len)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	unsigned char *out = NULL;
	size_t cap = 0;
	lzma_ret ret;

	if (lzma_stream_decoder(&strm, ELF_MAX_MINIDEBUG, 0) != LZMA_OK)
		return NULL;
	strm.next_in = in;
	strm.avail_in = in_len;
	do {
		if (strm.avail_out == 0) {
			size_t done = cap - strm.avail_out;
			unsigned char *p;

			if (cap >= ELF_MAX_MINIDEBUG)
				goto fail;
			cap = cap ? cap * 2 : in_len * 4 + 4096;
			if (cap > ELF_MAX_MINIDEBUG)
				cap = ELF_MAX_MINIDEBUG;
			p = realloc(out, cap);
			if (!p)
				goto fail;
			out = p;
			strm.next_out = out + done;
			strm.avail_out = cap - done;
		}
		ret = lzma_code(&strm, LZMA_FINISH);
	} while (ret == LZMA_OK);
	if (ret != LZMA_STREAM_END)
		goto fail;
	*out_len = cap - strm.avail_out;
	lzma_end(&strm);
	return out;
fail:
	lzma_end(&strm);
	free(out);
	return NULL;
}

static bool elf__try_minidebug(struct elf_builder *b, Elf *elf)
{
	unsigned int found = 0;
	unsigned char *image;
	size_t image_len, before = b->n;
	Elf_Scn *scn;
	GElf_Shdr sh;
	GElf_Ehdr eh;
	Elf_Data *d;
	Elf *inner;
	bool ok = false;

	scn = elf__section(elf, ".gnu_debugdata", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
		return false;
	image = elf__unxz(d->d_buf, d->d_size, &image_len);
	if (!image)
		return false;
	inner = elf_memory((char *)image, image_len);
	if (elf__check(inner, &eh) == 0 && elf__collect_tables(b, inner, false, &found) == 0 &&
	    (found & HP_ELF_SRC_SYMTAB))
		ok = true;
	else
		b->n = before;
	elf_end(inner);
	free(image);
	return ok;
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

	err = elf__check(elf, &eh);
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
	elf__build_id(elf, e->build_id);
	err = elf__collect_tables(&b, elf, true, &found);
	if (err)
		goto fail;
	e->sources = found;
	if (!(found & HP_ELF_SRC_SYMTAB) && o) {
		if (elf__try_build_id(&b, e->build_id, o))
			e->sources |= HP_ELF_SRC_BUILD_ID;
		else if (fd >= 0 && elf__try_debuglink(&b, elf, fd, &eh, o))
			e->sources |= HP_ELF_SRC_DEBUGLINK;
	}
	if (!(e->sources & (HP_ELF_SRC_SYMTAB | HP_ELF_SRC_BUILD_ID | HP_ELF_SRC_DEBUGLINK)) &&
	    elf__try_minidebug(&b, elf))
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

long hp_elf_syms__find(const struct hp_elf_syms *e, uint64_t vaddr)
{
	size_t lo = HP_BSEARCH_COUNT_LE(e->syms, e->n, start, vaddr);

	/* lo: first symbol starting above vaddr; the closest one below usually covers it, else
	 * an enclosing symbol a little further back (nested labels, overlapping aliases) */
	for (size_t i = lo, seen = 0; i > 0 && seen < ELF_LOOKBACK; i--, seen++) {
		const struct elf_sym *s = &e->syms[i - 1];

		if (vaddr - s->start < s->size)
			return (long)(i - 1);
	}
	return -1;
}

const char *hp_elf_syms__name(const struct hp_elf_syms *e, size_t idx)
{
	return e->names + e->syms[idx].name;
}

uint64_t hp_elf_syms__start(const struct hp_elf_syms *e, size_t idx)
{
	return e->syms[idx].start;
}

const char *hp_elf_syms__lookup(const struct hp_elf_syms *e, uint64_t vaddr, uint64_t *sym_start)
{
	long i = hp_elf_syms__find(e, vaddr);

	if (i < 0)
		return NULL;
	if (sym_start)
		*sym_start = e->syms[i].start;
	return e->names + e->syms[i].name;
}

const char *hp_elf_syms__demangled(struct hp_elf_syms *e, size_t idx)
{
	char *name = e->names + e->syms[idx].name;

	if (!hp_demangle__is_mangled(name))
		return name;
	if (!e->demangled) {
		e->demangled = calloc(e->n, sizeof(*e->demangled));
		if (!e->demangled)
			return name;
	}
	if (!e->demangled[idx]) {
		char *d = hp_demangle__name(name);

		e->demangled[idx] = d ? d : name;
	}
	return e->demangled[idx];
}

const char *hp_elf_syms__build_id(const struct hp_elf_syms *e)
{
	return e->build_id;
}

int hp_elf_syms__offset_to_vaddr(const struct hp_elf_syms *e, uint64_t offset, uint64_t *vaddr)
{
	/* exact segment first; then page-rounded, for offsets in the padding a mapping covers
	 * around a segment that does not start on a page boundary */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->nsegs; i++) {
			const struct elf_seg *s = &e->segs[i];
			uint64_t lo = s->offset, hi = s->offset + s->filesz;

			if (pass) {
				lo &= ~(uint64_t)4095;
				hi = (hi + 4095) & ~(uint64_t)4095;
			}
			if (offset >= lo && offset < hi) {
				*vaddr = offset - s->offset + s->vaddr;
				return 0;
			}
		}
	}
	return -1;
}

size_t hp_elf_syms__count(const struct hp_elf_syms *e)
{
	return e->n;
}

unsigned int hp_elf_syms__sources(const struct hp_elf_syms *e)
{
	return e->sources;
}

size_t hp_elf_syms__mem_size(const struct hp_elf_syms *e)
{
	return sizeof(*e) + e->n * sizeof(*e->syms) + e->names_len + e->nsegs * sizeof(*e->segs) +
	       (e->demangled ? e->n * sizeof(char *) : 0);
}

size_t hp_elf_syms__map_biases(const struct hp_elf_syms *e, uint64_t map_start, uint64_t map_offset,
			       uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nsegs && n < max; i++) {
		const struct elf_seg *s = &e->segs[i];

		if ((s->offset & ~(uint64_t)4095) == map_offset)
			out[n++] = map_start - (s->vaddr & ~(uint64_t)4095);
	}
	return n;
}

int hp_elf_syms__exec_offset(const struct hp_elf_syms *e, uint64_t vaddr, uint64_t *offset)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct elf_seg *s = &e->segs[i];
		uint64_t lo = s->vaddr & ~(uint64_t)4095;
		uint64_t hi = (s->vaddr + s->memsz + 4095) & ~(uint64_t)4095;

		if (s->exec && vaddr >= lo && vaddr < hi) {
			*offset = vaddr - (s->vaddr - s->offset); /* congruent modulo the page */
			return 0;
		}
	}
	return -1;
}
