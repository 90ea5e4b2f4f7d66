// SPDX-License-Identifier: GPL-2.0
/* Counts, in cleanups, what each Guard adds when it is destroyed. */
struct Guard {
	int n;
	explicit Guard(int k) : n(k) {}
	~Guard();
};

extern int cleanups;
int work(int n);
