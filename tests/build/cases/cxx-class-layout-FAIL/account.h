// SPDX-License-Identifier: GPL-2.0
namespace bank {
class Account {
public:
	int balance;
	int fee() const;
};
} // namespace bank
