// SPDX-License-Identifier: GPL-2.0
struct Shape {
	virtual ~Shape() {}
	virtual int area() const = 0;
};

struct Rect : Shape {
	int w, h;
	Rect(int a, int b) : w(a), h(b) {}
	int area() const override;
};

int checked_mul(int a, int b);
Shape *make_rect(int w, int h);
