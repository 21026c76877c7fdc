/* SPDX-License-Identifier: GPL-2.0 */
/* The integer parsing kstrtox.c shares with vsprintf.c's sscanf. */
#ifndef _LIB_KSTRTOX_H
#define _LIB_KSTRTOX_H

#include <linux/types.h>

#define KSTRTOX_OVERFLOW	(1U << 31)
const char *_parse_integer_fixup_radix(const char *s, unsigned int *base);
unsigned int _parse_integer_limit(const char *s, unsigned int base, unsigned long long *res,
				  size_t max_chars);
unsigned int _parse_integer(const char *s, unsigned int base, unsigned long long *res);
unsigned long long simple_strntoull(const char *startp, char **endp, unsigned int base,
				    size_t max_chars);
long long simple_strntoll(const char *cp, char **endp, unsigned int base, size_t max_chars);

#endif
