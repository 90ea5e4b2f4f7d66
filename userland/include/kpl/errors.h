/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libkpl error codes.  Functions that can fail return 0, a negative errno,
 * or a negative KPL_E_* code; kpl_strerror() names either.
 */
#ifndef KPL_ERRORS_H
#define KPL_ERRORS_H

enum kpl_error {
	KPL_E_BASE = 4000,
	KPL_E_FORMAT = KPL_E_BASE,	/* malformed patch file */
	KPL_E_VERSION,			/* unsupported patch format version */
	KPL_E_BUILD_ID,			/* target build-id does not match */
	KPL_E_NO_TARGET,		/* target library not mapped in process */
	KPL_E_SYMBOL,			/* symbol not found or ambiguous */
	KPL_E_RELOC,			/* unsupported relocation */
	KPL_E_RANGE,			/* relocation or jump out of reach */
	KPL_E_PROLOGUE,			/* function cannot take a jump */
	KPL_E_BUSY,			/* patched function is on a stack */
	KPL_E_APPLIED,			/* patch already applied */
	KPL_E_NOT_APPLIED,		/* patch not applied */
	KPL_E_ORDER,			/* revert is not last-in-first-out */
	KPL_E_MISMATCH,			/* bytes in target are not as expected */
	KPL_E_STATE,			/* patch state in target is corrupt */
	KPL_E_SIGNATURE,		/* missing, bad or untrusted signature */
	KPL_E_BACKEND,			/* backend unavailable */
	KPL_E_TIMEOUT,			/* gave up waiting for quiescence */
	KPL_E_UNWIND,			/* patch code may throw or be unwound */
	KPL_E_MAX,
};

/*
 * kpl_strerror() - describe an error code.
 * @err: a libkpl return value (negative errno or -KPL_E_*), sign ignored
 * Return: a static string; never NULL.
 */
const char *kpl_strerror(int err);

#endif
