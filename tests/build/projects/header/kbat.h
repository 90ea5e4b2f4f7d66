/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KBAT_H
#define KBAT_H
const char *kb_probe(void);
int kb_scale(int x);
const char *kb_where(void);
#endif
