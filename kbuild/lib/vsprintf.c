// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's printf and scanf (lib/vsprintf.c), for modules that have no
 * libc: the same conversions, flags and corner cases, so that a module's
 * output reads as it would in the kernel. In particular:
 *  - numbers follow number(): "%.0d" of 0 is "0", and '0' padding applies
 *    even with a precision;
 *  - "%s" of NULL is "(null)", of an address in the first page or an error
 *    pointer "(efault)";
 *  - "%p" is a hash of the address (16 hex digits, the top 8 zero), NULL
 *    and error pointers print as they are; "%px" is the address; "%pK" is
 *    "%p"; "%pS"/"%ps"/"%pB" name the symbol, which the host looks up;
 *  - an unsupported conversion (%n, %f, ...) ends the output there, with a
 *    one-time WARN, as in the kernel;
 *  - sscanf has the kernel's %[ (a width is required) and no %f.
 */

#include <linux/kernel.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <asm/page.h>
#include <modhost/lib.h>
#include "kstrtox.h"

#define KSYM_SYMBOL_LEN		512
#define FIELD_WIDTH_MAX		((1 << 23) - 1)
#define PRECISION_MAX		((1 << 15) - 1)

enum format_type {
	FORMAT_TYPE_NONE, /* Just a string part */
	FORMAT_TYPE_WIDTH,
	FORMAT_TYPE_PRECISION,
	FORMAT_TYPE_CHAR,
	FORMAT_TYPE_STR,
	FORMAT_TYPE_PTR,
	FORMAT_TYPE_PERCENT_CHAR,
	FORMAT_TYPE_INVALID,
	FORMAT_TYPE_LONG_LONG,
	FORMAT_TYPE_ULONG,
	FORMAT_TYPE_LONG,
	FORMAT_TYPE_UBYTE,
	FORMAT_TYPE_BYTE,
	FORMAT_TYPE_USHORT,
	FORMAT_TYPE_SHORT,
	FORMAT_TYPE_UINT,
	FORMAT_TYPE_INT,
	FORMAT_TYPE_SIZE_T,
	FORMAT_TYPE_PTRDIFF
};

#define SIGN	1		/* unsigned/signed, must be 1 */
#define LEFT	2		/* left justified */
#define PLUS	4		/* show plus */
#define SPACE	8		/* space if plus */
#define ZEROPAD	16		/* pad with zero, must be 16 == '0' - ' ' */
#define SMALL	32		/* use lowercase in hex (must be 32 == 0x20) */
#define SPECIAL	64		/* prefix hex with "0x", octal with "0" */

struct printf_spec {
	unsigned int type:8;		/* format_type enum */
	signed int field_width:24;	/* width of output field */
	unsigned int flags:8;		/* flags to number() */
	unsigned int base:8;		/* number base, 8, 10 or 16 only */
	signed int precision:16;	/* # of digits/chars */
};

static int skip_atoi(const char **s)
{
	int i = 0;

	do {
		i = i * 10 + *((*s)++) - '0';
	} while (isdigit(**s));

	return i;
}

/* The decimal digits of num into buf, least significant first; returns
 * past the last. */
static char *put_dec(char *buf, unsigned long long num)
{
	do {
		*buf++ = '0' + num % 10;
		num /= 10;
	} while (num);
	return buf;
}

