/* SPDX-License-Identifier: GPL-2.0-only */
/* C++ and Rust (legacy and v0) symbol demangling through libiberty, the library binutils and gdb
 * use, so profiles show the names developers know and no demangler is maintained here. */
#ifndef HOSTPROF_DEMANGLE_H
#define HOSTPROF_DEMANGLE_H

#include <stdbool.h>

/* True if name looks mangled (Itanium C++ "_Z...", Rust legacy "_ZN...17h<hash>E", Rust v0
 * "_R..."), i.e. worth handing to hp_demangle__name(). */
bool hp_demangle__is_mangled(const char *name);
/* Demangled name, allocated (caller frees), or NULL if name is not a valid mangled name (the
 * caller then shows it as is). Rust legacy hashes are dropped; C++ parameter lists are kept. */
char *hp_demangle__name(const char *name);

#endif
