#include "runtime/netdev.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xalloc.h"

static int check_ifname(const char *name, const char *path, struct berth_err *err)
{
	size_t len = strlen(name);

	/* dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or
	 * white space. */
	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strpbrk(name, "/: \t\n") != NULL)
		return berth_err_set(err, 0, "%s: \"%s\" is not a valid interface name", path, name);
	return 0;
}

int netdev_parse(json_object *linux_obj, struct spec_netdev **out, size_t *n,
		 struct berth_err *err)
{
	json_object *o;
	struct spec_netdev *v = NULL;
	size_t nv = 0;
	int r = json_get_object(linux_obj, "netDevices", "linux", &o, err);

	if (r <= 0)
		return r;
	json_object_object_foreach(o, key, val)
	{
		char path[128];
		const char *newname = NULL;

		snprintf(path, sizeof(path), "linux.netDevices.%s", key);
		if (check_ifname(key, "linux.netDevices", err) < 0 ||
		    !json_object_is_type(val, json_type_object) ||
		    json_get_string(val, "name", path, &newname, err) < 0 ||
		    (newname != NULL && check_ifname(newname, path, err) < 0)) {
			if (!json_object_is_type(val, json_type_object))
				berth_err_set(err, 0, "%s: expected an object", path);
			netdev_free(v, nv);
			return -1;
		}
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv].name = xstrdup(key);
		v[nv].new_name = newname != NULL ? xstrdup(newname) : NULL;
		nv++;
	}
	*out = v;
	*n = nv;
	return 0;
}

void netdev_free(struct spec_netdev *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].new_name);
	}
	free(v);
}

static void add_attr(struct nlmsghdr *nh, size_t cap, unsigned short type, const void *data,
		     size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	if (NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len) > cap)
		abort(); /* the request buffer is sized for what we add */
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = (uint32_t)(NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len));
}

static int move_one(int sock, const struct spec_netdev *d, pid_t pid, struct berth_err *err)
{
	union {
		struct nlmsghdr nh;
		char buf[512];
	} req = { 0 }, ack;
	struct ifinfomsg *ifi;
	unsigned idx = if_nametoindex(d->name);
	uint32_t npid = (uint32_t)pid;
	ssize_t n;

	if (idx == 0)
		return berth_err_set(err, errno, "linux.netDevices: %s", d->name);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	ifi = NLMSG_DATA(&req.nh);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	add_attr(&req.nh, sizeof(req), IFLA_NET_NS_PID, &npid, sizeof(npid));
	/* Renamed as it arrives, so it never clashes with a name there. */
	if (d->new_name != NULL)
		add_attr(&req.nh, sizeof(req), IFLA_IFNAME, d->new_name, strlen(d->new_name) + 1);
	if (send(sock, &req, req.nh.nlmsg_len, 0) < 0)
		return berth_err_set(err, errno, "linux.netDevices: send for %s", d->name);
	n = recv(sock, &ack, sizeof(ack), 0);
	if (n < 0)
		return berth_err_set(err, errno, "linux.netDevices: receive for %s", d->name);
	if ((size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) && ack.nh.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&ack.nh);
		if (e->error != 0)
			return berth_err_set(err, -e->error, "linux.netDevices: move %s%s%s",
					     d->name, d->new_name ? " as " : "",
					     d->new_name ? d->new_name : "");
	}
	return 0;
}

int netdev_move_all(const struct spec_netdev *v, size_t n, pid_t pid, struct berth_err *err)
{
	autoclose int sock = -1;

	if (n == 0)
		return 0;
	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		return berth_err_set(err, errno, "linux.netDevices: netlink socket");
	for (size_t i = 0; i < n; i++)
		if (move_one(sock, &v[i], pid, err) < 0)
			return -1;
	return 0;
}
