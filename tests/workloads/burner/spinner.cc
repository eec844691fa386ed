// SPDX-License-Identifier: GPL-2.0-only
// C++ part of the CPU burner: a member function in a namespace, so profiles must demangle
// _ZN6hpburn7Spinner4spinEi to hpburn::Spinner::spin(int).
#include "hpburn.h"

namespace hpburn
{

class Spinner
{
      public:
	explicit Spinner(unsigned long seed) : state_(seed | 1)
	{
	}
	unsigned long spin(int n);

      private:
	unsigned long state_;
};

__attribute__((noinline)) unsigned long Spinner::spin(int n)
{
	unsigned long x = state_;

	// no calls in the hot loop; the empty asm keeps the compiler from folding it
	for (int i = 0; i < n; i++) {
		x = x * 3935559000370003845UL + 2691343689449507681UL;
		__asm__ volatile("" : "+r"(x));
	}
	state_ = x;
	return x;
}

} // namespace hpburn

extern "C" __attribute__((noinline)) unsigned long hpburn_spin_chunk(int n)
{
	hpburn::Spinner s(static_cast<unsigned long>(n));

	return s.spin(n);
}
