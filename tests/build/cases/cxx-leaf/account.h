// SPDX-License-Identifier: GPL-2.0
struct Account {
	int balance;
	int fee() const;
};
