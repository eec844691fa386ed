// SPDX-License-Identifier: GPL-2.0-only
/* Symbols a stripped file keeps elsewhere: the build-id directory, the CRC-checked
 * .gnu_debuglink target, MiniDebugInfo (.gnu_debugdata, xz); opened inside the process's root. */
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elf_internal.h"
#include "base/safe_open.h"

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
	if (hp_elf__check(elf, &eh) == 0) {
		char id[2 * HP_BUILD_ID_MAX + 1];
		size_t before = b->n;

		hp_elf__build_id(elf, id);
		if ((!want_build_id || strcmp(id, want_build_id) == 0) &&
		    hp_elf__collect_tables(b, elf, false, &found) == 0 &&
		    (found & HP_ELF_SRC_SYMTAB))
			ok = true;
		else
			b->n = before; /* names stay in the pool; they are compacted away later */
	}
	elf_end(elf);
out:
	close(fd);
	return ok;
}

bool hp_elf__try_build_id(struct elf_builder *b, const char *build_id,
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

bool hp_elf__try_debuglink(struct elf_builder *b, Elf *elf, int fd, const GElf_Ehdr *eh,
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

	scn = hp_elf__section(elf, ".gnu_debuglink", &sh);
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

bool hp_elf__try_minidebug(struct elf_builder *b, Elf *elf)
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

	scn = hp_elf__section(elf, ".gnu_debugdata", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
		return false;
	image = elf__unxz(d->d_buf, d->d_size, &image_len);
	if (!image)
		return false;
	inner = elf_memory((char *)image, image_len);
	if (hp_elf__check(inner, &eh) == 0 &&
	    hp_elf__collect_tables(b, inner, false, &found) == 0 && (found & HP_ELF_SRC_SYMTAB))
		ok = true;
	else
		b->n = before;
	elf_end(inner);
	free(image);
	return ok;
}
