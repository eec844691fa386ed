// SPDX-License-Identifier: GPL-2.0-only
/* Thin wrapper over libiberty's cplus_demangle() (see demangle.h). Only names with a mangling
 * prefix are passed in, so plain C names never go through libiberty's Java/Ada/D heuristics. */
#include "demangle.h"

#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

bool hp_demangle__is_mangled(const char *name)
{
	/* "_Z" covers C++ and Rust legacy; "_R" is Rust v0 (an uppercase letter always follows) */
	if (name[0] != '_')
		return false;
	if (name[1] == 'Z')
		return true;
	return name[1] == 'R' && name[2] >= 'A' && name[2] <= 'Z';
}

char *hp_demangle__name(const char *name)
{
	if (!hp_demangle__is_mangled(name))
		return NULL;
	/* An explicit style in the options keeps libiberty away from its global default style, so
	 * calls are independent of each other. DMGL_AUTO tries Rust before C++ because legacy Rust
	 * symbols are valid Itanium names too (with the hash as the last component). */
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
