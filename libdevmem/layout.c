// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The layout engine: where namespaces go inside a region so that every
 * namespace maps for every 4 KiB-aligned physical base of the region.
 * See docs/format.md, "Placement", for the argument.
 *
 * A namespace reserves [resv_offset, offset + size); [resv_offset, offset)
 * is its front pad. At physical base B the module maps
 * P = [ALIGN_UP(B + resv_offset, 2M), ALIGN_UP(B + offset + size, 2M)).
 * Reservations are disjoint and ordered and both ends of P round up, so the
 * P's never overlap; the front pad (>= DM_GUARD) keeps the data inside P;
 * the tail guard keeps P inside the region; for map=dev the front pad also
 * holds the memmap of every whole 128 MiB section P can contain.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

#define ALIGN_UP(x, a)	 (((x) + (a)-1) / (a) * (a))
#define ALIGN_DOWN(x, a) ((x) / (a) * (a))

/* Larger sizes are refused: the pad arithmetic stays far from overflow. */
#define DM_SIZE_LIMIT (1ull << 62)

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *map_name(uint32_t map)
{
	return map == DM_MAP_DEV ? "dev" : map == DM_MAP_MEM ? "mem" : "?";
}

void dm_layout_init(struct dm_layout *l, const uint8_t uuid[16],
		    uint64_t region_size)
{
	memset(l, 0, sizeof(*l));
	l->major = DM_FMT_MAJOR;
	l->minor = DM_FMT_MINOR;
	l->seq = 1;
	if (uuid)
		memcpy(l->region_uuid, uuid, sizeof(l->region_uuid));
	l->region_size = region_size;
	/* data never uses the tail guard: the slots cost no capacity */
	l->slots_offset = region_size > DM_GUARD ? region_size - DM_GUARD : 0;
}

uint64_t dm_altmap_need(uint64_t start, uint64_t end)
{
	uint64_t first, last;

	if (end <= start || start > UINT64_MAX - DM_SECTION)
		return 0;
	first = ALIGN_UP(start, DM_SECTION);
	last = ALIGN_DOWN(end, DM_SECTION);
	if (last <= first)
		return 0;
	return (last - first) / DM_SECTION * DM_SUBSECTION;
}

/*
 * Smallest front pad for @size bytes of data when the data start must lie
 * @extra bytes (< 2 MiB) further than DM_GUARD + a multiple of 2 MiB from
 * the reservation start. For map=dev, n 2 MiB memmap blocks are added, n the
 * smallest with floor((GUARD + 2M n + extra + size + GUARD) / SEC) <= n:
 * the P of this namespace is never longer than front pad + size + GUARD, so
 * it never holds more than n whole sections, and the altmap it gets (data
 * start - P.start >= front pad - GUARD = 2M n + extra) covers them.
 * With K = 2 GUARD + extra + size the inequality is K + 2M n < SEC (n + 1),
 * i.e. n > (K - SEC) / (SEC - 2M).
 */
static uint64_t pad_for(uint64_t size, uint32_t map, uint64_t extra)
{
	uint64_t n = 0;

	if (map == DM_MAP_DEV) {
		uint64_t k = 2 * DM_GUARD + extra + size;
		if (k >= DM_SECTION)
			n = (k - DM_SECTION) / (DM_SECTION - DM_SUBSECTION) + 1;
	}
	return DM_GUARD + extra + DM_SUBSECTION * n;
}

/* The alignment extra in a front pad: what is above DM_GUARD + 2M n. */
static uint64_t pad_extra(uint64_t pad)
{
	return pad >= DM_GUARD ? (pad - DM_GUARD) % DM_SUBSECTION : 0;
}

/*
 * Lowest reservation start for a namespace with this front pad: a map=dev
 * namespace that needs memmap blocks keeps its reservation off the
 * metadata at the head (@head bytes: the 2.x anchor page, or the 1.x
 * slots). (Were its pgmap to cover the metadata, the kernel's altmap would
 * skip it and start its 2 MiB-aligned blocks one sub-section later;
 * starting past it costs the same and keeps one rule.)
 */
