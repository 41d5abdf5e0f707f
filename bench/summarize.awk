# bench/summarize.awk: results.tsv (section case side rep metric value) ->
# one line per section/case/metric:
#   section case metric n stock_med stock_min stock_max devmem_med devmem_min
#   devmem_max ratio_med ratio_min ratio_max
# ratio = devmem / stock of the same rep (the pair ran back to back), its
# median and spread over the reps. Sides missing a value print "-".
function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function stats(key, side,   n, i, a, mn, mx) {
	n = 0
	for (i = 1; i <= maxrep; i++)
		if ((key SUBSEP side SUBSEP i) in v) a[++n] = v[key, side, i]
	if (!n) return "-\t-\t-"
	mn = mx = a[1]
	for (i = 1; i <= n; i++) { if (a[i] < mn) mn = a[i]; if (a[i] > mx) mx = a[i] }
	return sprintf("%g\t%g\t%g", med(a, n), mn, mx)
}
BEGIN { FS = OFS = "\t" }
/^#/ || $1 == "section" { next }
{
	key = $1 SUBSEP $2 SUBSEP $5
	if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
	v[key, $3, $4] = $6
	if ($4 > maxrep) maxrep = $4
}
END {
	for (k = 1; k <= nk; k++) {
		key = order[k]
		n = 0
		for (i = 1; i <= maxrep; i++)
			if ((key SUBSEP "stock" SUBSEP i) in v && (key SUBSEP "devmem" SUBSEP i) in v &&
			    v[key, "stock", i] != 0)
				r[++n] = v[key, "devmem", i] / v[key, "stock", i]
		split(key, p, SUBSEP)
		if (n) {
			mn = mx = r[1]
			for (i = 1; i <= n; i++) { if (r[i] < mn) mn = r[i]; if (r[i] > mx) mx = r[i] }
			rs = sprintf("%.3f\t%.3f\t%.3f", med(r, n), mn, mx)
		} else rs = "-\t-\t-"
		print p[1], p[2], p[3], maxrep, stats(key, "stock"), stats(key, "devmem"), rs
		delete r
	}
}
