/* SPDX-License-Identifier: GPL-2.0 */
#ifndef POINT_H
#define POINT_H
struct point {
	int x;
	int y;
};
#endif
