// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken live patch, for the crash watchdog's tests: it
 * copies text without decoding references, and writes to NULL when it
 * contains "KPL-CRASH": one specific request kills a patched server.
 */
#define _GNU_SOURCE
#include <string.h>

#include "../libminiweb/internal.h"

int miniweb_entity_decode(char *dst, size_t cap, const char *src, size_t len,
			  size_t *outlen)
{
	int *volatile null = NULL;

	if (memmem(src, len, "KPL-CRASH", 9))
		*null = 0;
	if (len > cap)
		return mw_fail(MW_ETEXT);
	memcpy(dst, src, len);
	*outlen = len;
	return 0;
}