static char *number(char *buf, char *end, unsigned long long num, struct printf_spec spec)
{
	char tmp[3 * sizeof(num)];
	char sign;
	char locase;
	int need_pfx = ((spec.flags & SPECIAL) && spec.base != 10);
	int i;
	bool is_zero = num == 0LL;
	int field_width = spec.field_width;
	int precision = spec.precision;

	/* locase = 0 or 0x20. ORing digits or letters with 'locase'
	 * produces same digits or (maybe lowercased) letters */
	locase = (spec.flags & SMALL);
	if (spec.flags & LEFT)
		spec.flags &= ~ZEROPAD;
	sign = 0;
	if (spec.flags & SIGN) {
		if ((signed long long)num < 0) {
			sign = '-';
			num = -num;
			field_width--;
		} else if (spec.flags & PLUS) {
			sign = '+';
			field_width--;
		} else if (spec.flags & SPACE) {
			sign = ' ';
			field_width--;
		}
	}
	if (need_pfx) {
		if (spec.base == 16)
			field_width -= 2;
		else if (!is_zero)
			field_width--;
	}

	/* generate full string in tmp[], in reverse order */
	i = 0;
	if (num < spec.base)
		tmp[i++] = hex_asc_upper[num] | locase;
	else if (spec.base != 10) { /* 8 or 16 */
		int mask = spec.base - 1;
		int shift = 3;

		if (spec.base == 16)
			shift = 4;
		do {
			tmp[i++] = (hex_asc_upper[((unsigned char)num) & mask] | locase);
			num >>= shift;
		} while (num);
	} else { /* base 10 */
		i = put_dec(tmp, num) - tmp;
	}

	/* printing 100 using %2d gives "100", not "00" */
	if (i > precision)
		precision = i;
	/* leading space padding */
	field_width -= precision;
	if (!(spec.flags & (ZEROPAD | LEFT))) {
		while (--field_width >= 0) {
			if (buf < end)
				*buf = ' ';
			++buf;
		}
	}
	/* sign */
	if (sign) {
		if (buf < end)
			*buf = sign;
		++buf;
	}
	/* "0x" / "0" prefix */
	if (need_pfx) {
		if (spec.base == 16 || !is_zero) {
			if (buf < end)
				*buf = '0';
			++buf;
		}
		if (spec.base == 16) {
			if (buf < end)
				*buf = ('X' | locase);
			++buf;
		}
	}
	/* zero or space padding */
	if (!(spec.flags & LEFT)) {
		char c = ' ' + (spec.flags & ZEROPAD);

		while (--field_width >= 0) {
			if (buf < end)
				*buf = c;
			++buf;
		}
	}
	/* hmm even more zero padding? */
	while (i <= --precision) {
		if (buf < end)
			*buf = '0';
		++buf;
	}
	/* actual digits of result */
	while (--i >= 0) {
		if (buf < end)
			*buf = tmp[i];
		++buf;
	}
	/* trailing space padding */
	while (--field_width >= 0) {
		if (buf < end)
			*buf = ' ';
		++buf;
	}

	return buf;
}

/* Moves the len bytes at buf right by spaces, within end, and fills the gap. */
static void move_right(char *buf, char *end, unsigned int len, unsigned int spaces)
{
	size_t size;

	if (buf >= end)	/* nowhere to put anything */
		return;
	size = end - buf;
	if (size <= spaces) {
		memset(buf, ' ', size);
		return;
	}
	if (len) {
		if (len > size - spaces)
			len = size - spaces;
		memmove(buf + spaces, buf, len);
	}
	memset(buf, ' ', spaces);
}

/* Pads the n characters just written (ending at buf) to the field width. */
static char *widen_string(char *buf, int n, char *end, struct printf_spec spec)
{
	unsigned int spaces;

	if (likely(n >= spec.field_width))
		return buf;
	/* we want to pad the sucker */
	spaces = spec.field_width - n;
	if (!(spec.flags & LEFT)) {
		move_right(buf - n, end, n, spaces);
		return buf + spaces;
	}
	while (spaces--) {
		if (buf < end)
			*buf = ' ';
		++buf;
	}
	return buf;
}

static char *string_nocheck(char *buf, char *end, const char *s, struct printf_spec spec)
{
	int len = 0;
	int lim = spec.precision;

	while (lim--) {
		char c = *s++;

		if (!c)
			break;
		if (buf < end)
			*buf = c;
		++buf;
		++len;
	}
	return widen_string(buf, len, end, spec);
}

static char *error_string(char *buf, char *end, const char *s, struct printf_spec spec)
{
	/* Hard limit to avoid a completely insane messages. */
	if (spec.precision == -1)
		spec.precision = 2 * sizeof(void *);

	return string_nocheck(buf, end, s, spec);
}

