/* tutil.h - small helpers shared by the unit suites: private temp dirs,
 * whole-file I/O, bit flips and file counting. Helpers fail the running
 * test (ck_abort) instead of returning errors. */
#ifndef VG_TUTIL_H
#define VG_TUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A fresh private directory under $TMPDIR (or /tmp); returns a static
 * path valid until tu_tmpdir_free(). */
char *tu_tmpdir_new(void);
void tu_tmpdir_free(char *dir);
/* snprintf into a malloc'd string; never truncates. */
char *tu_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void tu_write_file(const char *path, const void *p, size_t n, mode_t mode);
/* Reads a whole file; *n gets its size. The caller frees. */
uint8_t *tu_read_file(const char *path, size_t *n);
void tu_flip_bit(const char *path, uint64_t off, unsigned bit);
off_t tu_file_size(const char *path);
/* Regular files below dir (recursive). */
int tu_count_files(const char *dir);
/* Deterministic pseudo-random bytes (xorshift), for reproducible tests. */
void tu_fill(void *p, size_t n, uint64_t seed);

#endif
