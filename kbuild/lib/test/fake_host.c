// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host side of kbuild/lib's unit tests: an ordinary user-space file
 * (libc, no kernel headers) that provides a fake service table which
 * records what the library asks of the host, and main(), which runs the
 * module-side tests of tests.c and reports failures.
 *
 * tests.c is compiled like module code and cannot use libc; it reaches
 * the recordings and the reporting through the fake_* functions below.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kbuild/include comes after the system headers (-idirafter): only modhost/ is taken from it. */
#include <modhost/services.h>
#include <modhost/kmod.h>

/* What the library did, in order: "<level>text" records and reports,
 * separated by '|'. */
static char log_text[16384];
static size_t log_len;

static void log_add(const char *fmt, ...)
{
	va_list ap;

	if (log_len && log_len < sizeof(log_text))
		log_text[log_len++] = '|';
	va_start(ap, fmt);
	log_len += vsnprintf(log_text + log_len, sizeof(log_text) - log_len, fmt, ap);
	va_end(ap);
	if (log_len >= sizeof(log_text))
		log_len = sizeof(log_text) - 1;
}

const char *fake_log(void)
{
	log_text[log_len] = '\0';
	return log_text;
}

void fake_log_clear(void)
{
	log_len = 0;
	log_text[0] = '\0';
}

static void f_printk(modhost_module_t m, modhost_u32 level, struct modhost_str text)
{
	(void)m;
	log_add("printk<%u>%.*s", level, (int)text.len, text.ptr);
}

static void f_vprintk(modhost_module_t m, modhost_u32 level, struct modhost_str text)
{
	(void)m;
	log_add("<%u>%.*s", level, (int)text.len, text.ptr);
}

static void f_oops(modhost_module_t m, struct modhost_str text)
{
	(void)m;
	log_add("OOPS:%.*s", (int)text.len, text.ptr);
}

static void f_warn(modhost_module_t m, struct modhost_str text, struct modhost_site site)
{
	const char *file = strrchr(site.file.ptr, '/');

	(void)m;
	file = file ? file + 1 : site.file.ptr;
	log_add("WARN:%.*s@%s:%u", (int)text.len, text.ptr, file, site.line);
}

static struct modhost_str f_module_name(modhost_module_t m)
{
	(void)m;
	return (struct modhost_str){ "fake_mod", 8 };
}

/* Parameter values as the host keeps them; NULL: the host has none. */
static const char *params[16];

void fake_set_param(unsigned int index, const char *value)
{
	params[index] = value;
}

static modhost_s64 f_param_get(modhost_module_t m, modhost_u32 index, char *buf, modhost_size_t len)
{
	size_t n;

	(void)m;
	if (index >= 16 || !params[index])
		return -22;
	n = strlen(params[index]);
	if (n <= len)
		memcpy(buf, params[index], n);
	return n;
}

static int refs;

static _Bool f_try_module_get(modhost_module_t m)
{
	(void)m;
	refs++;
	return 1;
}

static void f_module_put(modhost_module_t m)
{
	(void)m;
	refs--;
}

int fake_refs(void)
{
	return refs;
}

static void f_object_static(modhost_module_t m, modhost_handle_t h, struct modhost_site site)
{
	(void)m, (void)h, (void)site;
}

static modhost_u64 jiffies = 1000;

void fake_set_jiffies(unsigned long long j)
{
	jiffies = j;
}

static modhost_u64 f_jiffies(modhost_module_t m)
{
	(void)m;
	return jiffies;
}

static modhost_u32 f_hz(modhost_module_t m)
{
	(void)m;
	return 250;
}

/* Blocks carry their size in front; new blocks are filled with 0xa5 so
 * that zeroing is observable. */
static long live_blocks, kmalloc_calls, kfree_calls;
static modhost_u32 last_gfp;

static void *f_kmalloc(modhost_module_t m, modhost_size_t size, modhost_u32 gfp, struct modhost_site site)
{
	size_t *p;

	(void)m, (void)site;
	kmalloc_calls++;
	last_gfp = gfp;
	if (size > (1u << 30))
		return NULL;
	p = malloc(size + 16);
	if (!p)
		return NULL;
	p[0] = size;
	memset(p + 2, 0xa5, size);
	live_blocks++;
	return p + 2;
}

static void f_kfree(modhost_module_t m, const void *block, struct modhost_site site)
{
	(void)m, (void)site;
	kfree_calls++;
	live_blocks--;
	free((size_t *)block - 2);
}

static modhost_size_t f_ksize(modhost_module_t m, const void *block, struct modhost_site site)
{
	(void)m, (void)site;
	return ((const size_t *)block)[-2];
}

