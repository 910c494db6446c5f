/* log.h - process-edge logging: stderr in the foreground, syslog as a service.
 * Only main() and request dispatch log; library code returns errors. */
#ifndef VG_LOG_H
#define VG_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

void log_init(const char *ident, bool use_syslog, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* adds strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
