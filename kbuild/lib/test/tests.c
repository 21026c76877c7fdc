// SPDX-License-Identifier: GPL-2.0-only
/*
 * kbuild/lib's unit tests, compiled like a module (the kernel's flags,
 * kbuild/include only) and linked with kbuild/lib's objects and
 * fake_host.c. The expected values are the kernel's: where the kernel and
 * libc differ (e.g. "%.0d" of 0, "%#x" of 0, "%p"), the kernel's.
 *
 * The file is also a module: it has parameters and module_init/exit, and
 * test_module_lifecycle drives __modhost_start, __modhost_param_changed and
 * __modhost_stop over them with values the fake host holds.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/version.h>

/* Some formats here are wrong on purpose (%n, unknown conversions). */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"
/* ... and some allocations are too large on purpose. */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="

/* fake_host.c */
const char *fake_log(void);
void fake_log_clear(void);
void fake_set_param(unsigned int index, const char *value);
void fake_set_jiffies(unsigned long long j);
int fake_refs(void);
long fake_live_blocks(void);
long fake_kmalloc_calls(void);
long fake_kfree_calls(void);
unsigned int fake_last_gfp(void);
long fake_access_checks(void);
const void *fake_access_address(void);
unsigned long fake_access_size(void);
int fake_access_write(void);
unsigned long long fake_access_ip(void);
void fake_check(int ok, int line, const char *what);
void fake_check_str(const char *got, const char *want, int line, const char *what);
void fake_check_long(long long got, long long want, int line, const char *what);
extern const struct modhost_init_args fake_init_args;

#define CHECK(cond) fake_check(!!(cond), __LINE__, #cond)
#define CHECK_STR(got, want) fake_check_str((got), (want), __LINE__, #got)
#define CHECK_INT(got, want) fake_check_long((long long)(got), (long long)(want), __LINE__, #got)

/* snprintf into a large buffer: the text and the returned length. */
#define CHECK_FMT(want, fmt, ...) do {						\
	char __b[256];								\
	int __n = snprintf(__b, sizeof(__b), fmt, ##__VA_ARGS__);		\
	fake_check_str(__b, want, __LINE__, "snprintf(\"" fmt "\")");		\
	fake_check_long(__n, strlen(want), __LINE__, "length of \"" fmt "\"");	\
} while (0)

#define CHECK_LOG(want) do {					\
	fake_check_str(fake_log(), want, __LINE__, "log");	\
	fake_log_clear();					\
} while (0)

