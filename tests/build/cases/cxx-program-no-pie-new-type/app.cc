// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cxx-program-no-pie-new-type: a C++ function in a
 * non-PIE executable whose fix throws std::out_of_range, which the
 * program catches but never throws: it never takes the address of its
 * destructor, so has no canonical PLT entry for it that a 32-bit
 * absolute reference could reach.  It answers the probe lines on stdin
 * itself.
 */
#include <cstdio>
#include <stdexcept>
#include <string>

__attribute__((noinline)) int half(int v)
{
	if (v % 2)
		throw std::invalid_argument("odd");
	return v / 2;
}

// r: "=N", or the message of what half() threw
static std::string try_half(int v)
{
	try {
		return "=" + std::to_string(half(v));
	} catch (const std::invalid_argument &e) {
		return std::string(" invalid ") + e.what();
	} catch (const std::out_of_range &e) {
		return std::string(" out of range ") + e.what();
	}
}

int main()
{
	char line[64];

	setvbuf(stdout, nullptr, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q')
		printf("half(8)%s half(3)%s half(200)%s\n",
		       try_half(8).c_str(), try_half(3).c_str(),
		       try_half(200).c_str());
	return 0;
}
