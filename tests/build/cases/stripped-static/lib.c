// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture stripped-static: a static function of a library
 * shipped stripped changes; it uses a static variable and a hidden
 * function of another file, none of which the stripped file names.
 */
#define KB_NOINLINE __attribute__((noinline))

int kb_hidden_add(int a, int b);

static int scale = 3;

__attribute__((visibility("default"))) void kb_set_scale(int s)
{
	scale = s;
}

static KB_NOINLINE int compute(int x)
{
	return kb_hidden_add(x * scale, 1);
}

__attribute__((visibility("default"))) KB_NOINLINE int kb_value(int x)
{
	return compute(x) + compute(x + 1) - compute(x + 1);
}