static void test_vsnprintf_numbers(void)
{
	CHECK_FMT("42", "%d", 42);
	CHECK_FMT("-42", "%i", -42);
	CHECK_FMT("   42", "%5d", 42);
	CHECK_FMT("42   |", "%-5d|", 42);
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("+5", "%+d", 5);
	CHECK_FMT(" 5", "% d", 5);
	CHECK_FMT("-2147483648", "%d", INT_MIN);
	CHECK_FMT("4294967295", "%u", -1);
	CHECK_FMT("ff FF", "%x %X", 255, 255);
	CHECK_FMT("0xff 0XFF", "%#x %#X", 255, 255);
	CHECK_FMT("0x0", "%#x", 0);		/* libc: "0" */
	CHECK_FMT("10 010 0", "%o %#o %#o", 8, 8, 0);
	CHECK_FMT("0x00001234", "%#010x", 0x1234);
	CHECK_FMT("007", "%.3d", 7);
	CHECK_FMT("0", "%.0d", 0);		/* libc: "" */
	CHECK_FMT("  007", "%5.3d", 7);
	CHECK_FMT("00007", "%05.3d", 7);	/* libc: "  007" */
	CHECK_FMT("7    |", "%-05d|", 7);
	CHECK_FMT("-1 18446744073709551615", "%ld %lu", -1L, ULONG_MAX);
	CHECK_FMT("-9223372036854775808", "%lld", LLONG_MIN);
	CHECK_FMT("18446744073709551615", "%llu", ULLONG_MAX);
	CHECK_FMT("deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
	CHECK_FMT("-1 -1 7", "%hhd %hd %hhu", 255, 65535, 263);
	CHECK_FMT("7 -7", "%zu %zd", (size_t)7, (ssize_t)-7);
	CHECK_FMT("-3", "%td", (ptrdiff_t)-3);
	CHECK_FMT("   42", "%*d", 5, 42);
	CHECK_FMT("42   |", "%-*d|", 5, 42);
	CHECK_FMT("42   |", "%*d|", -5, 42);
	CHECK_FMT("5", "%.*d", -1, 5);
	CHECK_FMT("%", "%%");
	CHECK_FMT("100%", "100%%");
	CHECK_FMT("%", "%5%");
}

static void test_vsnprintf_strings(void)
{
	char *null = NULL;

	CHECK_FMT("abc", "%s", "abc");
	CHECK_FMT("  abc", "%5s", "abc");
	CHECK_FMT("abc  |", "%-5s|", "abc");
	CHECK_FMT("ab", "%.2s", "abc");
	CHECK_FMT("ab", "%.*s", 2, "abc");
	CHECK_FMT("hi        |    x|", "%-10s|%5.1s|", "hi", "xyz");
	CHECK_FMT("(null)", "%s", null);
	CHECK_FMT("(nu", "%.3s", null);
	CHECK_FMT("(efault)", "%s", (char *)ERR_PTR(-EIO));
	CHECK_FMT("(efault)", "%s", (char *)16);
	CHECK_FMT("A", "%c", 'A');
	CHECK_FMT("  A", "%3c", 'A');
	CHECK_FMT("A  |", "%-3c|", 'A');
	CHECK_FMT("x=1 y=two z=c", "x=%d y=%s z=%c", 1, "two", 'c');
}

static void test_vsnprintf_pointers(void)
{
	char a[32], b[32];
	int x;

	CHECK_FMT("0000000000001234", "%px", (void *)0x1234);
	CHECK_FMT("0000000000000000", "%p", NULL);
	CHECK_FMT("ffffffffffffffea", "%p", ERR_PTR(-EINVAL));
	snprintf(a, sizeof(a), "%p", &x);
	snprintf(b, sizeof(b), "%px", &x);
	CHECK_INT(strlen(a), 16);
	CHECK(!strncmp(a, "00000000", 8));	/* 32 bits of hash */
	CHECK(strcmp(a, b) != 0);		/* not the address */
	snprintf(b, sizeof(b), "%p", &x);
	CHECK_STR(a, b);			/* the same pointer, the same id */
	snprintf(b, sizeof(b), "%pK", &x);
	CHECK_STR(a, b);			/* kptr_restrict 0: as %p */
	CHECK_FMT("sym_1000+0x1/0x10 [fake]", "%pS", (void *)0x1000);
	CHECK_FMT("sym_1000", "%ps", (void *)0x1000);
	CHECK_FMT("sym_1000+0x1/0x10 [fake]", "%pB", (void *)0x1000);
	/* The letters after %p are the extension's, even unknown ones. */
	CHECK_FMT("sym_1000|", "%psx|", (void *)0x1000);
}

static void test_vsnprintf_bounds(void)
{
	char buf[8];
	int n;

	memset(buf, 'X', sizeof(buf));
	n = snprintf(buf, 4, "%d", 12345);
	CHECK_INT(n, 5);
	CHECK_STR(buf, "123");
	n = snprintf(buf, 4, "%6s", "ab");
	CHECK_INT(n, 6);
	CHECK_STR(buf, "   ");
	CHECK_INT(snprintf(NULL, 0, "%s-%d", "abc", 12), 6);
	CHECK_INT(scnprintf(buf, 4, "%d", 12345), 3);
	CHECK_INT(scnprintf(buf, 0, "%d", 12345), 0);
	CHECK_INT(scnprintf(buf, sizeof(buf), "%d", 12), 2);
	CHECK_INT(sprintf(buf, "%s", "1234567"), 7);
	CHECK_STR(buf, "1234567");

	/* An unsupported conversion ends the output and WARNs once. */
	fake_log_clear();
	n = snprintf(buf, sizeof(buf), "a%nb", &n);
	CHECK_STR(buf, "a");
	CHECK_INT(n, 1);
	CHECK(strstr(fake_log(), "WARN:Please remove unsupported %n in format string\n@") != NULL);
	fake_log_clear();
	snprintf(buf, sizeof(buf), "a%nb", &n);
	CHECK_LOG("");
}

static void test_kasprintf(void)
{
	long live = fake_live_blocks();
	char *s = kasprintf(GFP_KERNEL, "x=%d %s", 5, "five");

	CHECK_STR(s, "x=5 five");
	CHECK_INT(ksize(s), 9);
	kfree(s);
	CHECK_INT(fake_live_blocks(), live);
}

static void test_sscanf(void)
{
	int a = 0, b = 0, n = 0;
	unsigned int u = 0;
	long l = 0;
	unsigned long long ull = 0;
	unsigned char uc = 0;
	char s1[16], s2[16], c1 = 0, c2 = 0;

	CHECK_INT(sscanf("12 34", "%d %d", &a, &b), 2);
	CHECK_INT(a, 12);
	CHECK_INT(b, 34);
	CHECK_INT(sscanf("0x1f", "%x", &u), 1);
	CHECK_INT(u, 31);
	CHECK_INT(sscanf("0x1f 017 -12", "%i %i %i", &a, &b, &n), 3);
	CHECK_INT(a, 31);
	CHECK_INT(b, 15);
	CHECK_INT(n, -12);
	CHECK_INT(sscanf("abc def", "%s %s", s1, s2), 2);
	CHECK_STR(s1, "abc");
	CHECK_STR(s2, "def");
	CHECK_INT(sscanf("abcdef", "%3s%s", s1, s2), 2);
	CHECK_STR(s1, "abc");
	CHECK_STR(s2, "def");
	CHECK_INT(sscanf("12345", "%2d%3d", &a, &b), 2);
	CHECK_INT(a, 12);
	CHECK_INT(b, 345);
	CHECK_INT(sscanf("a:b", "%c:%c", &c1, &c2), 2);
	CHECK_INT(c1, 'a');
	CHECK_INT(c2, 'b');
	CHECK_INT(sscanf("name=value", "%[^=]=%s", s1, s2), 0);	/* %[ needs a width */
	CHECK_INT(sscanf("name=value", "%9[^=]=%9s", s1, s2), 2);
	CHECK_STR(s1, "name");
	CHECK_STR(s2, "value");
	CHECK_INT(sscanf("42 rest", "%d%n", &a, &n), 1);
	CHECK_INT(n, 2);
	CHECK_INT(sscanf("x", "%d", &a), 0);
	CHECK_INT(sscanf("-", "%d", &a), 0);
	CHECK_INT(sscanf("123456789012", "%llu", &ull), 1);
	CHECK_INT(ull, 123456789012ULL);
	CHECK_INT(sscanf("  7", "%u", &u), 1);
	CHECK_INT(u, 7);
	CHECK_INT(sscanf("1 2", "%*d %d", &b), 1);
	CHECK_INT(b, 2);
	CHECK_INT(sscanf("-5", "%ld", &l), 1);
	CHECK_INT(l, -5);
	CHECK_INT(sscanf("300", "%hhu", &uc), 1);
	CHECK_INT(uc, 44);
	CHECK_INT(sscanf("50%", "%d%%", &a), 1);
	CHECK_INT(a, 50);
	CHECK_INT(sscanf("4294967296", "%u", &u), 1);		/* no range check */
	CHECK_INT(u, 0);
}

static void test_kstrtox(void)
{
	int i = 0;
	unsigned int u = 0;
	long long ll = 0;
	unsigned long long ull = 0;
	unsigned long ul = 0;
	u8 u8v = 0;
	s8 s8v = 0;
	bool bv = false;
	char *end;

	CHECK_INT(kstrtoint("123", 0, &i), 0);
	CHECK_INT(i, 123);
	CHECK_INT(kstrtoint("-123", 10, &i), 0);
	CHECK_INT(i, -123);
	CHECK_INT(kstrtoint("+5", 10, &i), 0);
	CHECK_INT(i, 5);
	CHECK_INT(kstrtoint("0x10", 0, &i), 0);
	CHECK_INT(i, 16);
	CHECK_INT(kstrtoint("010", 0, &i), 0);
	CHECK_INT(i, 8);
	CHECK_INT(kstrtoint("10\n", 10, &i), 0);
	CHECK_INT(i, 10);
	CHECK_INT(kstrtoint("10\n\n", 10, &i), -EINVAL);
	CHECK_INT(kstrtoint("", 10, &i), -EINVAL);
	CHECK_INT(kstrtoint(" 1", 10, &i), -EINVAL);
	CHECK_INT(kstrtoint("12a", 10, &i), -EINVAL);
	CHECK_INT(kstrtoint("2147483648", 10, &i), -ERANGE);
	CHECK_INT(kstrtoint("-2147483648", 10, &i), 0);
	CHECK_INT(i, INT_MIN);
	CHECK_INT(kstrtoint("0x", 16, &i), -EINVAL);
	CHECK_INT(kstrtoint("0x", 0, &i), -EINVAL);
	CHECK_INT(kstrtoint("ff", 16, &i), 0);
	CHECK_INT(i, 255);
	CHECK_INT(kstrtoint("0XFF", 16, &i), 0);
	CHECK_INT(i, 255);
	CHECK_INT(kstrtouint("-1", 10, &u), -EINVAL);
	CHECK_INT(kstrtouint("4294967295", 10, &u), 0);
	CHECK_INT(u, UINT_MAX);
	CHECK_INT(kstrtouint("4294967296", 10, &u), -ERANGE);
	CHECK_INT(kstrtoull("18446744073709551615", 10, &ull), 0);
	CHECK(ull == ULLONG_MAX);
	CHECK_INT(kstrtoull("18446744073709551616", 10, &ull), -ERANGE);
	CHECK_INT(kstrtoll("-9223372036854775808", 10, &ll), 0);
	CHECK(ll == LLONG_MIN);
	CHECK_INT(kstrtoll("-9223372036854775809", 10, &ll), -ERANGE);
	CHECK_INT(kstrtoll("9223372036854775808", 10, &ll), -ERANGE);
	CHECK_INT(kstrtoul("42", 0, &ul), 0);
	CHECK_INT(ul, 42);
	CHECK_INT(kstrtou8("256", 10, &u8v), -ERANGE);
	CHECK_INT(kstrtou8("255", 10, &u8v), 0);
	CHECK_INT(u8v, 255);
	CHECK_INT(kstrtos8("-129", 10, &s8v), -ERANGE);
	CHECK_INT(kstrtos8("-128", 10, &s8v), 0);
	CHECK_INT(s8v, -128);

	CHECK_INT(kstrtobool("y", &bv), 0);
	CHECK(bv);
	CHECK_INT(kstrtobool("0", &bv), 0);
	CHECK(!bv);
	CHECK_INT(kstrtobool("ON", &bv), 0);
	CHECK(bv);
	CHECK_INT(kstrtobool("off", &bv), 0);
	CHECK(!bv);
	CHECK_INT(kstrtobool("yes-ish", &bv), 0);	/* only the first letter counts */
	CHECK(bv);
	CHECK_INT(kstrtobool("o", &bv), -EINVAL);
	CHECK_INT(kstrtobool("x", &bv), -EINVAL);
	CHECK_INT(kstrtobool("", &bv), -EINVAL);

	CHECK_INT(simple_strtoul("123abc", &end, 10), 123);
	CHECK_STR(end, "abc");
	CHECK_INT(simple_strtol("-42x", &end, 0), -42);
	CHECK_STR(end, "x");
	CHECK_INT(simple_strtoul("0x1G", &end, 0), 1);
	CHECK_STR(end, "G");
	CHECK_INT(simple_strtoull("0777", NULL, 0), 511);
	CHECK_INT(simple_strtoll("-0x10", NULL, 16), -16);
}

static void test_strings(void)
{
	char buf[16], *p, *tok;
	char list[] = "a,b,,c";
	char spaced[] = "  hi  ";
	char mv[] = "abcdef";

	CHECK_INT(strscpy(buf, "hello", 6), 5);
	CHECK_STR(buf, "hello");
	CHECK_INT(strscpy(buf, "hello", 5), -E2BIG);
	CHECK_STR(buf, "hell");
	CHECK_INT(strscpy(buf, "x", 0), -E2BIG);
	memset(buf, 'X', sizeof(buf));
	CHECK_INT(strscpy_pad(buf, "ab", 6), 2);
	CHECK(!memcmp(buf, "ab\0\0\0\0X", 7));
	CHECK_INT(strlcpy(buf, "hello", 3), 5);
	CHECK_STR(buf, "he");
	strcpy(buf, "ab");
	CHECK_INT(strlcat(buf, "cdef", 5), 6);
	CHECK_STR(buf, "abcd");
	memset(buf, 'X', sizeof(buf));
	strncpy(buf, "ab", 5);
	CHECK(!memcmp(buf, "ab\0\0\0X", 6));
	strcpy(buf, "ab");
	strcat(buf, "cd");
	strncat(buf, "efgh", 2);
	CHECK_STR(buf, "abcdef");

	CHECK(strcmp("a", "b") < 0);
	CHECK(strcmp("b", "a") > 0);
	CHECK(strcmp("\xff", "a") > 0);		/* compared as unsigned */
	CHECK_INT(strncmp("abc", "abd", 2), 0);
	CHECK_INT(strcasecmp("HeLLo", "hello"), 0);
	CHECK_INT(strncasecmp("ab", "AC", 1), 0);
	CHECK(strncasecmp("ab", "AC", 2) < 0);

	CHECK_STR(strchr("hello", 'l'), "llo");
	CHECK(strchr("hello", 'z') == NULL);
	CHECK_STR(strchr("hello", '\0'), "");
	CHECK_STR(strrchr("hello", 'l'), "lo");
	CHECK(strnchr("abc", 2, 'c') == NULL);
	CHECK_STR(strnchr("abc", 3, 'c'), "c");
	CHECK_STR(strstr("hello world", "wor"), "world");
	CHECK(strnstr("hello world", "wor", 8) == NULL);
	CHECK_STR(strnstr("hello world", "wor", 9), "world");
	CHECK_STR(strpbrk("abc", "xc"), "c");
	CHECK_INT(strspn("aabbc", "ab"), 4);
	CHECK_INT(strcspn("abc,d", ","), 3);
	CHECK_INT(strlen("hello"), 5);
	CHECK_INT(strnlen("hello", 3), 3);

	p = list;
	tok = strsep(&p, ",");
	CHECK_STR(tok, "a");
	tok = strsep(&p, ",");
	CHECK_STR(tok, "b");
	tok = strsep(&p, ",");
	CHECK_STR(tok, "");
	tok = strsep(&p, ",");
	CHECK_STR(tok, "c");
	CHECK(p == NULL);
	CHECK(strsep(&p, ",") == NULL);

	CHECK_STR(strim(spaced), "hi");
	CHECK_STR(skip_spaces(" \t x"), "x");

	memmove(mv + 2, mv, 4);
	CHECK_STR(mv, "ababcd");
	memmove(mv, mv + 2, 4);
	CHECK_STR(mv, "abcdcd");
	{
		char big[300], want[300];

		for (int i = 0; i < 300; i++)
			big[i] = want[i] = (char)i;
		memmove(big + 1, big, 299);		/* overlapping, long */
		CHECK(big[0] == 0 && big[1] == 0 && big[299] == (char)298);
		memmove(big, big + 1, 299);
		CHECK(!memcmp(big, want, 299));
		memcpy(big, want + 100, 100);		/* apart */
		CHECK(!memcmp(big, want + 100, 100));
		memset(big, 7, 257);
		CHECK(big[0] == 7 && big[256] == 7 && big[257] == want[257]);
	}
	memset(buf, 0, sizeof(buf));
	memset(buf, 'z', 3);
	CHECK_STR(buf, "zzz");
	CHECK(memcmp("abc", "abd", 3) < 0);
	CHECK_STR((char *)memchr("abc", 'b', 3), "bc");
	CHECK(memchr("abc", 'z', 3) == NULL);
	p = "abc";
	CHECK(memscan(p, 'z', 3) == p + 3);	/* the end, not NULL */
	CHECK(memchr_inv("aaab", 'a', 4) == (void *)("aaab" + 3) ||
	      *(char *)memchr_inv("aaab", 'a', 4) == 'b');

	CHECK(sysfs_streq("abc", "abc\n"));
	CHECK(sysfs_streq("abc\n", "abc"));
	CHECK(!sysfs_streq("abc", "ab"));
	{
		static const char * const modes[] = { "off", "on", "auto" };

		CHECK_INT(match_string(modes, ARRAY_SIZE(modes), "auto"), 2);
		CHECK_INT(match_string(modes, ARRAY_SIZE(modes), "x"), -EINVAL);
		CHECK_INT(sysfs_match_string(modes, "on\n"), 1);
	}
}

/* kasan.c is linked here, as into a module built with KASAN=1: the
 * compiler's calls and the string functions ask the host, naming the
 * caller. */
void __asan_store4_noabort(unsigned long addr);
void __asan_loadN_noabort(unsigned long addr, size_t size);

#define CHECK_ACCESS(addr, size, write) do {					\
	CHECK(fake_access_address() == (const void *)(addr));			\
	CHECK_INT(fake_access_size(), size);					\
	CHECK_INT(fake_access_write(), write);					\
} while (0)