static uint64_t min_resv(uint64_t head, uint64_t pad, uint64_t size,
			 uint32_t map)
{
	uint64_t extra = pad_extra(pad);

	return pad_for(size, map, extra) > DM_GUARD + extra ? head : 0;
}

uint64_t dm_front_pad(uint64_t size, uint32_t map)
{
	if (size > DM_SIZE_LIMIT)
		return UINT64_MAX;
	return pad_for(size, map, 0);
}

/*
 * Is @pad enough for @size bytes of data? Any amount above DM_GUARD that is
 * not a multiple of 2 MiB counts as alignment extra, as dm_layout_place()
 * adds it; the rest must hold the memmap blocks.
 */
static uint64_t pad_needed(uint64_t pad, uint64_t size, uint32_t map)
{
	return pad_for(size, map, pad_extra(pad));
}

void dm_pgmap_range(uint64_t base, const struct dm_ns *ns, uint64_t *start,
		    uint64_t *end)
{
	*start = ALIGN_UP(base + ns->resv_offset, DM_SUBSECTION);
	*end = ALIGN_UP(base + ns->offset + ns->size, DM_SUBSECTION);
}

struct span {
	uint64_t start, end;
	unsigned int idx;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint64_t ns_end(const struct dm_ns *ns)
{
	return ns->offset > UINT64_MAX - ns->size ? UINT64_MAX
						  : ns->offset + ns->size;
}

#define SLOTS_IDX DM_NS_MAX /* the span of the 2.x slots */

/*
 * The valid reservations of @l and the extent of its 2.x slots (idx
 * SLOTS_IDX), sorted by start. Returns how many. The slots lie in the tail
 * guard of the region they were written for; when the region grows they
 * stay where they are, and namespaces go around them.
 */
static unsigned int sorted_spans(const struct dm_layout *l,
				 struct span sp[DM_NS_MAX + 1])
{
	unsigned int n = 0;

	if (l->major != DM_FMT_MAJOR_V1) {
		sp[n].start = l->slots_offset;
		sp[n].end = l->slots_offset + DM_META_SIZE;
		sp[n].idx = SLOTS_IDX;
		n++;
	}
	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		const struct dm_ns *ns = &l->ns[i];

		if (!(ns->flags & DM_NS_FLAG_VALID))
			continue;
		sp[n].start = ns->resv_offset;
		sp[n].end = ns_end(ns);
		sp[n].idx = i;
		n++;
	}
	qsort(sp, n, sizeof(*sp), span_cmp);
	return n;
}

static uint64_t usable_end(const struct dm_layout *l)
{
	return l->region_size > DM_GUARD ? l->region_size - DM_GUARD : 0;
}

/*
 * Free gaps between reservations, in [0, usable_end), ascending. The first
 * reservation may start at 0: its front pad (>= DM_GUARD) covers the
 * metadata, so the metadata costs no capacity of its own.
 * Returns how many; @gap has room for DM_NS_MAX + 2.
 */
static unsigned int free_gaps(const struct dm_layout *l, struct span *gap)
{
	struct span sp[DM_NS_MAX + 1];
	unsigned int n = sorted_spans(l, sp), ng = 0;
	uint64_t cur = 0, lim = usable_end(l);

	for (unsigned int i = 0; i <= n; i++) {
		uint64_t next = i < n ? sp[i].start : lim;

		if (next > lim)
			next = lim;
		if (next > cur) {
			gap[ng].start = cur;
			gap[ng].end = next;
			gap[ng].idx = 0;
			ng++;
		}
		if (i < n && sp[i].end > cur)
			cur = sp[i].end;
	}
	return ng;
}

static bool table_full(const struct dm_layout *l)
{
	for (unsigned int i = 0; i < DM_NS_MAX; i++)
		if (!(l->ns[i].flags & DM_NS_FLAG_VALID))
			return false;
	return true;
}

/* Alignment extra so that the data after a minimal pad from @resv starts
 * 2 MiB-aligned physically; 0 unless asked for and the base is known. */
static uint64_t align_extra(const struct dm_place_req *req, uint64_t resv)
{
	uint64_t at;

	if (req->align != DM_SUBSECTION || !req->have_base)
		return 0;
	at = (req->phys_base + resv + DM_GUARD) % DM_SUBSECTION;
	return (DM_SUBSECTION - at) % DM_SUBSECTION;
}

