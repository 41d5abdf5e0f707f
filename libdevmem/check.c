// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Consistency check of a claimed region (devmem_region_check()): the state
 * of each metadata slot, slots at different generations, the layout
 * engine's check of the newest layout, one finding per bad entry, and the
 * namespaces the module maps on this boot against the layout's entries.
 * With DEVMEM_CHECK_REPAIR the one safe repair is made: a slot that is not
 * a valid copy of the newest generation (stale, torn, blank, foreign) is
 * rewritten, through the update protocol (devmem_meta_update()), from the
 * newest valid copy. Nothing else is ever written; no entry is invented or
 * dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

struct devmem_finding {
	struct devmem_finding *next;
	enum devmem_finding_severity severity;
	const char *code;
	int slot;  /* -1: not about one slot */
	int index; /* -1: not about one namespace entry */
	bool repairable;
	size_t note; /* where "; repairable from ..." starts in @msg */
	char msg[512];
};

struct check {
	struct devmem_region *r;
	struct devmem_finding *head, **tail;
	int nomem;
	const struct devmem_area *area; /* the metadata as read */
	const unsigned char *buf;	/* its slots (devmem_area_slots()) */
	struct devmem_meta *meta;	/* the area classified, once */
	bool anchor_bad;		/* a 2.x anchor with no valid copy */
	int anchor_err[2];		/* per copy, under a valid anchor */
	struct dm_layout *slot[DM_NR_SLOTS];
	int slot_rc[DM_NR_SLOTS];
	char why[DM_NR_SLOTS][256];
	int newest;	    /* slot of the newest valid copy, -1: none */
	bool can_repair;    /* the newest copy may be rewritten by us */
	char norepair[160]; /* why not, when a slot would need it */
};