static int kasan_static;

static noinline void test_kasan(void)
{
	char buf[16], src[8] = "abc";
	unsigned long here = (unsigned long)test_kasan;
	long before;

	__asan_store4_noabort((unsigned long)buf);
	CHECK_ACCESS(buf, 4, 1);
	CHECK(fake_access_ip() > here && fake_access_ip() < here + 4096);
	__asan_loadN_noabort((unsigned long)buf + 1, 24);
	CHECK_ACCESS(buf + 1, 24, 0);
	strcpy(buf, "hello");
	CHECK_ACCESS(buf, 6, 1);
	CHECK(fake_access_ip() > here && fake_access_ip() < here + 4096);
	strcat(buf, "!");
	CHECK_ACCESS(buf + 5, 2, 1);
	memset(buf, 0, 9);
	CHECK_ACCESS(buf, 9, 1);
	memcpy(buf + 2, src, 3);
	CHECK_ACCESS(buf + 2, 3, 1);
	strscpy(buf, "toolong", 4);
	CHECK_ACCESS(buf, 4, 1);
	strncpy(buf, src, 10);
	CHECK_ACCESS(buf, 10, 1);
	strncat(buf, "de", 5);
	CHECK_ACCESS(buf + 3, 3, 1);
	before = fake_access_checks();
	memset(buf, 0, 0);
	CHECK_INT(fake_access_checks(), before);	/* nothing touched, nothing asked */
	__asan_store4_noabort((unsigned long)&kasan_static);
	CHECK_INT(fake_access_checks(), before);	/* no block is in the image */
}

