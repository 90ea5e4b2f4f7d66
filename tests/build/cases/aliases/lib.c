// SPDX-License-Identifier: GPL-2.0
/* kpl-build fixture aliases: functions known by two names, as libxml2 defines them */

#define KB_NOINLINE __attribute__((noinline))

/*
 * libxml2 (elfgcchack.h) defines every exported function as a hidden
 * foo__internal_alias, which the library calls, and exports foo as an
 * alias of it: two names in one .text.foo__internal_alias section.  Both
 * name one function.  Unchanged, neither is a changed function, although
 * the section has no single name: a static local each of two such
 * functions declares (deprecated.0, deprecated.1) is told apart by the
 * function that uses it, and a jump table's entries past the function's
 * end still point into that function.
 */
#define KB_ALIAS(name)                                                 \
	extern __typeof(name) name                                     \
		__attribute__((alias(#name "__internal_alias"),        \
			       visibility("default")))

int kb_scan(int op, int v);
int kb_scan__internal_alias(int op, int v)
	__attribute__((visibility("hidden")));
int kb_decode(int v);
int kb_decode__internal_alias(int v) __attribute__((visibility("hidden")));
int answer(void);
int answer__internal_alias(void) __attribute__((visibility("hidden")));

KB_NOINLINE int kb_scan__internal_alias(int op, int v)
{
	static int deprecated;

	deprecated++;
	switch (op) {
	case 0: return v + 1;
	case 1: return v * 3;
	case 2: return v - 7;
	case 3: return v << 2;
	case 4: return v / 3;
	case 5: return ~v;
	case 6: return v ^ 0x55;
	case 7: return v % 7;
	default: return -deprecated;
	}
}
KB_ALIAS(kb_scan);

KB_NOINLINE int kb_decode__internal_alias(int v)
{
	static int deprecated;

	return v + deprecated++ * 0;
}
KB_ALIAS(kb_decode);

KB_NOINLINE int answer__internal_alias(void)
{
	return 41;
}
KB_ALIAS(answer);
