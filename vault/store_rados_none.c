/* store_rados_none.c - the RADOS back end in builds without librados.h:
 * opening it says so (the directory back end is unaffected). */
#include <errno.h>
#include <stdio.h>

#include "store_be.h"

int vs_rados_open(const struct vs_rados_conf *cf, void **out, char *why, size_t whysz)
{
	*out = NULL;
	snprintf(why, whysz, "this vaultd was built without librados (librados-dev): "
		"--store rados is unavailable");
	return -ENOTSUP;
}

const struct vs_be_ops vs_rados_ops = {.name = "rados"};