static void test_ctype(void)
{
	CHECK(isdigit('7') && !isdigit('a'));
	CHECK(isxdigit('F') && isxdigit('f') && !isxdigit('g'));
	CHECK(isspace(' ') && isspace('\n') && !isspace('\0'));
	CHECK(isalpha('Q') && !isalpha('1'));
	CHECK(ispunct('!') && !ispunct('a'));
	CHECK_INT(toupper('a'), 'A');
	CHECK_INT(tolower('Z'), 'z');
	CHECK_INT(tolower('1'), '1');
	CHECK_INT(hex_to_bin('b'), 11);
	CHECK_INT(hex_to_bin('g'), -1);
}

static void test_slab(void)
{
	long live = fake_live_blocks();
	long frees = fake_kfree_calls();
	long mallocs = fake_kmalloc_calls();
	char *p, *q;
	int i, zero = 1;

	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	CHECK_INT(fake_kmalloc_calls(), mallocs);	/* the host was not asked */
	kfree(NULL);
	kfree(ZERO_SIZE_PTR);
	CHECK_INT(fake_kfree_calls(), frees);
	CHECK(ZERO_OR_NULL_PTR(ZERO_SIZE_PTR));

	p = kzalloc(64, GFP_KERNEL);
	for (i = 0; i < 64; i++)
		zero &= p[i] == 0;
	CHECK(zero);
	CHECK(fake_last_gfp() & __GFP_DIRECT_RECLAIM);	/* GFP_KERNEL may sleep */
	CHECK_INT(ksize(p), 64);
	strcpy(p, "keep me");
	q = krealloc(p, 200, GFP_KERNEL);
	CHECK_STR(q, "keep me");
	CHECK_INT(ksize(q), 200);
	CHECK(krealloc(q, 0, GFP_KERNEL) == ZERO_SIZE_PTR);	/* frees q */
	CHECK(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL) == NULL);	/* overflow: refused */
	CHECK(kmalloc_array(SIZE_MAX / 2, 4, GFP_ATOMIC) == NULL);
	CHECK(!(fake_last_gfp() & __GFP_DIRECT_RECLAIM));	/* GFP_ATOMIC may not */
	p = kstrdup("dup", GFP_KERNEL);
	CHECK_STR(p, "dup");
	kfree(p);
	p = kstrndup("duplicate", 3, GFP_KERNEL);
	CHECK_STR(p, "dup");
	kfree_sensitive(p);
	p = kmemdup("ab", 3, GFP_KERNEL);
	CHECK_STR(p, "ab");
	kvfree(p);
	p = vzalloc(16);
	CHECK(p && p[15] == 0);
	vfree(p);
	CHECK(kstrdup(NULL, GFP_KERNEL) == NULL);
	CHECK_INT(fake_live_blocks(), live);
}

