/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The escaper is public API now, <kpl/escape.h>.  This name stays for
 * libkpl's own files (those written before the move include it); it
 * only forwards there.  kpld and kpl cannot see it.
 */
#ifndef KPL_LIB_ESCAPE_H
#define KPL_LIB_ESCAPE_H

#include "kpl/escape.h"

#endif
