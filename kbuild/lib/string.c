// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's string library (lib/string.c), for modules that have no
 * libc. Return values follow the kernel's, e.g. strscpy returns -E2BIG
 * when it truncates.
 *
 * The compiler may turn a copy or fill loop into a call to memcpy or
 * memset; inside those functions that would be a call to itself, so this
 * file is compiled without that transformation.
 *
 * In a module built with KASAN=1, the functions that copy or fill check
 * the bytes they will read and write first, naming their caller (_RET_IP_),
 * as the kernel's memcpy does: strcpy past a kmalloc'ed buffer is then
 * reported in the function that called strcpy.
 */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include "internal.h"

/* Checks the n bytes a copy from src to dest reads and writes. */
static inline void kasan_copy(void *dest, const void *src, size_t n, unsigned long ip)
{
	mh_kasan_read(src, n, ip);
	mh_kasan_write(dest, n, ip);
}

int strncasecmp(const char *s1, const char *s2, size_t len)
{
	unsigned char c1, c2;

	if (!len)
		return 0;
	do {
		c1 = *s1++;
		c2 = *s2++;
		if (!c1 || !c2)
			break;
		if (c1 == c2)
			continue;
		c1 = tolower(c1);
		c2 = tolower(c2);
		if (c1 != c2)
			break;
	} while (--len);
	return (int)c1 - (int)c2;
}

int strcasecmp(const char *s1, const char *s2)
{
	int c1, c2;

	do {
		c1 = tolower(*s1++);
		c2 = tolower(*s2++);
	} while (c1 == c2 && c1 != 0);
	return c1 - c2;
}

char *strcpy(char *dest, const char *src)
{
	char *tmp = dest;

	if (mh_kasan())
		kasan_copy(dest, src, strlen(src) + 1, _RET_IP_);

	while ((*dest++ = *src++) != '\0')
		/* nothing */;
	return tmp;
}

/* Copies at most count bytes and pads with NULs; no NUL if src is longer. */
char *strncpy(char *dest, const char *src, size_t count)
{
	char *tmp = dest;

	if (mh_kasan()) {
		size_t n = strnlen(src, count);

		mh_kasan_read(src, n < count ? n + 1 : n, _RET_IP_);
		mh_kasan_write(dest, count, _RET_IP_);
	}

	while (count) {
		if ((*tmp = *src) != 0)
			src++;
		tmp++;
		count--;
	}
	return dest;
}

/* The length of src; copies what fits, always NUL-terminated if size > 0. */
size_t strlcpy(char *dest, const char *src, size_t size)
{
	size_t ret = strlen(src);

	if (size) {
		size_t len = (ret >= size) ? size - 1 : ret;

		kasan_copy(dest, src, len + 1, _RET_IP_);

		memcpy(dest, src, len);
		dest[len] = '\0';
	}
	return ret;
}

/* The number of characters copied, or -E2BIG if src did not fit (dest then
 * holds what fit, NUL-terminated); -E2BIG for count 0 too. */
ssize_t strscpy(char *dest, const char *src, size_t count)
{
	size_t res = 0;

	if (count == 0 || count > INT_MAX)
		return -E2BIG;
	if (mh_kasan())
		kasan_copy(dest, src, min(strnlen(src, count) + 1, count), _RET_IP_);
	while (count) {
		char c = src[res];

		dest[res] = c;
		if (!c)
			return res;
		res++;
		count--;
	}
	/* Hit buffer length without finding a NUL; force NUL-termination. */
	if (res)
		dest[res - 1] = '\0';
	return -E2BIG;
}

/* strscpy, then NUL to the end of dest. */
ssize_t strscpy_pad(char *dest, const char *src, size_t count)
{
	ssize_t written;

	if (mh_kasan() && count && count <= INT_MAX) {
		mh_kasan_read(src, min(strnlen(src, count) + 1, count), _RET_IP_);
		mh_kasan_write(dest, count, _RET_IP_);
	}
	written = strscpy(dest, src, count);

	if (written < 0 || (size_t)written == count - 1)
		return written;
	memset(dest + written + 1, 0, count - written - 1);
	return written;
}

char *strcat(char *dest, const char *src)
{
	char *tmp = dest;

	if (mh_kasan())
		kasan_copy(dest + strlen(dest), src, strlen(src) + 1, _RET_IP_);

	while (*dest)
		dest++;
	while ((*dest++ = *src++) != '\0')
		;
	return tmp;
}