static void test_printk(void)
{
	fake_log_clear();
	CHECK_INT(printk(KERN_INFO "abc\n"), 3);
	CHECK_LOG("<6>abc");
	printk("plain\n");
	CHECK_LOG("<4>plain");			/* KERN_DEFAULT: the default level */
	pr_info("a\nb\n");
	CHECK_LOG("<6>a|<6>b");
	pr_err("x %d\n", 5);
	CHECK_LOG("<3>x 5");
	pr_emerg("e\n");
	pr_alert("a\n");
	pr_crit("c\n");
	pr_warn("w\n");
	pr_notice("n\n");
	CHECK_LOG("<0>e|<1>a|<2>c|<4>w|<5>n");
	CHECK_INT(pr_info("part1"), 5);
	CHECK_LOG("");				/* an open line waits */
	pr_cont(" part2");
	pr_cont(" part3\n");
	CHECK_LOG("<6>part1 part2 part3");
	pr_info("open");
	pr_info("next\n");
	CHECK_LOG("<6>open|<6>next");
	pr_cont("orphan\n");
	CHECK_LOG("<4>orphan");
	pr_info("\n");
	CHECK_LOG("<6>");
	pr_debug("hidden %d\n", 1);
	pr_devel("hidden\n");
	CHECK_LOG("");
	pr_warn("tail");
	__modhost_warn(MODHOST_SITE(), NULL);	/* a report writes the open line first */
	CHECK(!strncmp(fake_log(), "<4>tail|WARN:@tests.c:", 22));
	fake_log_clear();
	for (int i = 0; i < 3; i++)
		pr_info_once("once %d\n", i);
	CHECK_LOG("<6>once 0");
	dump_stack();
	CHECK(!strncmp(fake_log(), "STACK@", 6));
	fake_log_clear();
}