/* Does a namespace of @size with pad_for(size, map, extra) fit in the gap? */
static bool gap_fits(const struct span *gap, uint64_t head, uint64_t size,
		     uint32_t map, uint64_t extra)
{
	uint64_t pad = pad_for(size, map, extra);
	uint64_t start = gap->start, lo = min_resv(head, pad, size, map);

	if (start < lo)
		start = lo;
	return start < gap->end && pad + size <= gap->end - start;
}

/* Largest multiple of @align (at least @align) that fits in @gap, or 0.
 * The space a size needs grows with the size, so bisection finds it. */
static uint64_t gap_max(const struct span *gap, uint64_t head, uint32_t align,
			uint32_t map, uint64_t extra)
{
	uint64_t lo = 0, hi = (gap->end - gap->start) / align; /* in aligns */

	if (hi > DM_SIZE_LIMIT / align)
		hi = DM_SIZE_LIMIT / align;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2, s = mid * align;

		if (gap_fits(gap, head, s, map, extra))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo * align;
}

static bool valid_align(uint32_t align)
{
	return align == DM_PAGE || align == DM_SUBSECTION;
}

static bool valid_map(uint32_t map)
{
	return map == DM_MAP_DEV || map == DM_MAP_MEM;
}

uint64_t dm_layout_max_size(const struct dm_layout *l, uint32_t align,
			    uint32_t map)
{
	struct span gap[DM_NS_MAX + 2];
	unsigned int ng;
	uint64_t best = 0;

	if (!valid_align(align) || !valid_map(map) || table_full(l))
		return 0;
	ng = free_gaps(l, gap);
	for (unsigned int i = 0; i < ng; i++) {
		uint64_t s = gap_max(&gap[i], dm_layout_head(l), align, map, 0);

		if (s > best)
			best = s;
	}
	return best;
}

/* First fit over @gap; with @aligned the 2 MiB preference is honoured. */
static bool first_fit(const struct span *gap, unsigned int ng, uint64_t head,
		      const struct dm_place_req *req, uint64_t size,
		      bool aligned, struct dm_ns *out)
{
	for (unsigned int i = 0; i < ng; i++) {
		uint64_t start = gap[i].start;
		uint64_t extra = aligned ? align_extra(req, start) : 0;
		uint64_t pad = pad_for(size, req->map, extra);
		uint64_t lo = min_resv(head, pad, size, req->map);

		if (start < lo) {
			start = lo;
			extra = aligned ? align_extra(req, start) : 0;
			pad = pad_for(size, req->map, extra);
		}
		if (start >= gap[i].end || pad + size > gap[i].end - start)
			continue;
		out->resv_offset = start;
		out->offset = start + pad;
		out->size = size;
		out->mode = DM_MODE_DEVDAX;
		out->align = req->align;
		out->map = req->map;
		return true;
	}
	return false;
}

int dm_layout_place(const struct dm_layout *l, const struct dm_place_req *req,
		    struct dm_ns *out, char *err, size_t errlen)
{
	struct span gap[DM_NS_MAX + 2];
	unsigned int ng;
	uint64_t size = req->size, max, head = dm_layout_head(l);

	if (err && errlen)
		err[0] = '\0';
	if (!valid_align(req->align))
		return fail(err, errlen, -EINVAL,
			    "align %u is not 4096 or 2097152", req->align);
	if (!valid_map(req->map))
		return fail(err, errlen, -EINVAL,
			    "map %u is not dev (%u) or mem (%u)", req->map,
			    DM_MAP_DEV, DM_MAP_MEM);
	if (size > DM_SIZE_LIMIT)
		return fail(err, errlen, -EINVAL,
			    "size %llu bytes is too large (limit %llu)",
			    (unsigned long long)size, DM_SIZE_LIMIT);
	if (size % req->align)
		return fail(err, errlen, -EINVAL,
			    "size %llu bytes is not a multiple of the %u-byte "
			    "alignment",
			    (unsigned long long)size, req->align);
	if (req->have_base && req->phys_base % DM_PAGE)
		return fail(err, errlen, -EINVAL,
			    "physical base 0x%llx is not 4 KiB aligned",
			    (unsigned long long)req->phys_base);
	if (table_full(l))
		return fail(err, errlen, -ENOSPC,
			    "the namespace table is full (%u entries)",
			    DM_NS_MAX);