char *strncat(char *dest, const char *src, size_t count)
{
	char *tmp = dest;

	if (mh_kasan() && count) {
		size_t n = strnlen(src, count);

		mh_kasan_read(src, n < count ? n + 1 : n, _RET_IP_);
		mh_kasan_write(dest + strlen(dest), n + 1, _RET_IP_);
	}
	if (count) {
		while (*dest)
			dest++;
		while ((*dest++ = *src++) != 0) {
			if (--count == 0) {
				*dest = '\0';
				break;
			}
		}
	}
	return tmp;
}

/* The length it tried to make; appends what fits. */
size_t strlcat(char *dest, const char *src, size_t count)
{
	size_t dsize = strlen(dest);
	size_t len = strlen(src);
	size_t res = dsize + len;

	/* This would be a bug */
	if (dsize >= count)
		return count + len;
	dest += dsize;
	count -= dsize;
	if (len >= count)
		len = count - 1;
	kasan_copy(dest, src, len + 1, _RET_IP_);
	memcpy(dest, src, len);
	dest[len] = 0;
	return res;
}

int strcmp(const char *cs, const char *ct)
{
	unsigned char c1, c2;

	while (1) {
		c1 = *cs++;
		c2 = *ct++;
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (!c1)
			break;
	}
	return 0;
}

int strncmp(const char *cs, const char *ct, size_t count)
{
	unsigned char c1, c2;

	while (count) {
		c1 = *cs++;
		c2 = *ct++;
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (!c1)
			break;
		count--;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s != (char)c; ++s)
		if (*s == '\0')
			return NULL;
	return (char *)s;
}

char *strchrnul(const char *s, int c)
{
	while (*s && *s != (char)c)
		s++;
	return (char *)s;
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	do {
		if (*s == (char)c)
			last = s;
	} while (*s++);
	return (char *)last;
}

char *strnchr(const char *s, size_t count, int c)
{
	while (count--) {
		if (*s == (char)c)
			return (char *)s;
		if (*s++ == '\0')
			break;
	}
	return NULL;
}

char *skip_spaces(const char *str)
{
	while (isspace(*str))
		++str;
	return (char *)str;
}

/* Removes trailing white space in place; returns past the leading white space. */
char *strim(char *s)
{
	size_t size;
	char *end;

	size = strlen(s);
	if (!size)
		return s;

	end = s + size - 1;
	while (end >= s && isspace(*end))
		end--;
	*(end + 1) = '\0';

	return skip_spaces(s);
}

size_t strlen(const char *s)
{
	const char *sc;

	for (sc = s; *sc != '\0'; ++sc)
		/* nothing */;
	return sc - s;
}

size_t strnlen(const char *s, size_t count)
{
	const char *sc;

	for (sc = s; count-- && *sc != '\0'; ++sc)
		/* nothing */;
	return sc - s;
}

size_t strspn(const char *s, const char *accept)
{
	const char *p;

	for (p = s; *p != '\0'; ++p) {
		if (!strchr(accept, *p))
			break;
	}
	return p - s;
}

size_t strcspn(const char *s, const char *reject)
{
	const char *p;

	for (p = s; *p != '\0'; ++p) {
		if (strchr(reject, *p))
			break;
	}
	return p - s;
}

char *strpbrk(const char *cs, const char *ct)
{
	const char *sc;

	for (sc = cs; *sc != '\0'; ++sc) {
		if (strchr(ct, *sc))
			return (char *)sc;
	}
	return NULL;
}

/* Splits *s at the first of ct: returns the token, *s moves past the
 * delimiter (NULL after the last token). */
char *strsep(char **s, const char *ct)
{
	char *sbegin = *s;
	char *end;

	if (sbegin == NULL)
		return NULL;

	end = strpbrk(sbegin, ct);
	if (end)
		*end++ = '\0';
	*s = end;
	return sbegin;
}

char *strstr(const char *s1, const char *s2)
{
	size_t l1, l2;

	l2 = strlen(s2);
	if (!l2)
		return (char *)s1;
	l1 = strlen(s1);
	while (l1 >= l2) {
		l1--;
		if (!memcmp(s1, s2, l2))
			return (char *)s1;
		s1++;
	}
	return NULL;
}