static void test_hexdump(void)
{
	static const u8 bytes[20] = { 0x01, 0x02, 0x03, 0x41, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				      16, 17, 18, 19 };
	char line[200];

	CHECK_INT(hex_dump_to_buffer(bytes, 4, 16, 1, line, sizeof(line), true), 53);
	CHECK_STR(line, "01 02 03 41                                      ...A");
	CHECK_INT(hex_dump_to_buffer(bytes, 8, 16, 4, line, sizeof(line), false), 17);
	CHECK_STR(line, "41030201 07060504");
	hex_dump_to_buffer(bytes, 3, 16, 2, line, sizeof(line), false);	/* mixed: bytes */
	CHECK_STR(line, "01 02 03");
	fake_log_clear();
	print_hex_dump(KERN_INFO, "p: ", DUMP_PREFIX_OFFSET, 16, 1, bytes, 20, false);
	CHECK_LOG("<6>p: 00000000: 01 02 03 41 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f|"
		  "<6>p: 00000010: 10 11 12 13");
	print_hex_dump_bytes("", DUMP_PREFIX_NONE, bytes, 20);	/* a debug message */
	CHECK_LOG("");
}

static void test_ratelimit(void)
{
	static DEFINE_RATELIMIT_STATE(rs, 10, 2);

	fake_set_jiffies(1000);
	fake_log_clear();
	CHECK_INT(__ratelimit(&rs), 1);
	CHECK_INT(__ratelimit(&rs), 1);
	CHECK_INT(__ratelimit(&rs), 0);
	CHECK_INT(__ratelimit(&rs), 0);
	fake_set_jiffies(1010);			/* still in the interval */
	CHECK_INT(__ratelimit(&rs), 0);
	fake_set_jiffies(1011);
	CHECK_INT(__ratelimit(&rs), 1);
	CHECK_LOG("<4>test_ratelimit: 3 callbacks suppressed");
}

static void test_warn(void)
{
	int line;

	fake_log_clear();
	CHECK_INT(WARN_ON(0), 0);
	CHECK_LOG("");
	line = __LINE__ + 1;
	CHECK_INT(WARN_ON(2 > 1), 1);
	{
		char want[64];

		snprintf(want, sizeof(want), "WARN:@tests.c:%d", line);
		CHECK_LOG(want);
	}
	CHECK_INT(WARN(1, "bad %d\n", 3), 1);
	CHECK(!strncmp(fake_log(), "WARN:bad 3\n@tests.c:", 20));
	fake_log_clear();
	for (int i = 0; i < 3; i++)
		CHECK_INT(WARN_ON_ONCE(i >= 0), 1);
	CHECK(!strncmp(fake_log(), "WARN:@tests.c:", 14) && !strchr(fake_log(), '|'));
	fake_log_clear();
	for (int i = 0; i < 2; i++)
		WARN_ONCE(1, "only %s\n", "once");
	CHECK(!strncmp(fake_log(), "WARN:only once\n@", 16) && !strchr(fake_log(), '|'));
	fake_log_clear();
}

static void test_err_ptr(void)
{
	void *e = ERR_PTR(-ENOMEM);

	CHECK(IS_ERR(e));
	CHECK_INT(PTR_ERR(e), -ENOMEM);
	CHECK(IS_ERR_OR_NULL(NULL));
	CHECK(!IS_ERR(NULL));
	CHECK_INT(PTR_ERR_OR_ZERO(e), -ENOMEM);
	CHECK_INT(PTR_ERR_OR_ZERO(&e), 0);
	CHECK(ERR_CAST(e) == e);
	CHECK(IS_ERR(ERR_PTR(-MAX_ERRNO)) && !IS_ERR(ERR_PTR(-MAX_ERRNO - 1)));
	CHECK_INT(ERESTARTSYS, 512);
	CHECK_INT(ENOTSUPP, 524);
	CHECK_INT(EHWPOISON, 133);
}

