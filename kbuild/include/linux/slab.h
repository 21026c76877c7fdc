/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmalloc and friends, over the host's allocator (which tracks every block
 * for kmemleak and KASAN-style checks and frees what a module leaks at
 * unload). The allocating calls are macros that pass the caller's file and
 * line to the host, as the kernel's alloc_hooks do; each is also a real
 * function, for code that takes its address.
 *
 * kmalloc(0) is ZERO_SIZE_PTR, which is not NULL and faults when used;
 * kfree(NULL) and kfree(ZERO_SIZE_PTR) do nothing.
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/types.h>
#include <linux/overflow.h>
#include <linux/version.h>
#include <modhost/lib.h>

#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* kmalloc's alignment and the largest block the host gives. */
#define ARCH_KMALLOC_MINALIGN	8
#define ARCH_SLAB_MINALIGN	8
#define KMALLOC_MAX_SIZE	(1UL << 30)

#define SLAB_HWCACHE_ALIGN	0x00002000U
#define SLAB_PANIC		0x00040000U
#define SLAB_ACCOUNT		0x04000000U

void *__modhost_kmalloc(size_t size, gfp_t flags, struct modhost_site site) __malloc __alloc_size(1);
void *__modhost_krealloc(const void *p, size_t new_size, gfp_t flags, struct modhost_site site) __alloc_size(2);
void __modhost_kfree(const void *p, struct modhost_site site);
void __modhost_kfree_sensitive(const void *p, struct modhost_site site);
char *__modhost_kstrdup(const char *s, gfp_t gfp, struct modhost_site site) __malloc;
char *__modhost_kstrndup(const char *s, size_t max, gfp_t gfp, struct modhost_site site) __malloc;
void *__modhost_kmemdup(const void *src, size_t len, gfp_t gfp, struct modhost_site site) __alloc_size(2);

void *kmalloc(size_t size, gfp_t flags) __malloc __alloc_size(1);
void *kzalloc(size_t size, gfp_t flags) __malloc __alloc_size(1);
void *kmalloc_array(size_t n, size_t size, gfp_t flags) __malloc __alloc_size(1, 2);
void *kcalloc(size_t n, size_t size, gfp_t flags) __malloc __alloc_size(1, 2);
void *krealloc(const void *p, size_t new_size, gfp_t flags) __alloc_size(2);
void *krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags) __alloc_size(2, 3);
void kfree(const void *objp);
void kfree_sensitive(const void *objp);
size_t ksize(const void *objp);
void *vmalloc(unsigned long size) __malloc __alloc_size(1);
void *vzalloc(unsigned long size) __malloc __alloc_size(1);
void vfree(const void *addr);
void *kvmalloc(size_t size, gfp_t flags) __malloc __alloc_size(1);
void *kvzalloc(size_t size, gfp_t flags) __malloc __alloc_size(1);
void *kvmalloc_array(size_t n, size_t size, gfp_t flags) __malloc __alloc_size(1, 2);
void *kvcalloc(size_t n, size_t size, gfp_t flags) __malloc __alloc_size(1, 2);
void kvfree(const void *addr);
void kvfree_sensitive(const void *addr, size_t len);

#define __mh_array_size(n, size) ({ size_t __bytes; \
	__builtin_mul_overflow((size_t)(n), (size_t)(size), &__bytes) ? SIZE_MAX : __bytes; })

#define kmalloc(size, flags)	__modhost_kmalloc((size), (flags), MODHOST_SITE())
#define kzalloc(size, flags)	kmalloc((size), (flags) | __GFP_ZERO)
#define kmalloc_track_caller(size, flags) kmalloc((size), (flags))
#define kmalloc_array(n, size, flags) kmalloc(__mh_array_size(n, size), (flags))
#define kcalloc(n, size, flags)	kmalloc_array((n), (size), (flags) | __GFP_ZERO)
#define kmalloc_node(size, flags, node) kmalloc((size), (flags))
#define kzalloc_node(size, flags, node) kzalloc((size), (flags))
#define krealloc(p, new_size, flags) \
	__modhost_krealloc((p), (new_size), (flags), MODHOST_SITE())
#define krealloc_array(p, new_n, new_size, flags) \
	krealloc((p), __mh_array_size(new_n, new_size), (flags))
#define kfree(p)		__modhost_kfree((p), MODHOST_SITE())
#define kfree_sensitive(p)	__modhost_kfree_sensitive((p), MODHOST_SITE())
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 9, 0)
#define kzfree(p)		kfree_sensitive(p)	/* renamed in 5.9 */
#endif
#define vmalloc(size)		kmalloc((size), GFP_KERNEL)
#define vzalloc(size)		kzalloc((size), GFP_KERNEL)
#define vfree(p)		kfree(p)
#define kvmalloc(size, flags)	kmalloc((size), (flags))
#define kvzalloc(size, flags)	kzalloc((size), (flags))
#define kvmalloc_array(n, size, flags) kmalloc_array((n), (size), (flags))
#define kvcalloc(n, size, flags) kcalloc((n), (size), (flags))
#define kvfree(p)		kfree(p)
#define kvfree_sensitive(p, len) kfree_sensitive(p)

/* kmem caches: fixed-size kmalloc with a name. */
struct kmem_cache;
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned long flags, void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *__modhost_kmem_cache_alloc(struct kmem_cache *s, gfp_t flags, struct modhost_site site) __malloc;
void kmem_cache_free(struct kmem_cache *s, void *objp);
#define kmem_cache_alloc(s, flags) __modhost_kmem_cache_alloc((s), (flags), MODHOST_SITE())
#define kmem_cache_zalloc(s, flags) kmem_cache_alloc((s), (flags) | __GFP_ZERO)
#define KMEM_CACHE(__struct, __flags) \
	kmem_cache_create(#__struct, sizeof(struct __struct), __alignof__(struct __struct), (__flags), NULL)

#endif