char *strnstr(const char *s1, const char *s2, size_t len)
{
	size_t l2;

	l2 = strlen(s2);
	if (!l2)
		return (char *)s1;
	while (len >= l2) {
		len--;
		if (!memcmp(s1, s2, l2))
			return (char *)s1;
		s1++;
	}
	return NULL;
}

char *strreplace(char *str, char old, char new)
{
	char *s = str;

	for (; *s; ++s)
		if (*s == old)
			*s = new;
	return s;
}

/* x86-64's "rep stosb"/"rep movsb" are the fast forms on CPUs with ERMS,
 * as the kernel's memset and memcpy use them. */
void *memset(void *s, int c, size_t count)
{
	void *d = s;

	mh_kasan_write(s, count, _RET_IP_);

	asm volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(c) : "memory");
	return s;
}

void *memset16(u16 *s, u16 v, size_t count)
{
	u16 *xs = s;

	mh_kasan_write(s, count * sizeof(*s), _RET_IP_);

	while (count--)
		*xs++ = v;
	return s;
}

void *memset32(u32 *s, u32 v, size_t count)
{
	u32 *xs = s;

	mh_kasan_write(s, count * sizeof(*s), _RET_IP_);

	while (count--)
		*xs++ = v;
	return s;
}

void *memset64(u64 *s, u64 v, size_t count)
{
	u64 *xs = s;

	mh_kasan_write(s, count * sizeof(*s), _RET_IP_);

	while (count--)
		*xs++ = v;
	return s;
}

/* A memset the compiler may not drop because the memory is not read after. */
void memzero_explicit(void *s, size_t count)
{
	mh_kasan_write(s, count, _RET_IP_);
	memset(s, 0, count);
	barrier();
}

void *memcpy(void *dest, const void *src, size_t count)
{
	void *d = dest;

	kasan_copy(dest, src, count, _RET_IP_);

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
	return dest;
}

void *memmove(void *dest, const void *src, size_t count)
{
	char *tmp = dest;
	const char *s = src;

	kasan_copy(dest, src, count, _RET_IP_);
	if ((const char *)src + count <= tmp || tmp + count <= s)
		return memcpy(dest, src, count);	/* apart */
	if (tmp <= s) {
		while (count--)
			*tmp++ = *s++;
	} else {
		tmp += count;
		s += count;
		while (count--)
			*--tmp = *--s;
	}
	return dest;
}

int memcmp(const void *cs, const void *ct, size_t count)
{
	const unsigned char *su1, *su2;
	int res = 0;

	for (su1 = cs, su2 = ct; 0 < count; ++su1, ++su2, count--)
		if ((res = *su1 - *su2) != 0)
			break;
	return res;
}

int bcmp(const void *a, const void *b, size_t len)
{
	return memcmp(a, b, len);
}

/* The first byte c, or the end of the area (not NULL). */
void *memscan(void *addr, int c, size_t size)
{
	unsigned char *p = addr;

	while (size) {
		if (*p == (unsigned char)c)
			return (void *)p;
		p++;
		size--;
	}
	return (void *)p;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	while (n-- != 0) {
		if ((unsigned char)c == *p++)
			return (void *)(p - 1);
	}
	return NULL;
}

/* The first byte that is not c, or NULL. */
void *memchr_inv(const void *start, int c, size_t bytes)
{
	const u8 *p = start;

	for (; bytes; p++, bytes--)
		if (*p != (u8)c)
			return (void *)p;
	return NULL;
}

/* Equal, ignoring one trailing newline on either: for values from /sys. */
bool sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}

	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

/* The index of string in array (up to n entries or a NULL), or -EINVAL. */
int match_string(const char * const *array, size_t n, const char *string)
{
	int index;
	const char *item;

	for (index = 0; index < (int)n; index++) {
		item = array[index];
		if (!item)
			break;
		if (!strcmp(item, string))
			return index;
	}
	return -EINVAL;
}

int __sysfs_match_string(const char * const *array, size_t n, const char *str)
{
	const char *item;
	int index;

	for (index = 0; index < (int)n; index++) {
		item = array[index];
		if (!item)
			break;
		if (sysfs_streq(item, str))
			return index;
	}
	return -EINVAL;
}