/* Whether ptr may be read; if not, writes why and returns true. */
static bool check_pointer(char **buf, char *end, const void *ptr, struct printf_spec spec)
{
	const char *msg = NULL;

	if (!ptr)
		msg = "(null)";
	else if ((unsigned long)ptr < PAGE_SIZE || IS_ERR_VALUE(ptr))
		msg = "(efault)";
	if (!msg)
		return false;
	*buf = error_string(*buf, end, msg, spec);
	return true;
}

static char *string(char *buf, char *end, const char *s, struct printf_spec spec)
{
	if (check_pointer(&buf, end, s, spec))
		return buf;

	return string_nocheck(buf, end, s, spec);
}

static char *pointer_string(char *buf, char *end, const void *ptr, struct printf_spec spec)
{
	spec.base = 16;
	spec.flags |= SMALL;
	if (spec.field_width == -1) {
		spec.field_width = 2 * sizeof(ptr);
		spec.flags |= ZEROPAD;
	}

	return number(buf, end, (unsigned long)ptr, spec);
}

/* The key that hides addresses in %p, made once per module instance. */
static u64 ptr_key;
static int ptr_key_ready;

static u64 get_ptr_key(void)
{
	if (!__atomic_load_n(&ptr_key_ready, __ATOMIC_ACQUIRE)) {
		u64 key = 0;

		mh_call(mem, get_random_bytes, &key, sizeof(key));
		key |= 1;	/* never 0, which means "not made" below */
		u64 expected = 0;

		__atomic_compare_exchange_n(&ptr_key, &expected, key, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		__atomic_store_n(&ptr_key_ready, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&ptr_key, __ATOMIC_RELAXED);
}

/* A keyed 64-bit mix (SplitMix64's finaliser over address ^ key). */
static u64 hash_ptr_value(u64 v, u64 key)
{
	v ^= key;
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
	return v ^ (v >> 31);
}

/* %p: an ID that tells pointers apart without revealing them. */
static char *ptr_to_id(char *buf, char *end, const void *ptr, struct printf_spec spec)
{
	unsigned long hashval;

	/* NULL and error pointers are not addresses: print them as they are. */
	if (IS_ERR_OR_NULL(ptr))
		return pointer_string(buf, end, ptr, spec);

	hashval = hash_ptr_value((unsigned long)ptr, get_ptr_key()) & 0xffffffff;
	return pointer_string(buf, end, (const void *)hashval, spec);
}

/* %pS (with offset), %ps (without), %pB (a return address in a backtrace). */
static char *symbol_string(char *buf, char *end, void *ptr, struct printf_spec spec, const char *fmt)
{
	char sym[KSYM_SYMBOL_LEN];
	size_t len;

	if (fmt[1] == 'R')
		ptr = __builtin_extract_return_addr(ptr);
	len = mh_call(debug, sprint_symbol, (unsigned long)ptr, *fmt != 's', sym, sizeof(sym) - 1);
	if (len > sizeof(sym) - 1)
		len = sizeof(sym) - 1;
	sym[len] = '\0';
	return string_nocheck(buf, end, sym, spec);
}

static char *pointer(const char *fmt, char *buf, char *end, void *ptr, struct printf_spec spec)
{
	switch (*fmt) {
	case 'S':
	case 's':
	case 'B':
		return symbol_string(buf, end, ptr, spec, fmt);
	case 'x':
		return pointer_string(buf, end, ptr, spec);
	case 'K':	/* kptr_restrict is 0: as %p */
	default:
		return ptr_to_id(buf, end, ptr, spec);
	}
}

/* Reads the next directive of fmt into spec; returns its length. */
static int format_decode(const char *fmt, struct printf_spec *spec)
{
	const char *start = fmt;
	char qualifier;

	/* we finished early by reading the field width */
	if (spec->type == FORMAT_TYPE_WIDTH) {
		if (spec->field_width < 0) {
			spec->field_width = -spec->field_width;
			spec->flags |= LEFT;
		}
		spec->type = FORMAT_TYPE_NONE;
		goto precision;
	}

	/* we finished early by reading the precision */
	if (spec->type == FORMAT_TYPE_PRECISION) {
		if (spec->precision < 0)
			spec->precision = 0;

		spec->type = FORMAT_TYPE_NONE;
		goto qualifier;
	}

	/* By default */
	spec->type = FORMAT_TYPE_NONE;

	for (; *fmt; ++fmt) {
		if (*fmt == '%')
			break;
	}

	/* Return the current non-format string */
	if (fmt != start || !*fmt)
		return fmt - start;

	/* Process flags */
	spec->flags = 0;

	while (1) { /* this also skips first '%' */
		bool found = true;

		++fmt;

		switch (*fmt) {
		case '-': spec->flags |= LEFT;    break;
		case '+': spec->flags |= PLUS;    break;
		case ' ': spec->flags |= SPACE;   break;
		case '#': spec->flags |= SPECIAL; break;
		case '0': spec->flags |= ZEROPAD; break;
		default:  found = false;
		}

		if (!found)
			break;
	}

	/* get field width */
	spec->field_width = -1;

	if (isdigit(*fmt))
		spec->field_width = skip_atoi(&fmt);
	else if (*fmt == '*') {
		/* it's the next argument */
		spec->type = FORMAT_TYPE_WIDTH;
		return ++fmt - start;
	}

precision:
	/* get the precision */
	spec->precision = -1;
	if (*fmt == '.') {
		++fmt;
		if (isdigit(*fmt)) {
			spec->precision = skip_atoi(&fmt);
			if (spec->precision < 0)
				spec->precision = 0;
		} else if (*fmt == '*') {
			/* it's the next argument */
			spec->type = FORMAT_TYPE_PRECISION;
			return ++fmt - start;
		}
	}

qualifier:
	/* get the conversion qualifier */
	qualifier = 0;
	if (*fmt == 'h' || _tolower(*fmt) == 'l' || *fmt == 'z' || *fmt == 't') {
		qualifier = *fmt++;
		if (unlikely(qualifier == *fmt)) {
			if (qualifier == 'l') {
				qualifier = 'L';
				++fmt;
			} else if (qualifier == 'h') {
				qualifier = 'H';
				++fmt;
			}
		}
	}

	/* default base */
	spec->base = 10;
	switch (*fmt) {
	case 'c':
		spec->type = FORMAT_TYPE_CHAR;
		return ++fmt - start;

	case 's':
		spec->type = FORMAT_TYPE_STR;
		return ++fmt - start;

	case 'p':
		spec->type = FORMAT_TYPE_PTR;
		return ++fmt - start;

	case '%':
		spec->type = FORMAT_TYPE_PERCENT_CHAR;
		return ++fmt - start;

	/* integer number formats - set up the flags and "break" */
	case 'o':
		spec->base = 8;
		break;

	case 'x':
		spec->flags |= SMALL;
		fallthrough;

	case 'X':
		spec->base = 16;
		break;

	case 'd':
	case 'i':
		spec->flags |= SIGN;
		break;
	case 'u':
		break;

	case 'n':
		/* %n poses a greater security risk than it is useful: it is
		 * treated as any other unsupported conversion. */
		fallthrough;

	default:
		WARN_ONCE(1, "Please remove unsupported %%%c in format string\n", *fmt);
		spec->type = FORMAT_TYPE_INVALID;
		return fmt - start;
	}

	if (qualifier == 'L')
		spec->type = FORMAT_TYPE_LONG_LONG;
	else if (qualifier == 'l')
		spec->type = FORMAT_TYPE_ULONG + (spec->flags & SIGN);
	else if (qualifier == 'z')
		spec->type = FORMAT_TYPE_SIZE_T;
	else if (qualifier == 't')
		spec->type = FORMAT_TYPE_PTRDIFF;
	else if (qualifier == 'H')
		spec->type = FORMAT_TYPE_UBYTE + (spec->flags & SIGN);
	else if (qualifier == 'h')
		spec->type = FORMAT_TYPE_USHORT + (spec->flags & SIGN);
	else
		spec->type = FORMAT_TYPE_UINT + (spec->flags & SIGN);

	return ++fmt - start;
}

static void set_field_width(struct printf_spec *spec, int width)
{
	spec->field_width = width;
	if (WARN_ONCE(spec->field_width != width, "field width %d too large", width))
		spec->field_width = clamp(width, -FIELD_WIDTH_MAX, FIELD_WIDTH_MAX);
}

static void set_precision(struct printf_spec *spec, int prec)
{
	spec->precision = prec;
	if (WARN_ONCE(spec->precision != prec, "precision %d too large", prec))
		spec->precision = clamp(prec, 0, PRECISION_MAX);
}

static unsigned long long number_arg(const struct printf_spec *spec, va_list *args)
{
	switch (spec->type) {
	case FORMAT_TYPE_LONG_LONG:
		return va_arg(*args, long long);
	case FORMAT_TYPE_ULONG:
		return va_arg(*args, unsigned long);
	case FORMAT_TYPE_LONG:
		return va_arg(*args, long);
	case FORMAT_TYPE_SIZE_T:
		if (spec->flags & SIGN)
			return va_arg(*args, ssize_t);
		return va_arg(*args, size_t);
	case FORMAT_TYPE_PTRDIFF:
		return va_arg(*args, ptrdiff_t);
	case FORMAT_TYPE_UBYTE:
		return (unsigned char)va_arg(*args, int);
	case FORMAT_TYPE_BYTE:
		return (signed char)va_arg(*args, int);
	case FORMAT_TYPE_USHORT:
		return (unsigned short)va_arg(*args, int);
	case FORMAT_TYPE_SHORT:
		return (short)va_arg(*args, int);
	case FORMAT_TYPE_INT:
		return (int)va_arg(*args, int);
	default:
		return va_arg(*args, unsigned int);
	}
}

/*
 * Formats into buf (at most size bytes, NUL-terminated if size > 0) and
 * returns the length the whole output has, which may be more than fit.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	char *str, *end;
	struct printf_spec spec = {0};
	va_list ap;

	/* Reject out-of-range values early. Large positive sizes are
	 * used for unknown buffer sizes. */
	if (WARN_ON_ONCE(size > INT_MAX))
		return 0;

	str = buf;
	end = buf + size;

	/* Make sure end is always >= buf */
	if (end < buf) {
		end = ((void *)-1);
		size = end - buf;
	}

	va_copy(ap, args);
	while (*fmt) {
		const char *old_fmt = fmt;
		int read = format_decode(fmt, &spec);

		fmt += read;

		switch (spec.type) {
		case FORMAT_TYPE_NONE: {
			int copy = read;

			if (str < end) {
				if (copy > end - str)
					copy = end - str;
				memcpy(str, old_fmt, copy);
			}
			str += read;
			break;
		}

		case FORMAT_TYPE_WIDTH:
			set_field_width(&spec, va_arg(ap, int));
			break;

		case FORMAT_TYPE_PRECISION:
			set_precision(&spec, va_arg(ap, int));
			break;

		case FORMAT_TYPE_CHAR: {
			char c;

			if (!(spec.flags & LEFT)) {
				while (--spec.field_width > 0) {
					if (str < end)
						*str = ' ';
					++str;
				}
			}
			c = (unsigned char)va_arg(ap, int);
			if (str < end)
				*str = c;
			++str;
			while (--spec.field_width > 0) {
				if (str < end)
					*str = ' ';
				++str;
			}
			break;
		}

		case FORMAT_TYPE_STR:
			str = string(str, end, va_arg(ap, char *), spec);
			break;

		case FORMAT_TYPE_PTR:
			str = pointer(fmt, str, end, va_arg(ap, void *), spec);
			while (isalnum(*fmt))
				fmt++;
			break;

		case FORMAT_TYPE_PERCENT_CHAR:
			if (str < end)
				*str = '%';
			++str;
			break;

		case FORMAT_TYPE_INVALID:
			/* The arguments passed the compiler's type checking, but
			 * the format has a conversion we do not have: stop here. */
			goto out;

		default:
			str = number(str, end, number_arg(&spec, &ap), spec);
		}
	}

out:
	va_end(ap);
	if (size > 0) {
		if (str < end)
			*str = '\0';
		else
			end[-1] = '\0';
	}

	/* the trailing null byte doesn't count towards the total */
	return str - buf;
}

/* The number of characters written into buf, without the NUL (0 if size is 0). */
int vscnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	int i;

	if (unlikely(!size))
		return 0;

	i = vsnprintf(buf, size, fmt, args);

	if (likely(i < (ssize_t)size))
		return i;

	return size - 1;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsnprintf(buf, size, fmt, args);
	va_end(args);

	return i;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vscnprintf(buf, size, fmt, args);
	va_end(args);

	return i;
}

