/* p11conf.c - the PKCS#11 key-provider configuration file (see keys.h):
 * strict parsing, and the file-secrecy check shared with the PIN file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "keys.h"
#include "vg_err.h"

#define CONF_MAX (64u * 1024u)

int vk_file_secrecy(const char *path, int fd, int secret, char *why, size_t whysz)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "%s: not a regular file", path);
		return VG_EKEYFILE;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whysz, "%s: owned by uid %u, expected root or uid %u", path,
			(unsigned)st.st_uid, (unsigned)geteuid());
		return VG_EKEYFILE;
	}
	if (st.st_mode & 022) {
		snprintf(why, whysz, "%s: mode %04o is group or world writable", path,
			(unsigned)(st.st_mode & 07777));
		return VG_EKEYFILE;
	}
	if (secret && (st.st_mode & 077)) {
		snprintf(why, whysz, "%s: mode %04o is too open: a secret file must be 0600 or 0400",
			path, (unsigned)(st.st_mode & 07777));
		return VG_EKEYFILE;
	}
	return 0;
}

int vk_p11_label_check(const char *label)
{
	size_t n = strlen(label);

	if (n == 0 || n > VK_P11_LABEL_MAX)
		return VG_ENAME;
	for (size_t i = 0; i < n; i++) {
		char ch = label[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return VG_ENAME;
	}
	return 0;
}

int vk_p11_ref_parse(const char *ref, char token[VK_P11_TOKEN_MAX + 1],
	char label[VK_P11_LABEL_MAX + 1])
{
	static const char pre[] = VK_P11_PREFIX "token=";
	const char *t, *sep;
	size_t tl;

	if (strncmp(ref, pre, sizeof(pre) - 1) != 0)
		return VG_EINVAL;
	t = ref + sizeof(pre) - 1;
	if (!(sep = strstr(t, ";object=")))
		return VG_EINVAL;
	tl = (size_t)(sep - t);
	if (tl == 0 || tl > VK_P11_TOKEN_MAX)
		return VG_EINVAL;
	memcpy(token, t, tl);
	token[tl] = 0;
	if (strlen(sep + 8) > VK_P11_LABEL_MAX)
		return VG_EINVAL;
	strcpy(label, sep + 8);
	return vk_p11_label_check(label) ? VG_EINVAL : 0;
}

/* Trims spaces and tabs at both ends, in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int set_str(char *dst, size_t dstsz, const char *name, unsigned line, const char *key,
	const char *val, int *seen, char *why, size_t whysz)
{
	if (*seen) {
		snprintf(why, whysz, "%s:%u: %s is set twice", name, line, key);
		return VG_EINVAL;
	}
	*seen = 1;
	if (!*val || strlen(val) >= dstsz) {
		snprintf(why, whysz, "%s:%u: %s \"%.80s\" is empty or longer than %zu bytes", name, line,
			key, val, dstsz - 1);
		return VG_EINVAL;
	}
	strcpy(dst, val);
	return 0;
}

int vk_p11_config_parse(const char *name, const char *text, size_t len,
	struct vk_p11_config *cfg, char *why, size_t whysz)
{
	int seen_module = 0, seen_token = 0, seen_pin = 0, r = 0;
	unsigned line = 0;
	size_t off = 0;
	char buf[2048];

	memset(cfg, 0, sizeof(*cfg));
	if (memchr(text, 0, len)) {
		snprintf(why, whysz, "%s: holds a NUL byte", name);
		return VG_EINVAL;
	}
	while (off < len && !r) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
		char *l, *eq, *key, *val;

		line++;
		if (ll >= sizeof(buf)) {
			snprintf(why, whysz, "%s:%u: line longer than %zu bytes", name, line, sizeof(buf) - 1);
			return VG_EINVAL;
		}
		memcpy(buf, text + off, ll);
		buf[ll] = 0;
		off += ll + (nl ? 1 : 0);
		l = trim(buf);
		if (!*l || *l == '#')
			continue;
		for (const char *p = l; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t') {
				snprintf(why, whysz, "%s:%u: control character in line", name, line);
				return VG_EINVAL;
			}
		if (!(eq = strchr(l, '='))) {
			snprintf(why, whysz, "%s:%u: expected KEY = VALUE, got \"%.80s\"", name, line, l);
			return VG_EINVAL;
		}
		*eq = 0;
		key = trim(l);
		val = trim(eq + 1);
		if (strcmp(key, "module") == 0) {
			r = set_str(cfg->module, sizeof(cfg->module), name, line, key, val, &seen_module,
				why, whysz);
			if (!r && cfg->module[0] != '/') {
				snprintf(why, whysz, "%s:%u: module \"%.200s\" must be an absolute path", name,
					line, val);
				r = VG_EINVAL;
			}
		} else if (strcmp(key, "token") == 0) {
			r = set_str(cfg->token, sizeof(cfg->token), name, line, key, val, &seen_token,
				why, whysz);
			if (!r && strpbrk(cfg->token, ";=")) {
				snprintf(why, whysz, "%s:%u: token \"%s\" must not hold ';' or '='", name,
					line, val);
				r = VG_EINVAL;
			}
		} else if (strcmp(key, "pin_file") == 0) {
			r = set_str(cfg->pin_file, sizeof(cfg->pin_file), name, line, key, val, &seen_pin,
				why, whysz);
			if (!r && cfg->pin_file[0] != '/') {
				snprintf(why, whysz, "%s:%u: pin_file \"%.200s\" must be an absolute path", name,
					line, val);
				r = VG_EINVAL;
			}
		} else {
			snprintf(why, whysz, "%s:%u: unknown key \"%.64s\" (module, token, pin_file)", name,
				line, key);
			r = VG_EINVAL;
		}
	}
	if (r)
		return r;
	if (!seen_module || !seen_token || !seen_pin) {
		snprintf(why, whysz, "%s: %s is missing", name,
			!seen_module ? "module" : !seen_token ? "token" : "pin_file");
		return VG_EINVAL;
	}
	return 0;
}

int vk_p11_config_load(const char *path, struct vk_p11_config *cfg, char *why, size_t whysz)
{
	char *text = NULL;
	long n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(why, whysz, "%s: cannot open: %s", path, strerror(errno));
		return VG_EKEYFILE;
	}
	if ((r = vk_file_secrecy(path, fd, 0, why, whysz)))
		goto out;
	if (!(text = malloc(CONF_MAX + 1))) {
		r = -ENOMEM;
		goto out;
	}
	n = vg_read_full(fd, text, CONF_MAX + 1);
	if (n < 0 || n > (long)CONF_MAX) {
		snprintf(why, whysz, "%s: %s", path, n < 0 ? strerror((int)-n) : "larger than 64 KiB");
		r = VG_EINVAL;
		goto out;
	}
	r = vk_p11_config_parse(path, text, (size_t)n, cfg, why, whysz);
out:
	free(text);
	close(fd);
	return r;
}
