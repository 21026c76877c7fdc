// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmalloc and friends over the host's allocator (mh_call(mem, ...)), which
 * tracks each block with the caller's site for kmemleak and KASAN-style
 * reports and frees at unload what the module left.
 *
 * The kernel's rules kept here: kmalloc(0) is ZERO_SIZE_PTR without asking
 * the host; kfree of NULL or ZERO_SIZE_PTR does nothing; __GFP_ZERO
 * zeroes; krealloc keeps the contents and frees the old block.
 * vmalloc and kvmalloc are kmalloc: the host has one allocator.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <modhost/lib.h>

/* The site of the allocating functions called by address, not by macro. */
#define NO_SITE ((struct modhost_site){ { "", 0 }, 0, 0, 0 })

void *__modhost_kmalloc(size_t size, gfp_t flags, struct modhost_site site)
{
	void *p;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	p = mh_call(mem, kmalloc, size, flags, site);
	if (p && (flags & __GFP_ZERO))
		memset(p, 0, size);
	return p;
}

void __modhost_kfree(const void *p, struct modhost_site site)
{
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	mh_call(mem, kfree, p, site);
}

/* Zeroes the block before freeing it: for keys and passwords. */
void __modhost_kfree_sensitive(const void *p, struct modhost_site site)
{
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	memzero_explicit((void *)p, mh_call(mem, ksize, p, site));
	mh_call(mem, kfree, p, site);
}

/*
 * A block of new_size with p's contents; p is freed. krealloc(p, 0) frees
 * p and returns ZERO_SIZE_PTR; krealloc(NULL, n) is kmalloc(n). A block
 * that already has room is returned as it is, as the kernel's does.
 */
void *__modhost_krealloc(const void *p, size_t new_size, gfp_t flags, struct modhost_site site)
{
	size_t ks = 0;
	void *ret;

	if (unlikely(!new_size)) {
		__modhost_kfree(p, site);
		return ZERO_SIZE_PTR;
	}
	if (!ZERO_OR_NULL_PTR(p))
		ks = mh_call(mem, ksize, p, site);
	if (ks >= new_size) {
		if ((flags & __GFP_ZERO) && ks > new_size)
			memset((char *)p + new_size, 0, ks - new_size);
		return (void *)p;
	}
	ret = mh_call(mem, kmalloc, new_size, flags & ~__GFP_ZERO, site);
	if (!ret)
		return NULL;
	if (ks)
		memcpy(ret, p, ks);
	if (flags & __GFP_ZERO)
		memset((char *)ret + ks, 0, new_size - ks);
	__modhost_kfree(p, site);
	return ret;
}

size_t ksize(const void *objp)
{
	if (unlikely(ZERO_OR_NULL_PTR(objp)))
		return 0;
	return mh_call(mem, ksize, objp, NO_SITE);
}

char *__modhost_kstrdup(const char *s, gfp_t gfp, struct modhost_site site)
{
	size_t len;
	char *buf;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	buf = __modhost_kmalloc(len, gfp, site);
	if (buf)
		memcpy(buf, s, len);
	return buf;
}

/* At most max characters of s, NUL-terminated. */
char *__modhost_kstrndup(const char *s, size_t max, gfp_t gfp, struct modhost_site site)
{
	size_t len;
	char *buf;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	buf = __modhost_kmalloc(len + 1, gfp, site);
	if (buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	}
	return buf;
}

void *__modhost_kmemdup(const void *src, size_t len, gfp_t gfp, struct modhost_site site)
{
	void *p;

	p = __modhost_kmalloc(len, gfp, site);
	if (p && !ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}

char *kmemdup_nul(const char *s, size_t len, gfp_t gfp)
{
	char *buf;

	if (!s)
		return NULL;
	buf = __modhost_kmalloc(len + 1, gfp, MODHOST_SITE());
	if (buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	}
	return buf;
}

/*
 * The kernel returns a string in its .rodata as it is; a module's .rodata
 * is not known here, so this always copies, and kfree_const always frees:
 * pass kfree_const only what kstrdup_const returned.
 */
const char *kstrdup_const(const char *s, gfp_t gfp)
{
	return __modhost_kstrdup(s, gfp, MODHOST_SITE());
}

void kfree_const(const void *x)
{
	__modhost_kfree(x, MODHOST_SITE());
}

/* The functions behind the macros of <linux/slab.h>, for callers that take
 * their address. */
void *(kmalloc)(size_t size, gfp_t flags) { return __modhost_kmalloc(size, flags, NO_SITE); }
void *(kzalloc)(size_t size, gfp_t flags) { return __modhost_kmalloc(size, flags | __GFP_ZERO, NO_SITE); }
void *(kmalloc_array)(size_t n, size_t size, gfp_t flags)
{
	return __modhost_kmalloc(size_mul(n, size), flags, NO_SITE);
}
void *(kcalloc)(size_t n, size_t size, gfp_t flags)
{
	return __modhost_kmalloc(size_mul(n, size), flags | __GFP_ZERO, NO_SITE);
}
void *(krealloc)(const void *p, size_t new_size, gfp_t flags)
{
	return __modhost_krealloc(p, new_size, flags, NO_SITE);
}
void (kfree)(const void *objp) { __modhost_kfree(objp, NO_SITE); }
void (kfree_sensitive)(const void *objp) { __modhost_kfree_sensitive(objp, NO_SITE); }
void *(vmalloc)(unsigned long size) { return __modhost_kmalloc(size, GFP_KERNEL, NO_SITE); }
void *(vzalloc)(unsigned long size) { return __modhost_kmalloc(size, GFP_KERNEL | __GFP_ZERO, NO_SITE); }
void (vfree)(const void *addr) { __modhost_kfree(addr, NO_SITE); }
void *(kvmalloc)(size_t size, gfp_t flags) { return __modhost_kmalloc(size, flags, NO_SITE); }
void *(kvzalloc)(size_t size, gfp_t flags) { return __modhost_kmalloc(size, flags | __GFP_ZERO, NO_SITE); }
void (kvfree)(const void *addr) { __modhost_kfree(addr, NO_SITE); }

/* A kmem cache: fixed-size blocks from kmalloc, with an optional constructor. */
struct kmem_cache {
	unsigned int size;
	void (*ctor)(void *);
	const char *name;
};

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned long flags, void (*ctor)(void *))
{
	struct kmem_cache *s = __modhost_kmalloc(sizeof(*s), GFP_KERNEL, MODHOST_SITE());

	(void)align;
	(void)flags;
	if (!s)
		return NULL;
	s->size = size;
	s->ctor = ctor;
	s->name = name;
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	__modhost_kfree(s, MODHOST_SITE());
}

void *__modhost_kmem_cache_alloc(struct kmem_cache *s, gfp_t flags, struct modhost_site site)
{
	void *p = __modhost_kmalloc(s->size, flags, site);

	if (p && s->ctor)
		s->ctor(p);
	return p;
}

void kmem_cache_free(struct kmem_cache *s, void *objp)
{
	(void)s;
	__modhost_kfree(objp, MODHOST_SITE());
}