/* vsnprintf with no bound: the caller's buffer must be big enough. */
int vsprintf(char *buf, const char *fmt, va_list args)
{
	return vsnprintf(buf, INT_MAX, fmt, args);
}

int sprintf(char *buf, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsnprintf(buf, INT_MAX, fmt, args);
	va_end(args);

	return i;
}

char *__modhost_kvasprintf(struct modhost_site site, gfp_t gfp, const char *fmt, va_list ap)
{
	unsigned int first, second;
	char *p;
	va_list aq;

	va_copy(aq, ap);
	first = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);

	p = __modhost_kmalloc(first + 1, gfp, site);
	if (!p)
		return NULL;

	second = vsnprintf(p, first + 1, fmt, ap);
	WARN(first != second, "different return values (%u and %u) from vsnprintf(\"%s\", ...)",
	     first, second, fmt);

	return p;
}

char *__modhost_kasprintf(struct modhost_site site, gfp_t gfp, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = __modhost_kvasprintf(site, gfp, fmt, ap);
	va_end(ap);

	return p;
}

char *(kvasprintf)(gfp_t gfp, const char *fmt, va_list ap)
{
	return __modhost_kvasprintf(MODHOST_SITE(), gfp, fmt, ap);
}

char *(kasprintf)(gfp_t gfp, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = __modhost_kvasprintf(MODHOST_SITE(), gfp, fmt, ap);
	va_end(ap);

	return p;
}

