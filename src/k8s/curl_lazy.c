// SPDX-License-Identifier: Apache-2.0
/* libcurl, loaded on first use and shared by the Kubernetes client and
 * the etcd store (curl_lazy.h). */
#include <dlfcn.h>
#include <string.h>

#include "cni_error.h"
#include "curl_lazy.h"

static struct curl_fns fns;
static void *lib;

/* One symbol into *slot (a function pointer of the table). */
static int sym(const char *name, void *slot, const char **missing)
{
	void *f = dlsym(lib, name);

	if (!f) {
		*missing = name;
		return -1;
	}
	memcpy(slot, &f, sizeof(f));
	return 0;
}

static int resolve(const char **missing)
{
	return sym("curl_global_init", &fns.global_init, missing) ||
	       sym("curl_global_cleanup", &fns.global_cleanup, missing) ||
	       sym("curl_easy_init", &fns.easy_init, missing) ||
	       sym("curl_easy_cleanup", &fns.easy_cleanup, missing) ||
	       sym("curl_easy_reset", &fns.easy_reset, missing) ||
	       sym("curl_easy_setopt", &fns.easy_setopt, missing) ||
	       sym("curl_easy_perform", &fns.easy_perform, missing) ||
	       sym("curl_easy_getinfo", &fns.easy_getinfo, missing) ||
	       sym("curl_easy_strerror", &fns.easy_strerror, missing) ||
	       sym("curl_slist_append", &fns.slist_append, missing) ||
	       sym("curl_slist_free_all", &fns.slist_free_all, missing);
}

int curl_lazy(int code, const char *who, const struct curl_fns **ret,
	      struct cni_err *err)
{
	const char *missing = NULL;

	*ret = &fns;
	if (lib)
		return 0;
	lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return cni_errf(err, code, "%s: cannot load libcurl: %s", who,
				dlerror());
	if (resolve(&missing)) {
		dlclose(lib);
		lib = NULL;
		return cni_errf(err, code, "%s: libcurl has no %s", who,
				missing);
	}
	return 0;
}
