// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON for devmemctl: one *_to_json() per object type. Sizes are numbers,
 * or under CLI_JSON_HUMAN strings as ndctl -u prints them (from 5000 KiB). What
 * is unknown is left out, never printed as null or 0. The shapes are documented
 * in docs/man/devmemctl-list.md and are kept stable.
 */
#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "devmemctl.h"

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v)
		json_object_object_add(o, key, v);
}

static struct json_object *size_json(unsigned long long v, unsigned int flags)
{
	char buf[64];

	if ((flags & CLI_JSON_HUMAN) && cli_size_str(v, buf, sizeof(buf)))
		return json_object_new_string(buf);
	return json_object_new_uint64(v);
}

static struct json_object *uuid_json(const unsigned char uu[16])
{
	char buf[37];

	uuid_unparse_lower(uu, buf);
	return json_object_new_string(buf);
}

/*
 * {"name","uuid","region","mode","size","align","align_effective"
 * (active only),"map","chardev" (devdax) or "blockdev" (fsdax) (active
 * only),"state","offset"}
 */
struct json_object *cli_namespace_to_json(struct devmem_namespace *ns,
					  unsigned int flags)
{
	struct devmem_region *r = devmem_namespace_get_region(ns);
	int active = devmem_namespace_is_active(ns);
	struct json_object *o = json_object_new_object();
	unsigned char uu[16];

	if (!o)
		return NULL;
	devmem_namespace_get_uuid(ns, uu);
	add(o, "name", json_object_new_string(devmem_namespace_get_name(ns)));
	add(o, "uuid", uuid_json(uu));
	add(o, "region", json_object_new_string(devmem_region_get_devname(r)));
	add(o, "mode",
	    json_object_new_string(devmem_namespace_get_mode(ns) ==
						   DEVMEM_NS_MODE_FSDAX
					   ? "fsdax"
					   : "devdax"));
	add(o, "size", size_json(devmem_namespace_get_size(ns), flags));
	add(o, "align", json_object_new_uint64(devmem_namespace_get_align(ns)));
	if (active)
		add(o, "align_effective",
		    json_object_new_uint64(
			    devmem_namespace_get_align_effective(ns)));
	add(o, "map",
	    json_object_new_string(
		    devmem_namespace_get_map(ns) == DEVMEM_NS_MAP_MEM ? "mem"
								      : "dev"));
	if (devmem_namespace_get_chardev(ns))
		add(o, "chardev",
		    json_object_new_string(devmem_namespace_get_chardev(ns)));
	if (devmem_namespace_get_blockdev(ns))
		add(o, "blockdev",
		    json_object_new_string(devmem_namespace_get_blockdev(ns)));
	add(o, "state", json_object_new_string(active ? "active" : "inactive"));
	add(o, "offset",
	    json_object_new_uint64(devmem_namespace_get_offset(ns)));
	return o;
}

/*
 * {"dev","size","claimed","uuid" and "layout_version" (valid layout only),
 * "namespaces" (count,
 * valid layout only),"available_size" (valid layout only: align 4K, map
 * mem),"namespace_list" (CLI_JSON_NAMESPACES and valid layout only)}
 */
struct json_object *cli_region_to_json(struct devmem_region *r,
				       unsigned int flags)
{
	struct json_object *o = json_object_new_object(), *list;
	struct devmem_namespace *ns;
	unsigned char uu[16];
	int n;

	if (!o)
		return NULL;
	add(o, "dev", json_object_new_string(devmem_region_get_devname(r)));
	add(o, "size", size_json(devmem_region_get_size(r), flags));
	add(o, "claimed", json_object_new_boolean(devmem_region_is_claimed(r)));
	if (devmem_region_get_uuid(r, uu) == 0)
		add(o, "uuid", uuid_json(uu));
	n = devmem_region_get_layout_version(r);
	if (n >= 0) {
		char v[24];

		snprintf(v, sizeof(v), "%d.%d", n >> 16, n & 0xffff);
		add(o, "layout_version", json_object_new_string(v));
	}
	n = devmem_region_get_nr_namespaces(r);
	if (n < 0)
		return o;
	add(o, "namespaces", json_object_new_int(n));
	add(o, "available_size",
	    size_json(devmem_region_get_available_size(r, 4096,
						       DEVMEM_NS_MAP_MEM),
		      flags));
	if (!(flags & CLI_JSON_NAMESPACES))
		return o;
	list = json_object_new_array();
	devmem_namespace_foreach (r, ns) {
		json_object_array_add(list, cli_namespace_to_json(ns, flags));
	}
	add(o, "namespace_list", list);
	return o;
}

/* Pretty JSON and a newline on stdout; an empty array is "[]". */
void cli_print_json(struct json_object *obj)
{
	if (json_object_is_type(obj, json_type_array) &&
	    json_object_array_length(obj) == 0) {
		puts("[]");
		return;
	}
	puts(json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}
