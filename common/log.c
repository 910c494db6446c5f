/* log.c - see log.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_ident = "vaultgate";
static bool log_syslog;
static int log_verbose;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *ident, bool use_syslog, int verbose)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_verbose = verbose;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int pri, const char *fmt, va_list ap, int errnum)
{
	char msg[1024];

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (errnum) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	}
	if (log_syslog) {
		syslog(pri, "%s", msg);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s\n", log_ident, msg);
	pthread_mutex_unlock(&log_lock);
}

#define LOGFN(name, pri, err, guard)             \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		int saved = errno;               \
		if (!(guard))                    \
			return;                  \
		va_start(ap, fmt);               \
		vlog(pri, fmt, ap, err ? saved : 0); \
		va_end(ap);                      \
		errno = saved;                   \
	}

LOGFN(log_warn, LOG_WARNING, 1, 1)
LOGFN(log_warnx, LOG_WARNING, 0, 1)
LOGFN(log_info, LOG_INFO, 0, 1)
LOGFN(log_debug, LOG_DEBUG, 0, log_verbose > 0)

void fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