struct item {
	int v;
	struct list_head node;
};

static void test_list(void)
{
	LIST_HEAD(head);
	LIST_HEAD(other);
	struct item it[4], *pos, *n;
	int order[8], count = 0;

	for (int i = 0; i < 4; i++) {
		it[i].v = i;
		list_add_tail(&it[i].node, &head);
	}
	CHECK(!list_empty(&head));
	CHECK_INT(list_first_entry(&head, struct item, node)->v, 0);
	CHECK_INT(list_last_entry(&head, struct item, node)->v, 3);
	list_for_each_entry_safe(pos, n, &head, node)
		if (pos->v % 2)
			list_del(&pos->node);
	CHECK(it[1].node.next == LIST_POISON1);
	list_for_each_entry(pos, &head, node)
		order[count++] = pos->v;
	CHECK_INT(count, 2);
	CHECK(order[0] == 0 && order[1] == 2);
	list_move(&it[2].node, &other);
	CHECK(list_is_singular(&other));
	list_add(&it[1].node, &other);		/* at the front */
	list_splice_init(&other, &head);		/* [1, 2] before [0] */
	CHECK(list_empty(&other));
	count = 0;
	list_for_each_entry_reverse(pos, &head, node)
		order[count++] = pos->v;
	CHECK_INT(count, 3);
	CHECK(order[0] == 0 && order[1] == 2 && order[2] == 1);
	CHECK(container_of(&it[3].node, struct item, node) == &it[3]);
	CHECK(list_first_entry_or_null(&other, struct item, node) == NULL);
	CHECK_INT(list_count_nodes(&head), 3);
}

static void test_atomic_bitops_minmax(void)
{
	atomic_t a = ATOMIC_INIT(5);
	atomic64_t b = ATOMIC64_INIT(1LL << 40);
	unsigned long bits[2] = { 0, 0 };
	int x = 3, y = 9;

	atomic_inc(&a);
	CHECK_INT(atomic_read(&a), 6);
	CHECK_INT(atomic_add_return(4, &a), 10);
	CHECK_INT(atomic_fetch_add(1, &a), 10);
	CHECK_INT(atomic_cmpxchg(&a, 11, 20), 11);
	CHECK_INT(atomic_cmpxchg(&a, 11, 30), 20);
	CHECK_INT(atomic_xchg(&a, 1), 20);
	CHECK(atomic_dec_and_test(&a));
	CHECK(!atomic_inc_not_zero(&a));
	CHECK_INT(atomic_dec_if_positive(&a), -1);
	atomic64_add(1, &b);
	CHECK_INT(atomic64_read(&b), (1LL << 40) + 1);

	set_bit(70, bits);
	CHECK(test_bit(70, bits) && bits[1] == (1UL << 6));
	CHECK(test_and_set_bit(70, bits));
	CHECK(test_and_clear_bit(70, bits));
	CHECK(!test_bit(70, bits));
	CHECK_INT(find_first_bit(bits, 128), 128);

	CHECK_INT(min(x, y), 3);
	CHECK_INT(max(x, y), 9);
	CHECK_INT(clamp(15, 0, 10), 10);
	CHECK_INT(min_t(unsigned int, -1, 5), 5);
	swap(x, y);
	CHECK(x == 9 && y == 3);
	CHECK_INT(DIV_ROUND_UP(7, 2), 4);
	CHECK_INT(roundup(7, 4), 8);
	CHECK_INT(abs(-5), 5);
	CHECK_INT(ARRAY_SIZE(bits), 2);
	CHECK_INT(LINUX_VERSION_CODE, KERNEL_VERSION(6, 12, 0));
	CHECK_INT(get_random_u32_below(10) < 10, 1);
}

/* The module: parameters of every kind and an init/exit that record. */
static int p_int = 1;
module_param(p_int, int, 0644);
MODULE_PARM_DESC(p_int, "an int");
static char *p_charp = "default";
module_param(p_charp, charp, 0444);
static bool p_bool;
module_param(p_bool, bool, 0444);
static bool p_inv;
module_param(p_inv, invbool, 0444);
static int p_arr[3];
static unsigned int p_narr;
module_param_array(p_arr, int, &p_narr, 0444);
static char p_str[8];
module_param_string(p_str, p_str, sizeof(p_str), 0444);
static unsigned int p_hex;
module_param(p_hex, hexint, 0644);
static long p_keep = 77;
module_param(p_keep, long, 0444);
static unsigned char p_byte;
module_param_named(byte, p_byte, byte, 0444);
static char *p_null;
module_param(p_null, charp, 0444);
static int p_empty[2];
static unsigned int p_nempty;
module_param_array(p_empty, int, &p_nempty, 0444);

MODULE_LICENSE("GPL");

static struct kernel_param *const tests_kp[] = {
	&__param_p_int, &__param_p_charp, &__param_p_bool, &__param_p_inv, &__param_p_arr,
	&__param_p_str, &__param_p_hex, &__param_p_keep, &__param_byte, &__param_p_null,
	&__param_p_empty,
};

static int init_calls, exit_calls;
static char init_saw[64];

