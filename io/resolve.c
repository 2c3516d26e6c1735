/* io/resolve.c: weft_getaddrinfo, getaddrinfo(3) on the offload pool. The
 * request owns copies of its inputs, so an abandoned lookup (timeout, cancel)
 * touches nothing of the caller's; its result is freed by the pool. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "weft/offload.h"
#include "runtime/fault.h"

struct lookup {
    char *node, *service;
    struct addrinfo hints;
    int has_hints;
    struct addrinfo *res;
    int rc, sys_errno;
};

static void *lookup_fn(void *p) {
    struct lookup *l = p;
    l->rc = getaddrinfo(l->node, l->service, l->has_hints ? &l->hints : NULL, &l->res);
    l->sys_errno = errno;
    return NULL;
}

static void lookup_free(struct lookup *l) {
    if (l->rc == 0 && l->res) freeaddrinfo(l->res);
    free(l->node);
    free(l->service);
    free(l);
}

static void lookup_abandon(void *p, void *result, int ran) {
    (void)result;
    struct lookup *l = p;
    if (!ran) l->rc = -1; /* never ran: no result to free */
    lookup_free(l);
}

static char *dup_or_null(const char *s, int *oom) {
    if (!s) return NULL;
    char *d = weft__strdup(s);
    if (!d) *oom = 1;
    return d;
}

int weft_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res, int64_t deadline, int *gai_error) {
    if (gai_error) *gai_error = 0;
    if (!res || (!node && !service)) return -EINVAL;
    struct lookup *l = weft__calloc(1, sizeof *l);
    if (!l) return -ENOMEM;
    int oom = 0;
    l->node = dup_or_null(node, &oom);
    l->service = dup_or_null(service, &oom);
    l->rc = -1;
    if (hints) {
        /* Only the documented input fields of hints; its pointers must be NULL. */
        l->hints.ai_flags = hints->ai_flags;
        l->hints.ai_family = hints->ai_family;
        l->hints.ai_socktype = hints->ai_socktype;
        l->hints.ai_protocol = hints->ai_protocol;
        l->has_hints = 1;
    }
    if (oom) {
        lookup_free(l);
        return -ENOMEM;
    }
    int r = weft_offload_ex(lookup_fn, l, NULL, deadline, lookup_abandon);
    if (r) {
        if (r == -ENOMEM || r == -EAGAIN) lookup_free(l); /* still ours */
        return r;
    }
    if (l->rc != 0) {
        if (gai_error) *gai_error = l->rc;
        r = l->rc == EAI_SYSTEM   ? (l->sys_errno ? -l->sys_errno : -EIO)
            : l->rc == EAI_MEMORY ? -ENOMEM
                                  : -ENOENT;
        lookup_free(l);
        return r;
    }
    *res = l->res;
    l->res = NULL;
    lookup_free(l);
    return 0;
}
