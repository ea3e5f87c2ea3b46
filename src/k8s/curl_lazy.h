/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CURL_LAZY_H
#define PLEXUS_CURL_LAZY_H

#include <curl/curl.h>

struct cni_err;

/* The libcurl functions plexus uses. No binary links libcurl: it is
 * loaded (dlopen) the first time a Kubernetes client or an etcd store is
 * opened, so a call that needs neither (static mode, the file store,
 * every native delegate) never maps it and its dependencies. */
struct curl_fns {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The table in *ret, loading libcurl on the first call: 0, or a negative
 * errno with err set (code, "<who>: cannot load libcurl: ...") when it
 * cannot be loaded. */
int curl_lazy(int code, const char *who, const struct curl_fns **ret,
	      struct cni_err *err);

#endif