long fake_live_blocks(void) { return live_blocks; }
long fake_kmalloc_calls(void) { return kmalloc_calls; }
long fake_kfree_calls(void) { return kfree_calls; }
unsigned int fake_last_gfp(void) { return last_gfp; }

/* Deterministic "random" bytes: 1, 2, 3, ... */
static unsigned char next_random = 1;

static void f_get_random_bytes(modhost_module_t m, void *buf, modhost_size_t len)
{
	unsigned char *b = buf;

	(void)m;
	while (len--)
		*b++ = next_random++;
}

static void f_object_at(modhost_module_t m, modhost_handle_t h, const void *address)
{
	(void)m, (void)h, (void)address;
}

/* The last access kasan_check was asked about, and how many were. */
static struct fake_access {
	const void *address;
	modhost_size_t size;
	_Bool write;
	modhost_u64 ip;
} last_access;
static long access_checks;

static void f_kasan_check(modhost_module_t m, const void *address, modhost_size_t size, _Bool is_write,
			  modhost_u64 ip)
{
	(void)m;
	access_checks++;
	last_access = (struct fake_access){ address, size, is_write, ip };
}

long fake_access_checks(void) { return access_checks; }
const void *fake_access_address(void) { return last_access.address; }
unsigned long fake_access_size(void) { return last_access.size; }
int fake_access_write(void) { return last_access.write; }
unsigned long long fake_access_ip(void) { return last_access.ip; }

/* "sym_ADDR+0x1/0x10 [fake]" with the offset, "sym_ADDR" without. */
static modhost_size_t f_sprint_symbol(modhost_module_t m, modhost_u64 address, _Bool offset, char *buf,
				      modhost_size_t len)
{
	char text[128];
	size_t n;

	(void)m;
	if (offset)
		n = snprintf(text, sizeof(text), "sym_%llx+0x1/0x10 [fake]", address);
	else
		n = snprintf(text, sizeof(text), "sym_%llx", address);
	memcpy(buf, text, n < len ? n : len);
	return n;
}

static void f_dump_stack(modhost_module_t m, struct modhost_site site)
{
	(void)m;
	log_add("STACK@%u", site.line);
}

static const struct modhost_module_ops module_ops = {
	.printk = f_printk,
	.oops = f_oops,
	.warn = f_warn,
	.module_name = f_module_name,
	.param_get = f_param_get,
	.try_module_get = f_try_module_get,
	.module_put = f_module_put,
	.object_static = f_object_static,
	.vprintk = f_vprintk,
};

static const struct modhost_time_ops time_ops = {
	.jiffies = f_jiffies,
	.hz = f_hz,
};

static const struct modhost_mem_ops mem_ops = {
	.kmalloc = f_kmalloc,
	.kfree = f_kfree,
	.ksize = f_ksize,
	.get_random_bytes = f_get_random_bytes,
	.object_at = f_object_at,
	.kasan_check = f_kasan_check,
};

static const struct modhost_debug_ops debug_ops = {
	.sprint_symbol = f_sprint_symbol,
	.dump_stack = f_dump_stack,
};

static const struct modhost_services services = {
	.module = &module_ops,
	.time = &time_ops,
	.mem = &mem_ops,
	.debug = &debug_ops,
};

const struct modhost_init_args fake_init_args = { &services, 7 };

/* For the tests that run before start: the library's globals, set as
 * start sets them. */
extern const struct modhost_services *__modhost_services;
extern modhost_module_t __modhost_self;

static int checks, failures;

void fake_check(int ok, int line, const char *what)
{
	checks++;
	if (!ok) {
		failures++;
		fprintf(stderr, "FAIL tests.c:%d: %s\n", line, what);
	}
}

void fake_check_str(const char *got, const char *want, int line, const char *what)
{
	checks++;
	if (!got || strcmp(got, want) != 0) {
		failures++;
		fprintf(stderr, "FAIL tests.c:%d: %s\n      got: \"%s\"\n     want: \"%s\"\n", line, what,
			got ? got : "(NULL)", want);
	}
}

void fake_check_long(long long got, long long want, int line, const char *what)
{
	checks++;
	if (got != want) {
		failures++;
		fprintf(stderr, "FAIL tests.c:%d: %s\n      got: %lld\n     want: %lld\n", line, what, got, want);
	}
}

void run_tests(void);

int main(void)
{
	__modhost_services = &services;
	__modhost_self = 7;
	run_tests();
	if (failures) {
		fprintf(stderr, "%d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("kbuild/lib: all %d checks passed\n", checks);
	return 0;
}
