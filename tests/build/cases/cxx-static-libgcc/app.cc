// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-build fixture cxx-static-libgcc: a C++ program linked with libgcc
 * and libstdc++ inside it (-static-libgcc -static-libstdc++), so the
 * process maps no libgcc_s.so.1 to register a patch's unwind table with.
 * It answers the probe lines on stdin itself.
 */
#include <cstdio>
#include <stdexcept>

__attribute__((noinline)) int half(int v)
{
	if (v % 2)
		throw std::invalid_argument("odd");
	return v / 2;
}

int main()
{
	char line[64];

	setvbuf(stdout, nullptr, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		const char *r = "ok";

		try {
			half(3);
		} catch (const std::invalid_argument &) {
			r = "caught";
		}
		printf("half(8)=%d half(3)=%s\n", half(8), r);
	}
	return 0;
}
