/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's string library (lib/string.c), written in kbuild/lib: no
 * libc. memcpy, memset, memmove and memcmp are real functions too, since
 * the compiler may call them for struct copies.
 */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/err.h>
#include <linux/overflow.h>
#include <modhost/lib.h>

extern char *strcpy(char *, const char *);
extern char *strncpy(char *, const char *, __kernel_size_t);
extern size_t strlcpy(char *, const char *, size_t);
extern ssize_t strscpy(char *, const char *, size_t);
extern ssize_t strscpy_pad(char *dest, const char *src, size_t count);
extern char *strcat(char *, const char *);
extern char *strncat(char *, const char *, __kernel_size_t);
extern size_t strlcat(char *, const char *, __kernel_size_t);
extern int strcmp(const char *, const char *);
extern int strncmp(const char *, const char *, __kernel_size_t);
extern int strcasecmp(const char *s1, const char *s2);
extern int strncasecmp(const char *s1, const char *s2, size_t n);
extern char *strchr(const char *, int);
extern char *strchrnul(const char *, int);
extern char *strnchr(const char *, size_t, int);
extern char *strrchr(const char *, int);
extern char *__must_check skip_spaces(const char *);
extern char *strim(char *);
static inline __must_check char *strstrip(char *str)
{
	return strim(str);
}
extern char *strstr(const char *, const char *);
extern char *strnstr(const char *, const char *, size_t);
extern __kernel_size_t strlen(const char *);
extern __kernel_size_t strnlen(const char *, __kernel_size_t);
extern char *strpbrk(const char *, const char *);
extern char *strsep(char **, const char *);
extern __kernel_size_t strspn(const char *, const char *);
extern __kernel_size_t strcspn(const char *, const char *);
extern char *strreplace(char *str, char old, char new);

extern void *memset(void *, int, __kernel_size_t);
extern void *memset16(u16 *, u16, __kernel_size_t);
extern void *memset32(u32 *, u32, __kernel_size_t);
extern void *memset64(u64 *, u64, __kernel_size_t);
extern void *memcpy(void *, const void *, __kernel_size_t);
extern void *memmove(void *, const void *, __kernel_size_t);
extern void *memscan(void *, int, __kernel_size_t);
extern int memcmp(const void *, const void *, __kernel_size_t);
extern int bcmp(const void *, const void *, __kernel_size_t);
extern void *memchr(const void *, int, __kernel_size_t);
extern void *memchr_inv(const void *s, int c, size_t n);
extern void memzero_explicit(void *s, size_t count);

extern bool sysfs_streq(const char *s1, const char *s2);
extern int match_string(const char * const *array, size_t n, const char *string);
extern int __sysfs_match_string(const char * const *array, size_t n, const char *s);
#define sysfs_match_string(_a, _s) __sysfs_match_string(_a, ARRAY_SIZE(_a), _s)

/* Allocating copies (freed with kfree; kfree_const also takes .rodata). */
extern void kfree_const(const void *x);
extern char *kstrdup(const char *s, gfp_t gfp) __malloc;
extern const char *kstrdup_const(const char *s, gfp_t gfp);
extern char *kstrndup(const char *s, size_t len, gfp_t gfp);
extern void *kmemdup(const void *src, size_t len, gfp_t gfp) __alloc_size(2);
extern char *kmemdup_nul(const char *s, size_t len, gfp_t gfp);

#define kstrdup(s, gfp) __modhost_kstrdup((s), (gfp), MODHOST_SITE())
#define kstrndup(s, len, gfp) __modhost_kstrndup((s), (len), (gfp), MODHOST_SITE())
#define kmemdup(src, len, gfp) __modhost_kmemdup((src), (len), (gfp), MODHOST_SITE())
char *__modhost_kstrdup(const char *s, gfp_t gfp, struct modhost_site site) __malloc;
char *__modhost_kstrndup(const char *s, size_t max, gfp_t gfp, struct modhost_site site) __malloc;
void *__modhost_kmemdup(const void *src, size_t len, gfp_t gfp, struct modhost_site site) __alloc_size(2);

static inline void memcpy_and_pad(void *dest, size_t dest_len, const void *src, size_t count, int pad)
{
	if (dest_len > count) {
		memcpy(dest, src, count);
		memset((char *)dest + count, pad, dest_len - count);
	} else {
		memcpy(dest, src, dest_len);
	}
}

static inline bool strstarts(const char *str, const char *prefix)
{
	return strncmp(str, prefix, strlen(prefix)) == 0;
}

static inline const char *kbasename(const char *path)
{
	const char *tail = strrchr(path, '/');
	return tail ? tail + 1 : path;
}

#define memset_after(obj, v, member)					\
({									\
	u8 *__ptr = (u8 *)(obj);					\
	__typeof__(v) __val = (v);					\
	memset(__ptr + offsetofend(__typeof__(*(obj)), member), __val,	\
	       sizeof(*(obj)) - offsetofend(__typeof__(*(obj)), member)); \
})

#endif
