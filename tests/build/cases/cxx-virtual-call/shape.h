// SPDX-License-Identifier: GPL-2.0
struct Shape {
	virtual ~Shape() {}
	virtual int area() const = 0;
};

struct Square : Shape {
	int side;
	explicit Square(int s) : side(s) {}
	int area() const override;
};

int total(const Shape *const *v, int n);
