/* names.c - see names.h. */
#include <string.h>

#include "names.h"
#include "vg_err.h"

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int vg_name_check(const char *s, size_t maxlen)
{
	size_t n;

	if (!s)
		return VG_ENAME;
	n = strnlen(s, maxlen + 1);
	if (n == 0 || n > maxlen || !is_alnum(s[0]))
		return VG_ENAME;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!is_alnum(c) && !strchr("._:@+=-", c))
			return VG_ENAME;
		if (c == '.' && s[i + 1] == '.')
			return VG_ENAME;
	}
	return 0;
}

int vg_hexid_check(const char *s, size_t len)
{
	if (!s || strnlen(s, len + 1) != len)
		return VG_ENAME;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return VG_ENAME;
	return 0;
}