	max = dm_layout_max_size(l, req->align, req->map);
	if (!size)
		size = max;
	ng = free_gaps(l, gap);
	/* prefer a 2 MiB-aligned data start; else any fit (4 KiB faults) */
	if (size && (first_fit(gap, ng, head, req, size, true, out) ||
		     first_fit(gap, ng, head, req, size, false, out)))
		return 0;
	return fail(err, errlen, -ENOSPC,
		    "no free extent for %llu bytes in region of %llu bytes; "
		    "largest possible is %llu bytes",
		    (unsigned long long)(req->size ? req->size : req->align),
		    (unsigned long long)l->region_size,
		    (unsigned long long)max);
}

static bool uuid_zero(const uint8_t *u)
{
	for (int i = 0; i < 16; i++)
		if (u[i])
			return false;
	return true;
}

static int check_ns(const struct dm_layout *l, unsigned int i, char *err,
		    size_t errlen)
{
	const struct dm_ns *ns = &l->ns[i];
	uint64_t lim = usable_end(l), head = dm_layout_head(l), pad, need;

	if (!memchr(ns->name, '\0', sizeof(ns->name)))
		return fail(err, errlen, -EINVAL,
			    "namespace %u: name is not NUL-terminated", i);
	if (dm_name_valid(ns->name))
		return fail(err, errlen, -EINVAL,
			    "namespace %u: name \"%s\" is invalid (1 to %u "
			    "characters of A-Z a-z 0-9 . _ -)",
			    i, ns->name, DM_NAME_MAX - 1);
	if (uuid_zero(ns->uuid))
		return fail(err, errlen, -EINVAL, "namespace %u: UUID is zero",
			    i);
	if (ns->mode != DM_MODE_DEVDAX && ns->mode != DM_MODE_FSDAX)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: mode %u is not devdax (%u) or fsdax "
			    "(%u)",
			    i, ns->mode, DM_MODE_DEVDAX, DM_MODE_FSDAX);
	if (!valid_map(ns->map))
		return fail(err, errlen, -EINVAL,
			    "namespace %u: map %u is not dev (%u) or mem (%u)",
			    i, ns->map, DM_MAP_DEV, DM_MAP_MEM);
	if (!valid_align(ns->align))
		return fail(err, errlen, -EINVAL,
			    "namespace %u: align %u is not 4096 or 2097152", i,
			    ns->align);
	if (ns->resv_offset % DM_PAGE || ns->offset % DM_PAGE)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: reservation 0x%llx or offset 0x%llx "
			    "is not a multiple of 4 KiB",
			    i, (unsigned long long)ns->resv_offset,
			    (unsigned long long)ns->offset);
	if (!ns->size || ns->size % ns->align)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: size 0x%llx is not a non-zero "
			    "multiple of its alignment 0x%x",
			    i, (unsigned long long)ns->size, ns->align);
	if (ns->offset < head)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: data at 0x%llx overlaps the "
			    "metadata (first 0x%llx bytes)",
			    i, (unsigned long long)ns->offset,
			    (unsigned long long)head);
	if (ns->offset < ns->resv_offset)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: offset 0x%llx is below its "
			    "reservation 0x%llx",
			    i, (unsigned long long)ns->offset,
			    (unsigned long long)ns->resv_offset);
	if (ns->offset > lim || ns->size > lim - ns->offset)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: data [0x%llx, +0x%llx) ends beyond "
			    "0x%llx (region size 0x%llx less the 0x%llx tail "
			    "guard)",
			    i, (unsigned long long)ns->offset,
			    (unsigned long long)ns->size,
			    (unsigned long long)lim,
			    (unsigned long long)l->region_size,
			    (unsigned long long)DM_GUARD);
	if (ns->size > DM_SIZE_LIMIT)
		return fail(err, errlen, -EINVAL,
			    "namespace %u: size 0x%llx is too large (limit "
			    "0x%llx)",
			    i, (unsigned long long)ns->size, DM_SIZE_LIMIT);
	pad = ns->offset - ns->resv_offset;
	need = pad_needed(pad, ns->size, ns->map);
	if (ns->resv_offset < min_resv(head, pad, ns->size, ns->map))
		return fail(err, errlen, -EINVAL,
			    "namespace %u: reservation 0x%llx of a map=dev "
			    "namespace with memmap blocks starts in the "
			    "metadata (first 0x%llx bytes)",
			    i, (unsigned long long)ns->resv_offset,
			    (unsigned long long)head);
	if (pad < need)
		return fail(
			err, errlen, -EINVAL,
			"namespace %u: front pad 0x%llx is smaller than the "
			"0x%llx needed for map=%s and size 0x%llx",
			i, (unsigned long long)pad, (unsigned long long)need,
			map_name(ns->map), (unsigned long long)ns->size);
	return 0;
}

