/* unit.h: the one assertion unit tests beside the code use. A failed EXPECT prints where
 * and exits non-zero, which fails the ctest. */
#ifndef USOCK_UNIT_H
#define USOCK_UNIT_H

#include <stdio.h>
#include <stdlib.h>

#define EXPECT(c)                                                                                  \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: EXPECT(%s) failed\n", __FILE__, __LINE__, #c);     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#endif