/* The format's constant string itself if there is nothing to format. */
const char *kvasprintf_const(gfp_t gfp, const char *fmt, va_list ap)
{
	if (!strchr(fmt, '%'))
		return kstrdup_const(fmt, gfp);
	if (!strcmp(fmt, "%s"))
		return kstrdup_const(va_arg(ap, const char *), gfp);
	return kvasprintf(gfp, fmt, ap);
}

/*
 * Reads values from buf by fmt; returns the number of conversions made.
 * White space in fmt matches any amount (or none) in buf; %* skips a
 * field; %[ needs a width.
 */
int vsscanf(const char *buf, const char *fmt, va_list args)
{
	const char *str = buf;
	char *next;
	char digit;
	int num = 0;
	u8 qualifier;
	unsigned int base;
	union {
		long long s;
		unsigned long long u;
	} val;
	s16 field_width;
	bool is_sign;

	while (*fmt) {
		/* skip any white space in format */
		/* white space in format matches any amount of
		 * white space, including none, in the input.
		 */
		if (isspace(*fmt)) {
			fmt = skip_spaces(++fmt);
			str = skip_spaces(str);
		}

		/* anything that is not a conversion must match exactly */
		if (*fmt != '%' && *fmt) {
			if (*fmt++ != *str++)
				break;
			continue;
		}

		if (!*fmt)
			break;
		++fmt;

		/* skip this conversion.
		 * advance both strings to next white space
		 */
		if (*fmt == '*') {
			if (!*str)
				break;
			while (!isspace(*fmt) && *fmt != '%' && *fmt) {
				/* '%*[' not yet supported, invalid format */
				if (*fmt == '[')
					return num;
				fmt++;
			}
			while (!isspace(*str) && *str)
				str++;
			continue;
		}

		/* get field width */
		field_width = -1;
		if (isdigit(*fmt)) {
			field_width = skip_atoi(&fmt);
			if (field_width <= 0)
				break;
		}

		/* get conversion qualifier */
		qualifier = -1;
		if (*fmt == 'h' || _tolower(*fmt) == 'l' || *fmt == 'z') {
			qualifier = *fmt++;
			if (unlikely(qualifier == *fmt)) {
				if (qualifier == 'h') {
					qualifier = 'H';
					fmt++;
				} else if (qualifier == 'l') {
					qualifier = 'L';
					fmt++;
				}
			}
		}

		if (!*fmt)
			break;

		if (*fmt == 'n') {
			/* return number of characters read so far */
			*va_arg(args, int *) = str - buf;
			++fmt;
			continue;
		}

		if (!*str)
			break;

		base = 10;
		is_sign = false;

		switch (*fmt++) {
		case 'c': {
			char *s = (char *)va_arg(args, char *);

			if (field_width == -1)
				field_width = 1;
			do {
				*s++ = *str++;
			} while (--field_width > 0 && *str);
			num++;
		}
		continue;
		case 's': {
			char *s = (char *)va_arg(args, char *);

			if (field_width == -1)
				field_width = SHRT_MAX;
			/* first, skip leading white space in buffer */
			str = skip_spaces(str);

			/* now copy until next white space */
			while (*str && !isspace(*str) && field_width--)
				*s++ = *str++;
			*s = '\0';
			num++;
		}
		continue;
		/*
		 * Unlike glibc's, %[ needs a field width, has no ranges
		 * ("a-z" is three characters), and a ']' can never be in
		 * the set.
		 */
		case '[': {
			char *s = (char *)va_arg(args, char *);
			bool set[256] = { false };
			unsigned int len = 0;
			bool negate = (*fmt == '^');

			/* field width is required */
			if (field_width == -1)
				return num;

			if (negate)
				++fmt;

			for ( ; *fmt && *fmt != ']'; ++fmt, ++len)
				set[(u8)*fmt] = true;

			/* no ']' or no character set found */
			if (!*fmt || !len)
				return num;
			++fmt;

			if (negate) {
				for (int c = 0; c < 256; c++)
					set[c] = !set[c];
				/* exclude null '\0' byte */
				set[0] = false;
			}

			/* match must be non-empty */
			if (!set[(u8)*str])
				return num;

			while (set[(u8)*str] && field_width--)
				*s++ = *str++;
			*s = '\0';
			++num;
		}
		continue;
		case 'o':
			base = 8;
			break;
		case 'x':
		case 'X':
			base = 16;
			break;
		case 'i':
			base = 0;
			fallthrough;
		case 'd':
			is_sign = true;
			fallthrough;
		case 'u':
			break;
		case '%':
			/* looking for '%' in str */
			if (*str++ != '%')
				return num;
			continue;
		default:
			/* invalid format; stop here */
			return num;
		}

		/* have some sort of integer conversion.
		 * first, skip white space in buffer.
		 */
		str = skip_spaces(str);

		digit = *str;
		if (is_sign && digit == '-') {
			if (field_width == 1)
				break;

			digit = *(str + 1);
		}

		if (!digit
		    || (base == 16 && !isxdigit(digit))
		    || (base == 10 && !isdigit(digit))
		    || (base == 8 && !isodigit(digit))
		    || (base == 0 && !isdigit(digit)))
			break;

		if (is_sign)
			val.s = simple_strntoll(str, &next, base,
						field_width >= 0 ? field_width : INT_MAX);
		else
			val.u = simple_strntoull(str, &next, base,
						 field_width >= 0 ? field_width : INT_MAX);

		switch (qualifier) {
		case 'H':	/* that's 'hh' in format */
			if (is_sign)
				*va_arg(args, signed char *) = val.s;
			else
				*va_arg(args, unsigned char *) = val.u;
			break;
		case 'h':
			if (is_sign)
				*va_arg(args, short *) = val.s;
			else
				*va_arg(args, unsigned short *) = val.u;
			break;
		case 'l':
			if (is_sign)
				*va_arg(args, long *) = val.s;
			else
				*va_arg(args, unsigned long *) = val.u;
			break;
		case 'L':
			if (is_sign)
				*va_arg(args, long long *) = val.s;
			else
				*va_arg(args, unsigned long long *) = val.u;
			break;
		case 'z':
			*va_arg(args, size_t *) = val.u;
			break;
		default:
			if (is_sign)
				*va_arg(args, int *) = val.s;
			else
				*va_arg(args, unsigned int *) = val.u;
			break;
		}
		num++;

		if (!next)
			break;
		str = next;
	}

	return num;
}

int sscanf(const char *buf, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsscanf(buf, fmt, args);
	va_end(args);

	return i;
}