static struct devmem_finding *
add(struct check *c, enum devmem_finding_severity sev, const char *code,
    int slot, int index, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct devmem_finding *add(struct check *c,
				  enum devmem_finding_severity sev,
				  const char *code, int slot, int index,
				  const char *fmt, ...)
{
	struct devmem_finding *f = calloc(1, sizeof(*f));
	va_list ap;

	if (!f) {
		c->nomem = 1;
		return NULL;
	}
	f->severity = sev;
	f->code = code;
	f->slot = slot;
	f->index = index;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	*c->tail = f;
	c->tail = &f->next;
	return f;
}

static void append(struct devmem_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append(struct devmem_finding *f, const char *fmt, ...)
{
	size_t len = strlen(f->msg);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->msg + len, sizeof(f->msg) - len, fmt, ap);
	va_end(ap);
}

static unsigned int nr_entries(const struct dm_layout *l)
{
	unsigned int i, n = 0;

	for (i = 0; i < DM_NS_MAX; i++)
		if (l->ns[i].flags & DM_NS_FLAG_VALID)
			n++;
	return n;
}

/*
 * A copy (slot or anchor copy) that the update protocol rewrites from the
 * newest valid slot: repairable when there is one and this library may
 * write it; @from says from what.
 */
static void repairable(struct check *c, struct devmem_finding *f,
		       const char *from)
{
	if (!f || c->newest < 0)
		return;
	if (!c->can_repair) {
		append(f, "; not repairable: %s", c->norepair);
		return;
	}
	f->repairable = true;
	f->note = strlen(f->msg);
	append(f, "; repairable from %s", from);
}

/* A slot that is not a copy of the newest generation. */
static void bad_slot(struct check *c, unsigned int k, const char *code,
		     const char *what)
{
	char from[64] = "";

	if (c->newest >= 0)
		snprintf(from, sizeof(from), "slot %d (generation %llu)",
			 c->newest,
			 (unsigned long long)c->slot[c->newest]->seq);
	repairable(c,
		   add(c, DEVMEM_FINDING_ERROR, code, (int)k, -1, "slot %u: %s",
		       k, what),
		   from);
}

static void check_slots(struct check *c)
{
	unsigned int k, blank = 0;

	c->newest = -1;
	for (k = 0; k < DM_NR_SLOTS; k++) {
		c->slot_rc[k] = dm_slot_decode(
			c->buf + (size_t)k * DM_SLOT_SIZE, c->slot[k],
			c->why[k], sizeof(c->why[k]));
		if (c->slot_rc[k] == 0 &&
		    (c->newest < 0 ||
		     c->slot[k]->seq > c->slot[c->newest]->seq))
			c->newest = (int)k;
	}
	if (c->newest >= 0) {
		const struct dm_layout *l = c->slot[c->newest];

		c->can_repair = true;
		/* an older minor's fields are all known: it is rewritten */
		if (l->major == DM_FMT_MAJOR && l->minor > DM_FMT_MINOR) {
			c->can_repair = false;
			snprintf(c->norepair, sizeof(c->norepair),
				 "the layout is version %u.%u, this library "
				 "writes %u.%u and would drop what it does not "
				 "know",
				 l->major, l->minor, DM_FMT_MAJOR,
				 DM_FMT_MINOR);
		}
	}
	for (k = 0; k < DM_NR_SLOTS; k++) {
		const struct dm_layout *l = c->slot[k];
		const unsigned char *s = c->buf + (size_t)k * DM_SLOT_SIZE;

		switch (c->slot_rc[k]) {
		case 0:
			if ((int)k == c->newest) {
				add(c, DEVMEM_FINDING_INFO, "slot-valid",
				    (int)k, -1,
				    "slot %u: valid, generation %llu, layout "
				    "version %u.%u, %u namespace%s",
				    k, (unsigned long long)l->seq, l->major,
				    l->minor, nr_entries(l),
				    nr_entries(l) == 1 ? "" : "s");
				break;
			}
			if (l->seq < c->slot[c->newest]->seq) {
				char what[160];

				snprintf(what, sizeof(what),
					 "generation %llu is older than slot "
					 "%d's generation %llu (an update did "
					 "not complete)",
					 (unsigned long long)l->seq, c->newest,
					 (unsigned long long)c->slot[c->newest]
						 ->seq);
				bad_slot(c, k, "slot-stale", what);
				break;
			}
			/* the same generation as the newest copy */
			if (memcmp(s, c->buf + (size_t)c->newest * DM_SLOT_SIZE,
				   DM_SLOT_SIZE) != 0)
				add(c, DEVMEM_FINDING_ERROR, "slot-differs",
				    (int)k, -1,
				    "slot %u: holds generation %llu like slot "
				    "%d, but with different contents; not "
				    "repairable: which copy is right is not "
				    "known",
				    k, (unsigned long long)l->seq, c->newest);
			else
				add(c, DEVMEM_FINDING_INFO, "slot-valid",
				    (int)k, -1,
				    "slot %u: valid, generation %llu, the same "
				    "as slot %d",
				    k, (unsigned long long)l->seq, c->newest);
			break;
		case -ENODATA:
			blank++;
			if (c->newest >= 0)
				bad_slot(c, k, "slot-blank",
					 "blank (all zero)");
			break;
		case -ENOENT:
			bad_slot(c, k, "slot-foreign",
				 "no devmem magic (foreign data)");
			break;
		case -EPROTONOSUPPORT:
			add(c, DEVMEM_FINDING_ERROR, "slot-unsupported", (int)k,
			    -1,
			    "slot %u: %s; not repairable: a newer devmem "
			    "wrote it",
			    k, c->why[k]);
			break;
		case -EBADMSG:
			bad_slot(c, k, "slot-checksum", c->why[k]);
			break;
		default:
			bad_slot(c, k, "slot-invalid", c->why[k]);
			break;
		}
	}
	if (blank == DM_NR_SLOTS)
		add(c, DEVMEM_FINDING_ERROR, "meta-blank", -1, -1,
		    "the metadata area is blank: claimed, but no devmem layout "
		    "was ever written; not repairable ('devmemctl release' "
		    "gives the region back)");
	else if (c->newest < 0)
		add(c, DEVMEM_FINDING_ERROR, "meta-corrupt", -1, -1,
		    "no valid metadata copy: the layout cannot be read; not "
		    "repairable");
}

/*
 * The 2.x anchor: a damaged copy (the other one valid) is rewritten with
 * the next update, so it is repairable as a slot is; an anchor with no
 * valid copy leaves the slots unknown.
 */
static void check_anchor(struct check *c)
{
	const struct dm_meta_report *rep = &c->meta->rep;

	if (!rep->anchored) {
		for (unsigned int k = 0; k < 2; k++) {
			int e = rep->anchor_err[k];

			if (c->meta->state != DM_META_BLANK &&
			    (e == -EBADMSG || e == -ERANGE ||
			     e == -EPROTONOSUPPORT))
				c->anchor_bad = true;
		}
		if (c->anchor_bad)
			add(c, DEVMEM_FINDING_ERROR, "anchor-corrupt", -1, -1,
			    "%s; not repairable: where the slots are is not "
			    "known",
			    rep->why);
		return;
	}
	c->anchor_err[0] = rep->anchor_err[0];
	c->anchor_err[1] = rep->anchor_err[1];
}

/* After check_slots(): a damaged anchor copy, repairable with the slots. */
static void check_anchor_copies(struct check *c)
{
	unsigned int k;

	for (k = 0; k < 2; k++) {
		char why[96];

		if (!c->anchor_err[k])
			continue;
		dm_anchor_decode(c->area->head + (size_t)k * DM_ANCHOR_COPY,
				 NULL, why, sizeof(why));
		repairable(c,
			   add(c, DEVMEM_FINDING_ERROR, "anchor-copy", -1, -1,
			       "anchor copy %u: %s", k, why),
			   k ? "anchor copy 0" : "anchor copy 1");
	}
}

/* dm_layout_check() names the entry first: "namespace 3: ..." */
static int finding_index(const char *why)
{
	unsigned int i;

	if (sscanf(why, "namespace %u:", &i) == 1 && i < DM_NS_MAX)
		return (int)i;
	return -1;
}

/*
 * Every finding of the layout engine's check, not only the first: each
 * entry alone first (bounds, pads, names), then the entries that pass,
 * together (duplicates, overlaps), dropping the one named each time.
 */
static int check_layout(struct check *c, const struct dm_layout *l)
{
	struct dm_layout *t;
	bool bad[DM_NS_MAX] = {false};
	char why[256];
	unsigned int i, rounds;

	/* as assemble does (devmem_meta_check): the region as it is now */
	if (l->region_size != c->r->size)
		add(c, DEVMEM_FINDING_INFO, "region-size", -1, -1,
		    "the layout was written for %llu bytes; the region has "
		    "%llu now, and the namespaces are checked against that",
		    (unsigned long long)l->region_size,
		    (unsigned long long)c->r->size);
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = *l;
	t->region_size = c->r->size;
	memset(t->ns, 0, sizeof(t->ns));
	if (dm_layout_check(t, why, sizeof(why)) < 0) {
		add(c, DEVMEM_FINDING_ERROR, "layout", -1, -1, "layout: %s",
		    why);
		free(t);
		return 0;
	}
	for (i = 0; i < DM_NS_MAX; i++) {
		if (!(l->ns[i].flags & DM_NS_FLAG_VALID))
			continue;
		t->ns[i] = l->ns[i];
		if (dm_layout_check(t, why, sizeof(why)) < 0) {
			bad[i] = true;
			add(c, DEVMEM_FINDING_ERROR, "layout", -1, (int)i,
			    "layout: %s", why);
		}
		memset(&t->ns[i], 0, sizeof(t->ns[i]));
	}
	for (i = 0; i < DM_NS_MAX; i++)
		if ((l->ns[i].flags & DM_NS_FLAG_VALID) && !bad[i])
			t->ns[i] = l->ns[i];
	for (rounds = 0; rounds < DM_NS_MAX; rounds++) {
		int idx;

		if (dm_layout_check(t, why, sizeof(why)) == 0)
			break;
		idx = finding_index(why);
		add(c, DEVMEM_FINDING_ERROR, "layout", -1, idx, "layout: %s",
		    why);
		if (idx < 0 || !(t->ns[idx].flags & DM_NS_FLAG_VALID))
			break;
		memset(&t->ns[idx], 0, sizeof(t->ns[idx]));
	}
	free(t);
	return 0;
}

/* Names and UUIDs must be unique across claimed regions too. */
static void check_others(struct check *c, const struct dm_layout *l)
{
	const struct devmem_region *o;
	char u1[37];

	for (o = c->r->ctx->regions; o; o = o->next) {
		const struct dm_layout *ol = o->layout;

		if (o == c->r || !o->claimed ||
		    o->meta_state != DM_META_VALID || !ol)
			continue;
		if (!memcmp(l->region_uuid, ol->region_uuid, 16))
			add(c, DEVMEM_FINDING_ERROR, "region-duplicate", -1, -1,
			    "the layout's region UUID %s is also %s's (a "
			    "copy of another region's metadata?)",
			    devmem_uuid_str(l->region_uuid, u1), o->devname);
		for (unsigned int i = 0; i < DM_NS_MAX; i++) {
			const struct dm_ns *a = &l->ns[i];
			bool name = false, uu = false;

			if (!(a->flags & DM_NS_FLAG_VALID))
				continue;
			for (unsigned int j = 0; j < DM_NS_MAX; j++) {
				const struct dm_ns *b = &ol->ns[j];

				if (!(b->flags & DM_NS_FLAG_VALID))
					continue;
				if (!name && !strcmp(a->name, b->name)) {
					name = true;
					add(c, DEVMEM_FINDING_ERROR,
					    "ns-duplicate", -1, (int)i,
					    "namespace %u: name \"%s\" is "
					    "also used by namespace %u of %s",
					    i, a->name, j, o->devname);
				}
				if (!uu && !memcmp(a->uuid, b->uuid, 16)) {
					uu = true;
					add(c, DEVMEM_FINDING_ERROR,
					    "ns-duplicate", -1, (int)i,
					    "namespace %u (\"%s\"): UUID %s is "
					    "also used by namespace %u "
					    "(\"%s\") "
					    "of %s",
					    i, a->name,
					    devmem_uuid_str(a->uuid, u1), j,
					    b->name, o->devname);
				}
			}
		}
	}
}

/* What the module maps on this boot against the layout's entries. */
static int check_kernel(struct check *c, const struct dm_layout *l)
{
	struct devmem_region *r = c->r;
	struct devmem_ns_arg arg;
	unsigned int i, max = DM_NS_MAX;

	if (r->ctx->ver.max_namespaces < max)
		max = (unsigned int)r->ctx->ver.max_namespaces;
	for (i = 0; i < max; i++) {
		const struct dm_ns *e = l ? &l->ns[i] : NULL;
		bool entry = e && (e->flags & DM_NS_FLAG_VALID);
		bool mapped;
		int rc;

		rc = devmem_kern_ns_info(r->ctx, r->id, i, &arg);
		if (rc < 0 && rc != -ENOENT) {
			err(r->ctx,
			    "%s: namespace index %u: DEVMEM_IOC_NS_INFO "
			    "failed: %s\n",
			    r->devname, i, strerror(-rc));
			return rc;
		}
		mapped = rc == 0 && arg.mapped;
		if (entry && !mapped) {
			add(c, DEVMEM_FINDING_ERROR, "ns-inactive", -1, (int)i,
			    "namespace %u (\"%s\"): in the layout but not "
			    "mapped on this boot; 'devmemctl assemble' tries "
			    "again and says why",
			    i, e->name);
		} else if (!entry && mapped) {
			add(c, DEVMEM_FINDING_ERROR, "ns-unknown", -1, (int)i,
			    "namespace %u: mapped by the kernel as "
			    "/dev/dax%llu.%llu (data at offset 0x%llx, %llu "
			    "bytes) but the layout has no entry %u",
			    i, (unsigned long long)arg.dax_region,
			    (unsigned long long)arg.dax_id,
			    (unsigned long long)arg.offset,
			    (unsigned long long)arg.size, i);
		} else if (entry && mapped &&
			   (arg.resv_offset != e->resv_offset ||
			    arg.offset != e->offset || arg.size != e->size ||
			    arg.map != e->map)) {
			add(c, DEVMEM_FINDING_ERROR, "ns-mismatch", -1, (int)i,
			    "namespace %u (\"%s\"): mapped with reservation "
			    "at 0x%llx, data at offset 0x%llx, %llu bytes, map "
			    "%llu, but the layout says 0x%llx, 0x%llx, %llu "
			    "bytes, map %u",
			    i, e->name, (unsigned long long)arg.resv_offset,
			    (unsigned long long)arg.offset,
			    (unsigned long long)arg.size,
			    (unsigned long long)arg.map,
			    (unsigned long long)e->resv_offset,
			    (unsigned long long)e->offset,
			    (unsigned long long)e->size, e->map);
		}
	}
	return 0;
}

/*
 * Rewrite both slots from the newest valid copy (update protocol), with
 * the area as the check read it as the state before.
 */
static int repair(struct check *c)
{
	struct devmem_region *r = c->r;
	struct devmem_finding *f;
	struct devmem_meta *m = c->meta;
	int rc;

	if (m->state != DM_META_VALID ||
	    m->layout.seq != c->slot[c->newest]->seq) {
		err(r->ctx,
		    "%s: the metadata does not inspect as generation %llu; "
		    "not repaired\n",
		    r->devname, (unsigned long long)c->slot[c->newest]->seq);
		return -EIO;
	}
	rc = devmem_meta_update(r, m, c->slot[c->newest]);
	if (rc == 0) {
		bool anchor = c->anchor_err[0] || c->anchor_err[1];

		info(r->ctx, "%s: rewrote both slots as generation %llu%s\n",
		     r->devname, (unsigned long long)m->layout.seq,
		     anchor ? ", then the anchor" : "");
		for (f = c->head; f; f = f->next) {
			if (!f->repairable)
				continue;
			f->severity = DEVMEM_FINDING_REPAIRED;
			f->msg[f->note] = '\0';
			if (f->slot < 0) /* an anchor copy */
				append(f,
				       "; rewritten: both anchor copies name "
				       "the slots, which hold generation %llu",
				       (unsigned long long)m->layout.seq);
			else
				append(f,
				       "; rewritten from slot %d (generation "
				       "%llu): both slots now hold generation "
				       "%llu",
				       c->newest,
				       (unsigned long long)c->slot[c->newest]
					       ->seq,
				       (unsigned long long)m->layout.seq);
		}
		devmem_region_set_layout(r, m);
	}
	return rc;
}

static bool any_repairable(const struct check *c)
{
	const struct devmem_finding *f;

	for (f = c->head; f; f = f->next)
		if (f->repairable)
			return true;
	return false;
}

static void findings_free(struct devmem_finding *f)
{
	while (f) {
		struct devmem_finding *next = f->next;

		free(f);
		f = next;
	}
}

/* A region claimed only for the check: is there devmem metadata at all? */
static int check_is_devmem(struct check *c)
{
	struct devmem_region *r = c->r;
	const struct dm_meta_report *rep = &c->meta->rep;

	switch (c->meta->state) {
	case DM_META_BLANK:
		err(r->ctx,
		    "%s: holds no devmem metadata (the metadata area is "
		    "blank%s%s)\n",
		    r->devname, rep->why[0] ? ": " : "", rep->why);
		return -ENODATA;
	case DM_META_FOREIGN:
		err(r->ctx, "%s: holds no devmem metadata: %s\n", r->devname,
		    rep->why);
		return -EMEDIUMTYPE;
	default:
		add(c, DEVMEM_FINDING_INFO, "not-claimed", -1, -1,
		    "not claimed: checked through a temporary claim, given "
		    "back after the check; its namespaces are not mapped");
		return 0;
	}
}

static int check_locked(struct check *c, unsigned int flags)
{
	struct devmem_region *r = c->r;
	bool tmp = false, was_enabled = false;
	struct devmem_area area = {0};
	int rc;

	rc = devmem_region_refresh(r);
	if (rc < 0)
		return rc;
	if (!r->claimed) {
		/* as assemble does: claim it to read it, then give it back */
		rc = devmem_region_claim_tmp(r, &was_enabled, false);
		if (rc < 0)
			return rc;
		tmp = true;
	}
	rc = devmem_area_read(r, &area);
	if (rc < 0)
		goto out;
	c->area = &area;
	c->buf = devmem_area_slots(&area);
	c->meta = devmem_meta_new(r->ctx);
	if (!c->meta) {
		rc = -ENOMEM;
		goto out;
	}
	c->meta->state = dm_area_inspect(area.head, DM_HEAD_SIZE, area.slots,
					 &c->meta->layout, &c->meta->rep);
	if (tmp) {
		rc = check_is_devmem(c);
		if (rc < 0)
			goto out;
	}
	check_anchor(c);
	c->newest = -1;
	if (!c->anchor_bad) {
		check_slots(c);
		check_anchor_copies(c);
	}
	if (c->newest >= 0)
		rc = check_layout(c, c->slot[c->newest]);
	if (rc == 0 && c->newest >= 0)
		check_others(c, c->slot[c->newest]);
	if (rc == 0 && !tmp)
		rc = check_kernel(c,
				  c->newest >= 0 ? c->slot[c->newest] : NULL);
	if (rc == 0 && c->nomem)
		rc = -ENOMEM;
	if (rc == 0 && (flags & DEVMEM_CHECK_REPAIR) && any_repairable(c))
		rc = repair(c);
out:
	c->buf = NULL;
	c->area = NULL;
	free(c->meta);
	c->meta = NULL;
	devmem_area_free(&area);
	if (tmp)
		devmem_region_unclaim_tmp(r, was_enabled);
	return rc;
}

/**
 * devmem_region_check - check a claimed region's metadata and mappings
 * @region: a region the devmem module holds
 * @flags: 0, or DEVMEM_CHECK_REPAIR
 * @fn: called once per finding, in order; may be NULL
 * @userdata: passed to @fn
 *
 * Reads the metadata area under the update lock and reports, through @fn:
 * the state of each slot (DEVMEM_FINDING_INFO when valid), a slot that is
 * blank, foreign, torn (checksum), out of range, of an unsupported
 * version, or an older generation than the other; every finding of the
 * layout engine's check of the newest layout, one per entry; names, UUIDs
 * and the region UUID also used by another claimed region; entries not
 * mapped on this boot, mappings with no entry, and mappings that differ
 * from their entry. Nothing is written unless DEVMEM_CHECK_REPAIR is set;
 * then the slots that are repairable (devmem_finding_is_repairable()) are
 * rewritten from the newest valid copy, as a new generation, through the
 * update protocol, and their findings come back as
 * DEVMEM_FINDING_REPAIRED. The finding objects are only valid during @fn.
 *
 * A region the module does not hold (assemble refused it, or was not run)
 * is claimed for the check, as assemble does to read it, and given back
 * afterwards; its namespaces are not mapped, so the mapping checks are
 * skipped (a "not-claimed" info finding says so).
 *
 * Returns the number of DEVMEM_FINDING_ERROR findings (0: consistent), or
 * a negative errno: -ENODATA / -EMEDIUMTYPE when a region that was not
 * claimed holds no devmem metadata (blank / foreign), -EBUSY when it holds
 * stock namespaces or cannot be disabled, -ENODEV when the module is not
 * loaded, or the error of a failed read or repair (the findings made
 * before it are still reported).
 */
int devmem_region_check(struct devmem_region *region, unsigned int flags,
			devmem_check_fn fn, void *userdata)
{
	struct check c = {0};
	struct devmem_finding *f;
	unsigned int k;
	int rc, nerr = 0;

	if (!region)
		return -EINVAL;
	if (flags & ~DEVMEM_CHECK_REPAIR) {
		err(region->ctx, "%s: unknown check flags %#x\n",
		    region->devname, flags);
		return -EINVAL;
	}
	rc = devmem_ctl_fd(region->ctx);
	if (rc < 0) {
		if (rc == -ENODEV)
			err(region->ctx,
			    "%s: cannot check it: the devmem module is not "
			    "loaded (%s is missing)\n",
			    region->devname, DEVMEM_CTL_PATH);
		return rc;
	}
	c.r = region;
	c.tail = &c.head;
	for (k = 0; k < DM_NR_SLOTS; k++) {
		c.slot[k] = malloc(sizeof(*c.slot[k]));
		if (!c.slot[k]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = devmem_lock(region->ctx);
	if (rc < 0)
		goto out;
	rc = check_locked(&c, flags);
	devmem_unlock(region->ctx);
	for (f = c.head; f; f = f->next) {
		if (f->severity == DEVMEM_FINDING_ERROR)
			nerr++;
		if (fn)
			fn(region, f, userdata);
	}
	if (rc == 0)
		rc = nerr;
out:
	findings_free(c.head);
	for (k = 0; k < DM_NR_SLOTS; k++)
		free(c.slot[k]);
	return rc;
}

/**
 * devmem_finding_get_severity - info, error, or repaired
 * @f: a finding passed to the devmem_region_check() callback
 */
enum devmem_finding_severity
devmem_finding_get_severity(const struct devmem_finding *f)
{
	return f ? f->severity : DEVMEM_FINDING_ERROR;
}

/**
 * devmem_finding_get_code - a stable keyword for the kind of finding
 * @f: finding
 *
 * "slot-valid", "slot-stale", "slot-differs", "slot-blank",
 * "slot-foreign", "slot-unsupported", "slot-checksum", "slot-invalid",
 * "anchor-copy", "anchor-corrupt",
 * "meta-blank", "meta-corrupt", "region-size", "layout", "ns-inactive",
 * "ns-unknown", "ns-mismatch", "ns-duplicate", "region-duplicate",
 * "not-claimed" (info).
 */
const char *devmem_finding_get_code(const struct devmem_finding *f)
{
	return f ? f->code : NULL;
}

/**
 * devmem_finding_get_slot - the metadata slot a finding is about
 * @f: finding
 *
 * Returns 0 or 1, or -1 when the finding is not about one slot.
 */
int devmem_finding_get_slot(const struct devmem_finding *f)
{
	return f ? f->slot : -1;
}

/**
 * devmem_finding_get_index - the namespace table entry a finding is about
 * @f: finding
 *
 * Returns the entry index (the M of /dev/daxN.M), or -1.
 */
int devmem_finding_get_index(const struct devmem_finding *f)
{
	return f ? f->index : -1;
}

/**
 * devmem_finding_is_repairable - whether DEVMEM_CHECK_REPAIR fixes it
 * @f: finding
 *
 * Returns 1 for a repairable error and for a repaired finding, else 0.
 */
int devmem_finding_is_repairable(const struct devmem_finding *f)
{
	return f && f->repairable;
}

/**
 * devmem_finding_get_message - the finding as one sentence
 * @f: finding
 *
 * Names the slot or entry and the offending value, without the region's
 * name and without a newline.
 */
const char *devmem_finding_get_message(const struct devmem_finding *f)
{
	return f ? f->msg : NULL;
}
