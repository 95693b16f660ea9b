/* protocols.c: the only file that lists every protocol family usock serves. */
#include <stddef.h>
#include <sys/socket.h>

#include "../sock/family.h"

extern const struct proto_family unix_family;

const struct proto_family *const usock_families[] = {
        &unix_family,
        NULL,
};

const struct proto_family *family_find(int family)
{
	for (size_t i = 0; usock_families[i]; i++)
		if (usock_families[i]->family == family)
			return usock_families[i];
	return NULL;
}
