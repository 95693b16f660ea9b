/* lrel.c: the anchor of lrel.h's relative pointers. */
#include "lrel.h"

const char lrel_anchor[1] = {0};
