// SPDX-License-Identifier: GPL-2.0
template <typename T> struct Box {
	T v;
	__attribute__((noipa)) T get() const;
};

template <typename T> T Box<T>::get() const
{
	return v + 1;
}

int unbox(const Box<int> &b);