static int __init tests_init(void)
{
	init_calls++;
	snprintf(init_saw, sizeof(init_saw), "%s %d %s", THIS_MODULE->name, p_int, p_charp);
	pr_info("loaded");			/* an open line: start writes it out */
	return 0;
}

static void __exit tests_exit(void)
{
	exit_calls++;
}

module_init(tests_init);
module_exit(tests_exit);

struct module __this_module = {
	.num_kp = ARRAY_SIZE(tests_kp),
	.kp = tests_kp,
	.init = init_module,
	.exit = cleanup_module,
};

static void test_module_lifecycle(void)
{
	long live = fake_live_blocks();
	char buf[64];

	fake_set_param(0, "42");
	fake_set_param(1, "hello");
	fake_set_param(2, "Y");
	fake_set_param(3, "Y");
	fake_set_param(4, "1,-2,3");
	fake_set_param(5, "abc");
	fake_set_param(6, "0x1f");
	fake_set_param(7, NULL);		/* not given: keeps 77 */
	fake_set_param(8, "300");		/* out of range for byte */
	/* The host shows the defaults of parameters not given: these are
	 * left as they are, not set again. */
	fake_set_param(9, "");			/* a NULL charp */
	fake_set_param(10, "");			/* an empty array */
	fake_log_clear();

	CHECK_INT(__modhost_start(&fake_init_args), MODHOST_INIT_BAD_PARAMS);
	CHECK_INT(init_calls, 0);		/* a bad value fails the load before init */
	CHECK_INT(fake_live_blocks(), live);	/* and frees the charp copy */
	CHECK_LOG("<3>fake_mod: `300' invalid for parameter `byte'");
	fake_log_clear();

	fake_set_param(8, "7");
	CHECK_INT(__modhost_start(&fake_init_args), 0);
	CHECK_INT(init_calls, 1);
	CHECK_STR(THIS_MODULE->name, "fake_mod");
	CHECK_STR(init_saw, "fake_mod 42 hello");
	CHECK_LOG("<6>loaded");
	CHECK_INT(p_int, 42);
	CHECK_STR(p_charp, "hello");
	CHECK(p_bool);
	CHECK(!p_inv);
	CHECK_INT(p_narr, 3);
	CHECK(p_arr[0] == 1 && p_arr[1] == -2 && p_arr[2] == 3);
	CHECK_STR(p_str, "abc");
	CHECK_INT(p_hex, 31);
	CHECK_INT(p_keep, 77);
	CHECK_INT(p_byte, 7);
	CHECK(p_null == NULL);
	CHECK_INT(p_nempty, 0);

	/* The kernel's get ops, as /sys would show them. */
	CHECK_INT(param_get_int(buf, &__param_p_int), 3);
	CHECK_STR(buf, "42\n");
	param_get_hexint(buf, &__param_p_hex);
	CHECK_STR(buf, "0x00001f\n");
	param_get_bool(buf, &__param_p_bool);
	CHECK_STR(buf, "Y\n");
	param_get_invbool(buf, &__param_p_inv);
	CHECK_STR(buf, "Y\n");
	CHECK_INT(__param_p_arr.ops->get(buf, &__param_p_arr), 7);
	CHECK_STR(buf, "1,-2,3\n");
	param_get_string(buf, &__param_p_str);
	CHECK_STR(buf, "abc\n");

	/* /sys writes: the host has the new text, the module reloads it. */
	fake_set_param(0, "-7");
	CHECK_INT(__modhost_param_changed(0), 0);
	CHECK_INT(p_int, -7);
	fake_set_param(1, "world");
	CHECK_INT(__modhost_param_changed(1), 0);
	CHECK_STR(p_charp, "world");
	fake_set_param(5, "toolongvalue");
	CHECK_INT(__modhost_param_changed(5), -ENOSPC);
	CHECK_LOG("<3>p_str: string doesn't fit in 7 chars.");
	CHECK_STR(p_str, "abc");
	fake_set_param(4, "1,2,3,4");
	CHECK_INT(__modhost_param_changed(4), -EINVAL);
	CHECK_LOG("<3>p_arr: can only take 3 arguments");
	fake_set_param(4, "9");
	CHECK_INT(__modhost_param_changed(4), 0);
	CHECK_INT(p_narr, 1);
	CHECK_INT(__modhost_param_changed(99), -EINVAL);
	fake_set_param(9, "set");		/* a /sys write always sets */
	CHECK_INT(__modhost_param_changed(9), 0);
	CHECK_STR(p_null, "set");

	CHECK(try_module_get(THIS_MODULE));
	CHECK_INT(fake_refs(), 1);
	module_put(THIS_MODULE);
	CHECK(try_module_get(NULL));
	CHECK_INT(fake_refs(), 0);

	__modhost_stop();
	CHECK_INT(exit_calls, 1);
	CHECK_INT(fake_live_blocks(), live);	/* the charp value was freed */
}

void run_tests(void)
{
	test_vsnprintf_numbers();
	test_vsnprintf_strings();
	test_vsnprintf_pointers();
	test_vsnprintf_bounds();
	test_kasprintf();
	test_sscanf();
	test_kstrtox();
	test_strings();
	test_kasan();
	test_ctype();
	test_slab();
	test_printk();
	test_hexdump();
	test_ratelimit();
	test_warn();
	test_err_ptr();
	test_list();
	test_atomic_bitops_minmax();
	test_module_lifecycle();
}
