/* family.h: what a protocol family gives the socket layer. Families are listed in one
 * table, stack/protocols.c; the socket layer finds them there by number. */
#ifndef USOCK_SOCK_FAMILY_H
#define USOCK_SOCK_FAMILY_H

#include "sock.h"

struct proto_family {
	int family;     /* AF_* */
	unsigned mask;  /* enum usock_family_mask bit */
	int stat_index; /* index into stack.nsock[] */
	/* Makes a socket; *@out gets one reference. -ESOCKTNOSUPPORT, -EPROTONOSUPPORT... */
	int (*create)(struct stack *st, int type, int protocol, struct sock **out);
	int (*net_init)(struct stack *st); /* per-stack state into st->fam_state[family] */
	void (*net_exit)(struct stack *st);
};

/* stack/protocols.c */
const struct proto_family *family_find(int family);
extern const struct proto_family *const usock_families[];

#endif
