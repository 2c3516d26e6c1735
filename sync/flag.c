/* sync/flag.c: weft_flag_t (see weft/flag.h).
 *
 * Owns: one pointer word. NULL means unset; any other word is the value, except
 * that a NULL value is stored as the address of the private object `null_value`
 * (which no caller can name, so no caller can pass it as a value). That single
 * word makes every operation one atomic instruction: set is a compare-and-swap
 * NULL -> value, get a load, clear an exchange with NULL. No lock, no
 * thread-local, no allocation: hence wait-free and async-signal-safe (the
 * builtins on a pointer-sized word are lock-free on every target weft supports;
 * checked below).
 * Invariant: the word is never NULL while the flag is set, and a set flag's word
 * changes only by clear. Memory order: set releases, get acquires, so whatever
 * the setter wrote before a winning set is visible to a reader of its value. */
#include "weft/flag.h"

#include <errno.h>

_Static_assert(__atomic_always_lock_free(sizeof(void *), 0),
               "weft_flag_t needs a lock-free pointer word");

static const char null_value;
#define NULL_WORD ((void *)&null_value)

static void *encode(void *v) {
    return v ? v : NULL_WORD;
}

static void *decode(void *w) {
    return w == NULL_WORD ? NULL : w;
}

int weft_flag_init(weft_flag_t *f) {
    if (!f) return -EINVAL;
    __atomic_store_n(&f->word, NULL, __ATOMIC_RELEASE);
    return 0;
}

int weft_flag_destroy(weft_flag_t *f) {
    return f ? 0 : -EINVAL;
}

int weft_flag_set(weft_flag_t *f, void *v) {
    if (!f) return -EINVAL;
    void *expect = NULL;
    return __atomic_compare_exchange_n(&f->word, &expect, encode(v), 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int weft_flag_get(const weft_flag_t *f, void **v) {
    if (!f) return -EINVAL;
    void *w = __atomic_load_n(&f->word, __ATOMIC_ACQUIRE);
    if (!w) return -ENOENT;
    if (v) *v = decode(w);
    return 0;
}

int weft_flag_is_set(const weft_flag_t *f) {
    return f && __atomic_load_n(&f->word, __ATOMIC_ACQUIRE) != NULL;
}

int weft_flag_clear(weft_flag_t *f) {
    if (!f) return -EINVAL;
    return __atomic_exchange_n(&f->word, NULL, __ATOMIC_ACQ_REL) != NULL;
}