int dm_layout_check(const struct dm_layout *l, char *err, size_t errlen)
{
	struct span sp[DM_NS_MAX + 1];
	unsigned int n;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (l->region_size % DM_PAGE || l->region_size < DM_META_SIZE)
		return fail(err, errlen, -EINVAL,
			    "region size 0x%llx is not a multiple of 4 KiB of "
			    "at least 0x%llx",
			    (unsigned long long)l->region_size,
			    (unsigned long long)DM_META_SIZE);
	if (l->major != DM_FMT_MAJOR_V1 &&
	    (l->slots_offset % DM_PAGE || l->slots_offset < DM_ANCHOR_SIZE ||
	     l->slots_offset > l->region_size - DM_META_SIZE))
		return fail(
			err, errlen, -EINVAL,
			"the metadata slots at 0x%llx do not lie in the "
			"region of 0x%llx bytes (at most 0x%llx)",
			(unsigned long long)l->slots_offset,
			(unsigned long long)l->region_size,
			(unsigned long long)(l->region_size - DM_META_SIZE));
	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		if (!(l->ns[i].flags & DM_NS_FLAG_VALID))
			continue;
		rc = check_ns(l, i, err, errlen);
		if (rc)
			return rc;
	}
	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		const struct dm_ns *a = &l->ns[i];

		if (!(a->flags & DM_NS_FLAG_VALID))
			continue;
		for (unsigned int j = 0; j < i; j++) {
			const struct dm_ns *b = &l->ns[j];

			if (!(b->flags & DM_NS_FLAG_VALID))
				continue;
			if (!strcmp(a->name, b->name))
				return fail(err, errlen, -EINVAL,
					    "namespace %u: name \"%s\" is "
					    "already used by namespace %u",
					    i, a->name, j);
			if (!memcmp(a->uuid, b->uuid, sizeof(a->uuid)))
				return fail(err, errlen, -EINVAL,
					    "namespace %u: UUID is already "
					    "used by namespace %u",
					    i, j);
		}
	}
	n = sorted_spans(l, sp);
	for (unsigned int k = 1; k < n; k++) {
		if (sp[k].start >= sp[k - 1].end)
			continue;
		if (sp[k].idx == SLOTS_IDX || sp[k - 1].idx == SLOTS_IDX) {
			const struct span *ns =
				&sp[k - (sp[k].idx == SLOTS_IDX)];

			return fail(err, errlen, -EINVAL,
				    "namespace %u: reservation [0x%llx, "
				    "0x%llx) overlaps the metadata slots at "
				    "[0x%llx, 0x%llx)",
				    ns->idx, (unsigned long long)ns->start,
				    (unsigned long long)ns->end,
				    (unsigned long long)l->slots_offset,
				    (unsigned long long)(l->slots_offset +
							 DM_META_SIZE));
		}
		return fail(
			err, errlen, -EINVAL,
			"namespace %u: reservation [0x%llx, 0x%llx) overlaps "
			"namespace %u [0x%llx, 0x%llx)",
			sp[k].idx, (unsigned long long)sp[k].start,
			(unsigned long long)sp[k].end, sp[k - 1].idx,
			(unsigned long long)sp[k - 1].start,
			(unsigned long long)sp[k - 1].end);
	}
	return 0;
}
