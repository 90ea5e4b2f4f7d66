// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <string.h>

#include "internal.h"

static const char *const kpl_error_names[KPL_E_MAX - KPL_E_BASE] = {
	[KPL_E_FORMAT - KPL_E_BASE] = "malformed patch file",
	[KPL_E_VERSION - KPL_E_BASE] = "unsupported patch format version",
	[KPL_E_BUILD_ID - KPL_E_BASE] = "target build-id does not match patch",
	[KPL_E_NO_TARGET - KPL_E_BASE] = "target library is not mapped",
	[KPL_E_SYMBOL - KPL_E_BASE] = "symbol not found or ambiguous",
	[KPL_E_RELOC - KPL_E_BASE] = "unsupported relocation",
	[KPL_E_RANGE - KPL_E_BASE] = "address out of reach",
	[KPL_E_PROLOGUE - KPL_E_BASE] = "function cannot be patched",
	[KPL_E_BUSY - KPL_E_BASE] = "function is active on a thread's stack",
	[KPL_E_APPLIED - KPL_E_BASE] = "patch is already applied",
	[KPL_E_NOT_APPLIED - KPL_E_BASE] = "patch is not applied",
	[KPL_E_ORDER - KPL_E_BASE] =
		"a later patch of the same function must be reverted first",
	[KPL_E_MISMATCH - KPL_E_BASE] = "target bytes differ from expected",
	[KPL_E_STATE - KPL_E_BASE] = "patch state in target is corrupt",
	[KPL_E_SIGNATURE - KPL_E_BASE] = "patch signature missing or invalid",
	[KPL_E_BACKEND - KPL_E_BASE] = "backend unavailable",
	[KPL_E_TIMEOUT - KPL_E_BASE] = "timed out waiting for the target",
	[KPL_E_UNWIND - KPL_E_BASE] =
		"patch code may throw or be unwound through",
};

KPL_API const char *kpl_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= KPL_E_BASE && err < KPL_E_MAX)
		return kpl_error_names[err - KPL_E_BASE];
	if (err == 0)
		return "success";
	return strerror(err);
}
